package dev.jslirp.dhcp;

import static dev.jslirp.dhcp.DhcpServerTest.exchange;
import static dev.jslirp.dhcp.DhcpServerTest.mac;
import static dev.jslirp.core.testkit.GuestFrames.GATEWAY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.dns.DnsService;
import dev.jslirp.dns.GuestDns;
import dev.jslirp.dns.GuestNames;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Guests find each other by name, as on libvirt's network with dnsmasq: the host name a
 * client gives DHCP (option 12 or 81) is answered by the DNS service, bare and under
 * {@code domainname=}, forwards and reverse, for as long as its lease lasts.
 */
class LeaseNamesTest {
    private static final String DOMAIN = "lan.test";
    private static final int FIRST = Ipv4Address.parse("10.0.2.15");

    private static VirtualGuest network(GuestNames names) {
        // An upstream nobody listens on: every name here must be answered locally.
        return VirtualGuest.embedded(new DhcpServer(DhcpConfig.builder().domainName(DOMAIN).build(), names),
                new DnsService(DnsConfig.builder().addUpstream("127.0.0.1:9").build(), names));
    }

    private static int dora(VirtualGuest g, long client, ClientMessage discover, ClientMessage request) {
        ServerReply offer = exchange(g, discover.mac(client));
        ServerReply ack = exchange(g, request.mac(client).serverId(GATEWAY).requested(offer.yiaddr));
        assertThat(ack.messageType()).isEqualTo(5);
        return ack.yiaddr;
    }

    private static int doraNamed(VirtualGuest g, long client, String name) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        return dora(g, client, ClientMessage.discover().option(12, n), ClientMessage.request().option(12, n));
    }

    private static GuestDns.Reply ask(VirtualGuest g, String name, int type) {
        GuestDns.send(g, GuestDns.query(1, name, type));
        return GuestDns.expectReply(g);
    }

    private static Counters<DhcpCounter> counters(VirtualGuest g) {
        return g.network().stats().service("dhcp", DhcpCounter.class);
    }

    @Test
    void aClientsHostNameResolvesBareAndUnderTheDomainAndBackwards() {
        GuestNames names = new GuestNames(DOMAIN);
        try (VirtualGuest g = network(names)) {
            int a = doraNamed(g, mac(1), "vm1");
            assertThat(ask(g, "vm1", GuestDns.TYPE_A).addresses()).containsExactly(Ipv4Address.toString(a));
            GuestDns.Reply r = ask(g, "VM1.Lan.Test", GuestDns.TYPE_A);
            assertThat(r.authoritative()).isTrue();
            assertThat(r.addresses()).containsExactly(Ipv4Address.toString(a));
            assertThat(ask(g, "vm1", GuestDns.TYPE_AAAA).answerCount()).as("NODATA").isZero();
            assertThat(ask(g, "15.2.0.10.in-addr.arpa", GuestDns.TYPE_PTR).pointers()).containsExactly("vm1.lan.test.");
            g.onLoop(() -> assertThat(names.addressOf("vm1.lan.test", g.network().nanoTime())).isEqualTo(a));
        }
    }

    @Test
    void theFirstLabelOfAClientFqdnNamesTheGuestInWireAndAsciiForm() {
        GuestNames names = new GuestNames(DOMAIN);
        try (VirtualGuest g = network(names)) {
            // RFC 4702: flags (E: canonical wire format), two RCODE bytes, the name.
            byte[] wire = {0x04, 0, 0, 3, 'd', 'e', 'v', 3, 'l', 'a', 'n', 0};
            dora(g, mac(1), ClientMessage.discover(), ClientMessage.request().option(81, wire));
            byte[] ascii = {0x00, 0, 0, 'W', 'e', 'b', '.', 'x', '.', 'y'};
            int b = dora(g, mac(2), ClientMessage.discover(), ClientMessage.request().option(81, ascii));
            assertThat(ask(g, "dev", GuestDns.TYPE_A).addresses()).containsExactly("10.0.2.15");
            assertThat(ask(g, "web.lan.test", GuestDns.TYPE_A).addresses()).containsExactly(Ipv4Address.toString(b));
        }
    }

    @Test
    void aNameAnotherClientHoldsIsNotTakenAndABadNameIsNotRegistered() {
        GuestNames names = new GuestNames(DOMAIN);
        try (VirtualGuest g = network(names)) {
            int a = doraNamed(g, mac(1), "vm1");
            doraNamed(g, mac(2), "vm1");
            doraNamed(g, mac(3), "not_a_label");
            assertThat(counters(g).get(DhcpCounter.HOSTNAME_IN_USE)).isEqualTo(1);
            assertThat(counters(g).get(DhcpCounter.HOSTNAME_INVALID)).isEqualTo(1);
            assertThat(ask(g, "vm1", GuestDns.TYPE_A).addresses()).containsExactly(Ipv4Address.toString(a));
        }
    }

    @Test
    void aReleasedOrExpiredLeaseTakesItsNameAlong() {
        GuestNames names = new GuestNames(DOMAIN);
        DhcpServer server = new DhcpServer(DhcpConfig.builder().domainName(DOMAIN).leaseTime(Duration.ofMinutes(2))
                .build(), names);
        try (VirtualGuest g = VirtualGuest.embedded(server,
                new DnsService(DnsConfig.builder().addUpstream("127.0.0.1:9").build(), names))) {
            int a = doraNamed(g, mac(1), "vm1");
            int b = doraNamed(g, mac(2), "vm2");
            g.onLoop(() -> assertThat(server.leases()).extracting(LeaseInfo::hostname).containsExactly("vm1", "vm2"));
            g.send(ClientMessage.of(7).mac(mac(1)).ciaddr(a).ip(a, GATEWAY).frame());
            g.onLoop(() -> assertThat(names.addressOf("vm1", g.network().nanoTime())).isZero());
            g.advance(Duration.ofMinutes(3));
            g.onLoop(() -> assertThat(names.nameOf(b, g.network().nanoTime())).isNull());
            g.expectNothing();
        }
    }

    @Test
    void aRenamedOrMovedClientKeepsOneName() {
        GuestNames names = new GuestNames(null);
        try (VirtualGuest g = network(names)) {
            int a = doraNamed(g, mac(1), "old");
            doraNamed(g, mac(1), "new");
            g.onLoop(() -> {
                long now = g.network().nanoTime();
                assertThat(names.addressOf("old", now)).isZero();
                assertThat(names.addressOf("new", now)).isEqualTo(a);
            });
        }
    }
}
