package dev.jslirp.dns;

import static dev.jslirp.dns.GuestDns.TYPE_A;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.VirtualGuest;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upstreams taken from a resolv.conf: a temporary file listing test servers on
 * loopback addresses (never the machine's own resolv.conf). resolv.conf has no port
 * syntax, so the test sets the package-private nameserver port.
 */
class DnsResolvConfUpstreamTest {
    @TempDir
    Path dir;

    @Test
    void queriesGoToTheResolvConfNameserversOfBothFamiliesAndFollowAChangedFile() throws Exception {
        try (TestDnsServer first = TestDnsServer.start().answer("example.test", "192.0.2.1");
             TestDnsServer v6 = TestDnsServer.start(InetAddress.getByName("::1"), first.address().getPort())
                     .answer("example.test", "192.0.2.6");
             TestDnsServer second = TestDnsServer.start(InetAddress.getByName("127.0.0.2"), first.address().getPort())
                     .answer("example.test", "192.0.2.2")) {
            Path conf = Files.writeString(dir.resolve("resolv.conf"),
                    "# test\nsearch lan\nnameserver ::1\nnameserver 127.0.0.1\noptions ndots:1\n");
            DnsConfig cfg = DnsConfig.builder().resolvConf(conf).resolvConfPort(first.address().getPort())
                    .resolvConfRecheck(Duration.ofMillis(100)).build();
            try (VirtualGuest g = VirtualGuest.onRealLoop(NetworkConfig.defaults(), new DnsService(cfg))) {
                GuestDns.send(g, GuestDns.query(1, "example.test", TYPE_A));
                assertThat(GuestDns.expectReply(g).addresses()).as("the first nameserver, ::1").containsExactly("192.0.2.6");

                Files.writeString(conf, "nameserver 127.0.0.2\n");
                String answer = null;
                for (int i = 0; i < 50 && !"192.0.2.2".equals(answer); i++) {
                    Thread.sleep(120);
                    GuestDns.send(g, GuestDns.query(2 + i, "example.test", TYPE_A));
                    answer = GuestDns.expectReply(g).addresses().get(0);
                }
                assertThat(answer).isEqualTo("192.0.2.2");
                assertThat(g.network().stats().service("dns", DnsCounter.class)
                        .get(DnsCounter.RESOLV_CONF_CHANGES)).isEqualTo(1);
            }
            assertThat(first.received()).isEmpty();
        }
    }

    @Test
    void aResolvConfWithOnlyUnusableNameserversGivesServfailAtOnce() throws Exception {
        Path conf = Files.writeString(dir.resolve("resolv.conf"), "nameserver fe80::1\nnameserver fe80::2%no-such-if9\n");
        DnsConfig cfg = DnsConfig.builder().resolvConf(conf).build();
        try (VirtualGuest g = VirtualGuest.embedded(new DnsService(cfg))) {
            GuestDns.send(g, GuestDns.query(3, "example.test", TYPE_A));
            assertThat(GuestDns.expectReply(g).rcode()).isEqualTo(2);
            assertThat(g.network().stats().service("dns", DnsCounter.class).get(DnsCounter.NO_UPSTREAM))
                    .isEqualTo(1);
        }
    }
}
