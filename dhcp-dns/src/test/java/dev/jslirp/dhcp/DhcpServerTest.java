package dev.jslirp.dhcp;

import static dev.jslirp.core.testkit.GuestFrames.GATEWAY;
import static dev.jslirp.core.testkit.GuestFrames.GATEWAY_MAC;
import static dev.jslirp.core.testkit.GuestFrames.GUEST_MAC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The server's protocol behaviour through the whole network (frames in, frames out) on
 * a deterministic loop: RFC 2131 section 4.3 message by message, lease bookkeeping,
 * and RFC 2131 section 4.1 reply addressing.
 */
class DhcpServerTest {
    static final int POOL_FIRST = ip("10.0.2.15");
    static final int DNS = ip("10.0.2.3");
    static final int BROADCAST = Ipv4Address.BROADCAST;

    static int ip(String s) {
        return Ipv4Address.parse(s);
    }

    /** A distinct client MAC (locally administered, unicast). */
    static long mac(int n) {
        return 0x0a00_0000_0000L | n;
    }

    static VirtualGuest guest(DhcpConfig config) {
        return VirtualGuest.embedded(new DhcpServer(config));
    }

    static VirtualGuest guest() {
        return guest(DhcpConfig.defaults());
    }

    static Counters<DhcpCounter> counters(VirtualGuest g) {
        return g.network().stats().service("dhcp", DhcpCounter.class);
    }

    /** Sends {@code m} and returns the one reply it got. */
    static ServerReply exchange(VirtualGuest g, ClientMessage m) {
        g.send(m.frame());
        ServerReply r = ServerReply.decode(g.expectFrame());
        g.expectNothing();
        return r;
    }

    static void noReply(VirtualGuest g, ClientMessage m) {
        g.send(m.frame());
        g.expectNothing();
    }

    /** DISCOVER, OFFER, REQUEST, ACK for {@code client}; returns the address bound. */
    static int dora(VirtualGuest g, long client) {
        ServerReply offer = exchange(g, ClientMessage.discover().mac(client));
        assertThat(offer.messageType()).isEqualTo(2);
        ServerReply ack = exchange(g, ClientMessage.request().mac(client).serverId(GATEWAY).requested(offer.yiaddr));
        assertThat(ack.messageType()).as("ACK to %s", MacAddress.toString(client)).isEqualTo(5);
        assertThat(ack.yiaddr).isEqualTo(offer.yiaddr);
        return ack.yiaddr;
    }

    static ClientMessage renew(long client, int address) {
        return ClientMessage.request().mac(client).ciaddr(address).ip(address, GATEWAY);
    }

    // ---------------------------------------------------------------- DORA

    @Test
    void discoverGetsOfferOfFirstPoolAddressWithQemuOptions() {
        try (VirtualGuest g = guest()) {
            ServerReply offer = exchange(g, ClientMessage.discover().xid(0x11223344));

            assertThat(offer.op).isEqualTo(2);
            assertThat(offer.htype).isEqualTo(1);
            assertThat(offer.hlen).isEqualTo(6);
            assertThat(offer.xid).isEqualTo(0x11223344);
            assertThat(offer.chaddr).isEqualTo(GUEST_MAC);
            assertThat(offer.ciaddr).isZero();
            assertThat(offer.yiaddr).isEqualTo(POOL_FIRST);
            assertThat(offer.siaddr).as("next server: the host, as QEMU").isEqualTo(GATEWAY);
            assertThat(offer.giaddr).isZero();
            assertThat(offer.cookie).isEqualTo(0x63825363);
            assertThat(offer.endSeen).isTrue();
            assertThat(offer.messageType()).isEqualTo(2);
            assertThat(offer.int32(54)).isEqualTo(GATEWAY);
            assertThat(offer.int32(51)).isEqualTo(86400);
            assertThat(offer.int32(58)).isEqualTo(43200);
            assertThat(offer.int32(59)).isEqualTo(75600);
            assertThat(offer.int32(1)).isEqualTo(ip("255.255.255.0"));
            assertThat(offer.int32(3)).isEqualTo(GATEWAY);
            assertThat(offer.int32(6)).isEqualTo(DNS);
            assertThat(offer.int32(28)).isEqualTo(ip("10.0.2.255"));
            assertThat(offer.int16(26)).isEqualTo(1500);
            assertThat(offer.has(12) || offer.has(15) || offer.has(66) || offer.has(67) || offer.has(119)).isFalse();
            assertThat(offer.optionOrder).startsWith(53, 54);
            assertThat(offer.length).isBetween(300, 548);
            // From the gateway, port 67 to 68, TOS low delay as libslirp.
            assertThat(offer.ipSrc).isEqualTo(GATEWAY);
            assertThat(offer.ethSrc).isEqualTo(GATEWAY_MAC);
            assertThat(offer.srcPort).isEqualTo(67);
            assertThat(offer.dstPort).isEqualTo(68);
            assertThat(offer.tos).isEqualTo(0x10);
            assertThat(counters(g).get(DhcpCounter.DISCOVER)).isEqualTo(1);
            assertThat(counters(g).get(DhcpCounter.OFFER_SENT)).isEqualTo(1);
        }
    }

    @Test
    void recordedUdhcpcDiscoverGetsUnicastOfferEchoingItsClientId() {
        try (VirtualGuest g = guest()) {
            g.send(Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(Captures.UDHCPC_DISCOVER)));
            ServerReply offer = ServerReply.decode(g.expectFrame());
            assertThat(offer.messageType()).isEqualTo(2);
            assertThat(offer.xid).isEqualTo(0xb3003d56);
            assertThat(offer.yiaddr).isEqualTo(POOL_FIRST);
            assertThat(offer.ipDst).isEqualTo(POOL_FIRST);
            assertThat(offer.ethDst).isEqualTo(GUEST_MAC);
            assertThat(offer.options.get(61)).containsExactly(1, 0x52, 0x54, 0, 0x12, 0x34, 0x56);
            assertThat(offer.length).isLessThanOrEqualTo(576 - 28);
        }
    }

    @Test
    void selectingRequestForOfferedAddressGetsAck() {
        try (VirtualGuest g = guest()) {
            ServerReply offer = exchange(g, ClientMessage.discover());
            ServerReply ack = exchange(g, ClientMessage.request().serverId(GATEWAY).requested(offer.yiaddr));

            assertThat(ack.messageType()).isEqualTo(5);
            assertThat(ack.yiaddr).isEqualTo(POOL_FIRST);
            assertThat(ack.ciaddr).isZero();
            assertThat(ack.int32(54)).isEqualTo(GATEWAY);
            assertThat(ack.int32(51)).isEqualTo(86400);
            assertThat(ack.int32(1)).isEqualTo(ip("255.255.255.0"));
            assertThat(counters(g).get(DhcpCounter.ACK_SENT)).isEqualTo(1);
            assertThat(g.network().stats().drops().total()).isZero();
        }
    }

    @Test
    void leaseTimeAndT1T2FollowConfiguration() {
        try (VirtualGuest g = guest(DhcpConfig.builder().leaseTime(Duration.ofMinutes(10)).build())) {
            ServerReply offer = exchange(g, ClientMessage.discover());
            assertThat(offer.int32(51)).isEqualTo(600);
            assertThat(offer.int32(58)).isEqualTo(300);
            assertThat(offer.int32(59)).isEqualTo(525);
        }
    }

    // ---------------------------------------------------------------- RFC 2131 4.1 addressing

    @Test
    void replyWithoutBroadcastFlagIsUnicastToYiaddrAtChaddrWithoutArp() {
        try (VirtualGuest g = guest()) {
            long client = mac(7);
            ServerReply offer = exchange(g, ClientMessage.discover().mac(client));
            assertThat(offer.ipDst).isEqualTo(POOL_FIRST);
            assertThat(offer.ethDst).isEqualTo(client);
            assertThat(g.network().neighbor(POOL_FIRST)).isEqualTo(client);
            assertThat(g.network().stats().traffic().get(NetworkStats.Traffic.ARP_REQUESTS))
                    .isZero();
        }
    }

    @Test
    void replyWithBroadcastFlagIsBroadcast() {
        try (VirtualGuest g = guest()) {
            ServerReply offer = exchange(g, ClientMessage.discover().broadcastFlag());
            assertThat(offer.ipDst).isEqualTo(BROADCAST);
            assertThat(offer.ethDst).isEqualTo(MacAddress.BROADCAST);
            assertThat(offer.flags).isEqualTo(0x8000);

            ServerReply ack = exchange(g, ClientMessage.request().broadcastFlag().serverId(GATEWAY).requested(offer.yiaddr));
            assertThat(ack.ipDst).isEqualTo(BROADCAST);
            assertThat(ack.ethDst).isEqualTo(MacAddress.BROADCAST);
        }
    }

    @Test
    void replyToClientWithCiaddrIsBroadcastAsFromLibslirpSoBusyboxRenewalsAreNotLost() {
        // RFC 2131 4.1 says unicast to ciaddr; see DhcpResponder#destination for why not.
        try (VirtualGuest g = guest()) {
            int a = dora(g, GUEST_MAC);
            ServerReply ack = exchange(g, ClientMessage.request().ciaddr(a).ip(a, GATEWAY));
            assertThat(ack.yiaddr).isEqualTo(a);
            assertThat(ack.ipDst).isEqualTo(BROADCAST);
            assertThat(ack.ethDst).isEqualTo(MacAddress.BROADCAST);
        }
    }

    @Test
    void nakIsBroadcastEvenToClientWithCiaddr() {
        try (VirtualGuest g = guest()) {
            int notOurs = ip("10.0.2.77");
            ServerReply nak = exchange(g, renew(GUEST_MAC, notOurs));
            assertThat(nak.messageType()).isEqualTo(6);
            assertThat(nak.ipDst).isEqualTo(BROADCAST);
            assertThat(nak.ethDst).isEqualTo(MacAddress.BROADCAST);
        }
    }

    // ---------------------------------------------------------------- RFC 2131 4.3.2 REQUEST states

    @Test
    void renewingUnicastRequestExtendsLease() {
        try (VirtualGuest g = guest(DhcpConfig.builder().poolSize(1).build())) {
            int a = dora(g, mac(1));
            g.advance(Duration.ofHours(12));
            ServerReply ack = exchange(g, renew(mac(1), a).xid(99));
            assertThat(ack.messageType()).isEqualTo(5);
            assertThat(ack.xid).isEqualTo(99);
            assertThat(ack.ciaddr).isEqualTo(a);
            assertThat(ack.yiaddr).isEqualTo(a);
            assertThat(ack.ipDst).isEqualTo(BROADCAST);
            assertThat(ack.ethDst).isEqualTo(MacAddress.BROADCAST);
            assertThat(ack.int32(51)).isEqualTo(86400);

            // 32 h after the first ACK, 20 h after the renewal: still bound.
            g.advance(Duration.ofHours(20));
            noReply(g, ClientMessage.discover().mac(mac(2)));
            assertThat(counters(g).get(DhcpCounter.POOL_EXHAUSTED)).isEqualTo(1);
        }
    }

    @Test
    void rebindingBroadcastRequestIsAcked() {
        try (VirtualGuest g = guest()) {
            int a = dora(g, GUEST_MAC);
            g.advance(Duration.ofHours(22));
            ServerReply ack = exchange(g, ClientMessage.request().ciaddr(a).ip(a, BROADCAST));
            assertThat(ack.messageType()).isEqualTo(5);
            assertThat(ack.yiaddr).isEqualTo(a);
            assertThat(ack.ciaddr).isEqualTo(a);
            assertThat(ack.ipDst).isEqualTo(BROADCAST);
        }
    }

    @Test
    void initRebootForOwnAddressIsAcked() {
        try (VirtualGuest g = guest()) {
            int a = dora(g, GUEST_MAC);
            ServerReply ack = exchange(g, ClientMessage.request().requested(a));
            assertThat(ack.messageType()).isEqualTo(5);
            assertThat(ack.yiaddr).isEqualTo(a);
        }
    }

    @Test
    void initRebootForFreePoolAddressIsAckedAsAfterRestart() {
        try (VirtualGuest g = guest()) {
            int a = ip("10.0.2.20");
            ServerReply ack = exchange(g, ClientMessage.request().requested(a));
            assertThat(ack.messageType()).isEqualTo(5);
            assertThat(ack.yiaddr).isEqualTo(a);
            // Now it is this client's: another one asking for it is refused.
            ServerReply nak = exchange(g, ClientMessage.request().mac(mac(2)).requested(a));
            assertThat(nak.messageType()).isEqualTo(6);
        }
    }

    @Test
    void requestForAddressOfAnotherClientGetsNakWithQemuText() {
        try (VirtualGuest g = guest()) {
            int a = dora(g, mac(1));
            ServerReply nak = exchange(g, ClientMessage.request().mac(mac(2)).requested(a).xid(5));
            assertThat(nak.messageType()).isEqualTo(6);
            assertThat(nak.xid).isEqualTo(5);
            assertThat(nak.yiaddr).isZero();
            assertThat(nak.ciaddr).isZero();
            assertThat(nak.siaddr).isZero();
            assertThat(nak.int32(54)).isEqualTo(GATEWAY);
            assertThat(nak.text(56)).isEqualTo("requested address not available");
            assertThat(nak.has(51) || nak.has(1) || nak.has(3)).isFalse();
            assertThat(counters(g).get(DhcpCounter.NAK_SENT)).isEqualTo(1);
        }
    }

    @Test
    void requestForAddressOutsidePoolOrNetworkGetsNak() {
        try (VirtualGuest g = guest()) {
            for (int wanted : new int[] {ip("10.0.2.100"), ip("192.168.1.15"), GATEWAY, DNS}) {
                ServerReply nak = exchange(g, ClientMessage.request().requested(wanted));
                assertThat(nak.messageType()).as(Ipv4Address.toString(wanted)).isEqualTo(6);
            }
        }
    }

    @Test
    void selectingRequestForDifferentAddressThanOfferedGetsItIfFree() {
        try (VirtualGuest g = guest()) {
            exchange(g, ClientMessage.discover());
            ServerReply ack = exchange(g, ClientMessage.request().serverId(GATEWAY).requested(ip("10.0.2.21")));
            assertThat(ack.messageType()).isEqualTo(5);
            assertThat(ack.yiaddr).isEqualTo(ip("10.0.2.21"));
            // The offered address is no longer held for it.
            ServerReply other = exchange(g, ClientMessage.discover().mac(mac(9)));
            assertThat(other.yiaddr).isEqualTo(POOL_FIRST);
        }
    }

    @Test
    void requestNamingAnotherServerWithdrawsOfferWithoutReply() {
        try (VirtualGuest g = guest(DhcpConfig.builder().poolSize(1).build())) {
            exchange(g, ClientMessage.discover().mac(mac(1)));
            noReply(g, ClientMessage.discover().mac(mac(2)));
            noReply(g, ClientMessage.request().mac(mac(1)).serverId(ip("10.0.2.99")).requested(POOL_FIRST));
            assertThat(counters(g).get(DhcpCounter.OTHER_SERVER_SELECTED)).isEqualTo(1);
            ServerReply offer = exchange(g, ClientMessage.discover().mac(mac(2)));
            assertThat(offer.yiaddr).isEqualTo(POOL_FIRST);
        }
    }

    @Test
    void selectingRequestWithoutRequestedAddressIsCountedAndUnanswered() {
        try (VirtualGuest g = guest()) {
            exchange(g, ClientMessage.discover());
            noReply(g, ClientMessage.request().serverId(GATEWAY));
            noReply(g, ClientMessage.request());
            assertThat(counters(g).get(DhcpCounter.MISSING_OPTION)).isEqualTo(2);
        }
    }

    // ---------------------------------------------------------------- RELEASE, DECLINE, INFORM

    @Test
    void releaseFreesTheAddressForOthers() {
        try (VirtualGuest g = guest(DhcpConfig.builder().poolSize(1).build())) {
            int a = dora(g, mac(1));
            noReply(g, ClientMessage.discover().mac(mac(2)));
            noReply(g, ClientMessage.of(7).mac(mac(1)).ciaddr(a).ip(a, GATEWAY).serverId(GATEWAY));
            assertThat(counters(g).get(DhcpCounter.RELEASE)).isEqualTo(1);
            assertThat(counters(g).get(DhcpCounter.LEASE_RELEASED)).isEqualTo(1);
            assertThat(dora(g, mac(2))).isEqualTo(a);
        }
    }

    @Test
    void releaseOfAnotherClientsAddressIsIgnored() {
        try (VirtualGuest g = guest(DhcpConfig.builder().poolSize(1).build())) {
            int a = dora(g, mac(1));
            noReply(g, ClientMessage.of(7).mac(mac(2)).ciaddr(a).ip(a, GATEWAY).serverId(GATEWAY));
            assertThat(counters(g).get(DhcpCounter.UNKNOWN_LEASE)).isEqualTo(1);
            noReply(g, ClientMessage.discover().mac(mac(2)));
            assertThat(counters(g).get(DhcpCounter.POOL_EXHAUSTED)).isEqualTo(1);
        }
    }

    @Test
    void releasedClientGetsItsAddressBackWhileNewClientsGetUnusedOnes() {
        try (VirtualGuest g = guest()) {
            int a = dora(g, mac(1));
            int b = dora(g, mac(2));
            noReply(g, ClientMessage.of(7).mac(mac(1)).ciaddr(a).ip(a, GATEWAY).serverId(GATEWAY));
            int c = dora(g, mac(3));
            assertThat(c).isNotIn(a, b);
            assertThat(dora(g, mac(1))).isEqualTo(a);
        }
    }

    @Test
    void declinedAddressIsQuarantinedAndCounted() {
        try (VirtualGuest g = guest(DhcpConfig.builder().poolSize(2).build())) {
            int a = dora(g, mac(1));
            noReply(g, ClientMessage.of(4).mac(mac(1)).requested(a).serverId(GATEWAY));
            assertThat(counters(g).get(DhcpCounter.DECLINE)).isEqualTo(1);
            assertThat(counters(g).get(DhcpCounter.ADDRESS_DECLINED)).isEqualTo(1);

            int next = dora(g, mac(1));
            assertThat(next).isNotEqualTo(a);
            noReply(g, ClientMessage.discover().mac(mac(2)));   // a quarantined, next bound
            g.advance(Duration.ofSeconds(DhcpServer.DECLINE_QUARANTINE_SECONDS + 1));
            assertThat(dora(g, mac(2))).isEqualTo(a);
        }
    }

    @Test
    void declineWithoutRequestedAddressIsMissingOption() {
        try (VirtualGuest g = guest()) {
            dora(g, GUEST_MAC);
            noReply(g, ClientMessage.of(4).serverId(GATEWAY));
            assertThat(counters(g).get(DhcpCounter.MISSING_OPTION)).isEqualTo(1);
            assertThat(counters(g).get(DhcpCounter.ADDRESS_DECLINED)).isZero();
        }
    }

    @Test
    void informGetsAckWithConfigurationButNoAddressOrLease() {
        try (VirtualGuest g = guest(DhcpConfig.builder().domainName("example.test").build())) {
            int own = ip("10.0.2.200");
            ServerReply ack = exchange(g, ClientMessage.of(8).ciaddr(own).ip(own, GATEWAY));
            assertThat(ack.messageType()).isEqualTo(5);
            assertThat(ack.yiaddr).isZero();
            assertThat(ack.ciaddr).isEqualTo(own);
            assertThat(ack.has(51) || ack.has(58) || ack.has(59)).isFalse();
            assertThat(ack.int32(54)).isEqualTo(GATEWAY);
            assertThat(ack.int32(1)).isEqualTo(ip("255.255.255.0"));
            assertThat(ack.int32(3)).isEqualTo(GATEWAY);
            assertThat(ack.int32(6)).isEqualTo(DNS);
            assertThat(ack.text(15)).isEqualTo("example.test");
            assertThat(ack.ipDst).isEqualTo(BROADCAST);
            assertThat(counters(g).get(DhcpCounter.INFORM)).isEqualTo(1);
            assertThat(counters(g).get(DhcpCounter.ACK_SENT)).isEqualTo(1);
        }
    }

    // ---------------------------------------------------------------- BOOTP (RFC 951, 1534)

    @Test
    void bootpClientGetsBootReplyWithAddressAndNoDhcpOptions() {
        try (VirtualGuest g = guest(DhcpConfig.builder().bootfile("pxelinux.0").build())) {
            ServerReply r = exchange(g, ClientMessage.of(0).broadcastFlag());
            assertThat(r.op).isEqualTo(2);
            assertThat(r.yiaddr).isEqualTo(POOL_FIRST);
            assertThat(r.siaddr).isEqualTo(GATEWAY);
            assertThat(r.file).isEqualTo("pxelinux.0");
            assertThat(r.length).isEqualTo(300);
            assertThat(r.has(53) || r.has(54) || r.has(51) || r.has(58) || r.has(59)).isFalse();
            assertThat(r.int32(1)).isEqualTo(ip("255.255.255.0"));
            assertThat(r.int32(3)).isEqualTo(GATEWAY);
            assertThat(r.int32(6)).isEqualTo(DNS);
            assertThat(r.ipDst).isEqualTo(BROADCAST);
            assertThat(counters(g).get(DhcpCounter.BOOTP_REQUEST)).isEqualTo(1);
            assertThat(counters(g).get(DhcpCounter.BOOTP_REPLY_SENT)).isEqualTo(1);
        }
    }

    @Test
    void bootpBindingDoesNotExpire() {
        try (VirtualGuest g = guest(DhcpConfig.builder().poolSize(1).build())) {
            ServerReply r = exchange(g, ClientMessage.of(0).mac(mac(1)));
            assertThat(r.yiaddr).isEqualTo(POOL_FIRST);
            assertThat(r.ipDst).isEqualTo(POOL_FIRST);
            g.advance(Duration.ofDays(30));
            noReply(g, ClientMessage.discover().mac(mac(2)));
            assertThat(exchange(g, ClientMessage.of(0).mac(mac(1))).yiaddr).isEqualTo(POOL_FIRST);
        }
    }

    // ---------------------------------------------------------------- leases

    @Test
    void staticLeaseByMacIsOfferedAndAckedAndReservedFromPool() {
        int fixed = ip("10.0.2.20");   // inside the dynamic range: taken out of the pool
        DhcpConfig config = DhcpConfig.builder().staticLease(mac(1), fixed).build();
        try (VirtualGuest g = guest(config)) {
            assertThat(dora(g, mac(1))).isEqualTo(fixed);
            ServerReply nak = exchange(g, ClientMessage.request().mac(mac(1)).requested(POOL_FIRST));
            assertThat(nak.messageType()).isEqualTo(6);

            Set<Integer> others = new HashSet<>();
            for (int i = 2; i < 17; i++) {
                others.add(dora(g, mac(i)));
            }
            assertThat(others).hasSize(15).doesNotContain(fixed);
            noReply(g, ClientMessage.discover().mac(mac(17)));
            assertThat(exchange(g, ClientMessage.request().mac(mac(99)).requested(fixed)).messageType()).isEqualTo(6);
        }
    }

    @Test
    void staticLeaseOutsideTheNetworkOrTwiceIsAConfigError() {
        DhcpConfig outside = DhcpConfig.builder().staticLease(mac(1), ip("192.168.1.5")).build();
        assertThatThrownBy(() -> VirtualGuest.embedded(new DhcpServer(outside)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("dhcp-static").hasMessageContaining("10.0.2.0/24");
        DhcpConfig onGateway = DhcpConfig.builder().staticLease(mac(1), GATEWAY).build();
        assertThatThrownBy(() -> VirtualGuest.embedded(new DhcpServer(onGateway))).isInstanceOf(ConfigException.class);
        DhcpConfig twice = DhcpConfig.builder().staticLease(mac(1), ip("10.0.2.50")).staticLease(mac(2), ip("10.0.2.50"))
                .build();
        assertThatThrownBy(() -> VirtualGuest.embedded(new DhcpServer(twice)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("two MACs");
    }

    @Test
    void thousandsOfDistinctClientsCannotGrowTheLeaseTable() {
        DhcpServer server = new DhcpServer(DhcpConfig.defaults());
        try (VirtualGuest g = VirtualGuest.embedded(server)) {
            for (int i = 0; i < 2000; i++) {
                byte[] id = {(byte) 0xff, (byte) (i >> 8), (byte) i, 1, 2, 3, 4, 5};
                g.send(ClientMessage.discover().mac(mac(i + 1)).clientId(id).frame());
                ByteBuf f;
                while ((f = g.sink().poll()) != null) {
                    f.release();
                }
            }
            assertThat(counters(g).get(DhcpCounter.OFFER_SENT)).isEqualTo(16);
            assertThat(counters(g).get(DhcpCounter.POOL_EXHAUSTED)).isEqualTo(2000 - 16);
            g.onLoop(() -> assertThat(server.activeLeases()).hasSize(16));
            assertThat(server.poolSize()).isEqualTo(16);
        }
    }

    @Test
    void staticLeaseParsedFromQemuStyleSpec() {
        DhcpConfig config = DhcpConfig.builder().staticLease("0a:00:00:00:00:05=10.0.2.50").build();
        try (VirtualGuest g = guest(config)) {
            assertThat(dora(g, mac(5))).isEqualTo(ip("10.0.2.50"));
        }
    }

    @Test
    void returningClientGetsSameAddressAfterExpiry() {
        try (VirtualGuest g = guest()) {
            int a = dora(g, mac(1));
            g.advance(Duration.ofHours(25));
            int b = dora(g, mac(2));
            assertThat(b).isNotEqualTo(a);
            assertThat(dora(g, mac(1))).isEqualTo(a);
        }
    }

    @Test
    void discoverWithRequestedFreeAddressIsOfferedThatAddress() {
        try (VirtualGuest g = guest()) {
            ServerReply offer = exchange(g, ClientMessage.discover().requested(ip("10.0.2.25")));
            assertThat(offer.yiaddr).isEqualTo(ip("10.0.2.25"));
            ServerReply outside = exchange(g, ClientMessage.discover().mac(mac(3)).requested(ip("10.0.2.99")));
            assertThat(outside.yiaddr).isEqualTo(POOL_FIRST);
        }
    }

    @Test
    void poolOfSixteenServesSixteenClientsAndRefusesTheSeventeenth() {
        try (VirtualGuest g = guest()) {
            Set<Integer> given = new HashSet<>();
            for (int i = 1; i <= 16; i++) {
                given.add(dora(g, mac(i)));
            }
            assertThat(given).hasSize(16);
            for (int a : given) {
                assertThat(a - POOL_FIRST).isBetween(0, 15);
            }
            noReply(g, ClientMessage.discover().mac(mac(17)));
            assertThat(counters(g).get(DhcpCounter.POOL_EXHAUSTED)).isEqualTo(1);
            ServerReply nak = exchange(g, ClientMessage.request().mac(mac(17)).requested(POOL_FIRST + 3));
            assertThat(nak.messageType()).isEqualTo(6);
            noReply(g, ClientMessage.of(0).mac(mac(18)));
            assertThat(counters(g).get(DhcpCounter.POOL_EXHAUSTED)).isEqualTo(2);
        }
    }

    @Test
    void expiredLeasesAndUnansweredOffersFreeTheirAddresses() {
        try (VirtualGuest g = guest(DhcpConfig.builder().poolSize(2).build())) {
            dora(g, mac(1));
            exchange(g, ClientMessage.discover().mac(mac(2)));     // offered, never requested
            noReply(g, ClientMessage.discover().mac(mac(3)));
            g.advance(Duration.ofSeconds(DhcpServer.OFFER_HOLD_SECONDS + 1));
            assertThat(dora(g, mac(3))).isEqualTo(POOL_FIRST + 1);
            noReply(g, ClientMessage.discover().mac(mac(4)));
            g.advance(Duration.ofHours(24));
            assertThat(exchange(g, ClientMessage.discover().mac(mac(4))).messageType()).isEqualTo(2);
        }
    }

    @Test
    void clientIdentifierIdentifiesTheClientAndIsEchoed() {
        byte[] idA = {1, 0x0a, 0, 0, 0, 0, 1};
        byte[] idB = {0, 'v', 'm', '-', 'b'};
        try (VirtualGuest g = guest()) {
            ServerReply a = exchange(g, ClientMessage.discover().clientId(idA));
            assertThat(a.options.get(61)).isEqualTo(idA);
            ServerReply b = exchange(g, ClientMessage.discover().clientId(idB));
            assertThat(b.yiaddr).as("same chaddr, another client id: another client").isNotEqualTo(a.yiaddr);
            ServerReply ack = exchange(g, ClientMessage.request().mac(mac(42)).clientId(idA)
                    .serverId(GATEWAY).requested(a.yiaddr));
            assertThat(ack.messageType()).as("same client id from another NIC").isEqualTo(5);
            assertThat(ack.options.get(61)).isEqualTo(idA);
            assertThat(ack.ethDst).isEqualTo(mac(42));
        }
    }

    @Test
    void dhcpToAnotherHostIsLeftToOtherServices() {
        try (VirtualGuest g = guest()) {
            g.send(ClientMessage.discover().ip(0, ip("10.0.2.99")).frame());
            g.expectNothing();
            assertThat(counters(g).total()).isZero();
            assertThat(g.network().stats().drops().get(DropReason.NO_SERVICE)).isEqualTo(1);
        }
    }

    @Test
    void dhcpToGatewayOrNetworkBroadcastIsServed() {
        try (VirtualGuest g = guest()) {
            assertThat(exchange(g, ClientMessage.discover().ip(0, GATEWAY)).messageType()).isEqualTo(2);
            assertThat(exchange(g, ClientMessage.discover().ip(0, ip("10.0.2.255"))).messageType()).isEqualTo(2);
        }
    }

    @Test
    void customNetworkIsReflectedInAddressesAndOptions() {
        NetworkConfig net = NetworkConfig.builder().net("192.168.76.0/22").dhcpStart("192.168.77.9").mtu(1400).build();
        try (VirtualGuest g = VirtualGuest.embedded(net, new DhcpServer(DhcpConfig.defaults()))) {
            ServerReply offer = exchange(g, ClientMessage.discover().broadcastFlag());
            assertThat(offer.yiaddr).isEqualTo(ip("192.168.77.9"));
            assertThat(offer.int32(1)).isEqualTo(ip("255.255.252.0"));
            assertThat(offer.int32(3)).isEqualTo(ip("192.168.76.2"));
            assertThat(offer.int32(6)).isEqualTo(ip("192.168.76.3"));
            assertThat(offer.int32(28)).isEqualTo(ip("192.168.79.255"));
            assertThat(offer.int32(54)).isEqualTo(ip("192.168.76.2"));
            assertThat(offer.int16(26)).isEqualTo(1400);
            assertThat(offer.ipSrc).isEqualTo(ip("192.168.76.2"));
        }
    }

    @Test
    void poolRunningPastTheNetworkEndSkipsBroadcastAndOutsideAddresses() {
        NetworkConfig net = NetworkConfig.builder().dhcpStart("10.0.2.250").build();
        try (VirtualGuest g = VirtualGuest.embedded(net, new DhcpServer(DhcpConfig.defaults()))) {
            Set<Integer> given = new HashSet<>();
            for (int i = 1; i <= 5; i++) {
                given.add(dora(g, mac(i)));
            }
            assertThat(given).containsExactlyInAnyOrder(ip("10.0.2.250"), ip("10.0.2.251"), ip("10.0.2.252"),
                    ip("10.0.2.253"), ip("10.0.2.254"));
            noReply(g, ClientMessage.discover().mac(mac(6)));
        }
    }
}
