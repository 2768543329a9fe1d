package dev.jslirp.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.wire.Ipv4Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Options of the DNS service and the errors that name them. */
class DnsConfigTest {
    @Test
    void recordsAreNormalised() {
        DnsConfig c = DnsConfig.builder().addRecord("Printer.LAN.=192.168.1.5").build();
        assertThat(c.records()).containsEntry("printer.lan", Ipv4Address.parse("192.168.1.5"));
    }

    @Test
    void badRecordsNameTheOption() {
        for (String bad : new String[] {"=1.2.3.4", "x", "a..b=1.2.3.4", "a=1.2.3", "a b=1.2.3.4",
            "a".repeat(64) + ".test=1.2.3.4"}) {
            assertThatThrownBy(() -> DnsConfig.builder().addRecord(bad)).as(bad)
                    .isInstanceOf(ConfigException.class).hasMessageContaining("dns-record");
        }
    }

    @Test
    void upstreamSpecs() {
        DnsConfig c = DnsConfig.builder().addUpstream("192.0.2.1").addUpstream("127.0.0.1:5353").build();
        assertThat(c.upstreams()).extracting(InetSocketAddress::getPort).containsExactly(53, 5353);
        assertThatThrownBy(() -> DnsConfig.builder().addUpstream("dns.example"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("dns-upstream");
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
