package dev.jslirp.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.wire.IpAddress;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.List;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Options of the DNS service and the errors that name them. */
class DnsConfigTest {
    @Test
    void recordsAreNormalised() {
        DnsConfig c = DnsConfig.builder().addRecord("Printer.LAN.=192.168.1.5").build();
        assertThat(c.records()).containsEntry("printer.lan", List.of(IpAddress.parse("192.168.1.5")));
    }

    @Test
    void aNameMayHaveOneAddressOfEachFamilyIpv4First() {
        DnsConfig c = DnsConfig.builder().addRecord("db=fec0::50").addRecord("db=10.0.2.50")
                .addRecord("db=fec0::51").addRecord("v6only=fd00::1").build();
        assertThat(c.records()).containsEntry("db", List.of(IpAddress.parse("10.0.2.50"), IpAddress.parse("fec0::51")))
                .containsEntry("v6only", List.of(IpAddress.parse("fd00::1")));
    }

    @Test
    void badRecordsNameTheOption() {
        for (String bad : new String[] {"=1.2.3.4", "x", "a..b=1.2.3.4", "a=1.2.3", "a b=1.2.3.4",
            "a".repeat(64) + ".test=1.2.3.4", "a=fec0:::1", "a=fe80::1%eth0", "a=host.example"}) {
            assertThatThrownBy(() -> DnsConfig.builder().addRecord(bad)).as(bad)
                    .isInstanceOf(ConfigException.class).hasMessageContaining("dns-record");
        }
    }

    @Test
    void upstreamSpecs() {
        DnsConfig c = DnsConfig.builder().addUpstream("192.0.2.1").addUpstream("127.0.0.1:5353")
                .addUpstream("::1").addUpstream("[::1]:5353").addUpstream("[2001:db8::53]").build();
        assertThat(c.upstreams()).extracting(InetSocketAddress::getPort).containsExactly(53, 5353, 53, 5353, 53);
        assertThat(c.upstreams()).extracting(u -> u.getAddress() instanceof Inet6Address)
                .containsExactly(false, false, true, true, true);
        assertThat(c.upstreams().get(4).getAddress().getHostAddress()).isEqualTo("2001:db8:0:0:0:0:0:53");
        for (String bad : new String[] {"dns.example", "[::1", "[::1]5353", "[10.0.0.1]:53", "::1:70000x",
            "127.0.0.1:0", "[::1]:65536"}) {
            assertThatThrownBy(() -> DnsConfig.builder().addUpstream(bad)).as(bad)
                    .isInstanceOf(ConfigException.class).hasMessageContaining("dns-upstream");
        }
        assertThatThrownBy(() -> DnsConfig.builder().addUpstream(InetSocketAddress.createUnresolved("x", 53)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("dns-upstream");
    }

    @Test
    void boundsAreChecked() {
        assertThatThrownBy(() -> DnsConfig.builder().maxInFlight(65536)).hasMessageContaining("dns-max-in-flight");
        assertThatThrownBy(() -> DnsConfig.builder().upstreamTimeout(Duration.ofMillis(10)))
                .hasMessageContaining("dns-timeout");
        assertThatThrownBy(() -> DnsConfig.builder().maxTcpConnections(0)).hasMessageContaining("dns-max-tcp");
        assertThatThrownBy(() -> DnsConfig.builder().tcpIdleTimeout(Duration.ZERO)).hasMessageContaining("dns-tcp-idle");
        assertThatThrownBy(() -> DnsConfig.builder().hostName("bad..name")).hasMessageContaining("dns-host-name");
    }
}
