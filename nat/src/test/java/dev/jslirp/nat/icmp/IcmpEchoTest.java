package dev.jslirp.nat.icmp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.PcapFrames;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.Checksums;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.nat.EpollTestChannels;
import dev.jslirp.nat.IcmpEcho;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.Await;
import dev.jslirp.nat.NatService;
import dev.jslirp.nat.RoutedNamespaces;
import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IcmpV4CommonPacket;
import org.pcap4j.packet.IcmpV4EchoReplyPacket;
import org.pcap4j.packet.IcmpV6CommonPacket;
import org.pcap4j.packet.IcmpV6EchoReplyPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.namednumber.IcmpV4Code;
import org.pcap4j.packet.namednumber.IcmpV4Type;
import org.pcap4j.util.IpV4Helper;

/**
 * The guest's pings to other hosts through the ICMP NAT, on the epoll transport, with the
 * NAT's sockets inside a namespace ({@link RoutedNamespaces}): the host pinged is the router
 * one veth hop away, which answers with its own kernel. Frames to the guest are decoded by
 * pcap4j. Ping sockets are allowed by the namespace's {@code net.ipv4.ping_group_range};
 * raw ones by the test's root.
 */
class IcmpEchoTest {
    private static final Duration QUIET = Duration.ofMillis(300);
    private static final int ROUTER = Ipv4Address.parse(RoutedNamespaces.ROUTER);
    private static final IpAddress ROUTER6 = IpAddress.parse(RoutedNamespaces.ROUTER6);
    private static RoutedNamespaces ns;

    @BeforeAll
    static void namespaces() {
        EpollTestChannels.ensureAvailable();
        ns = RoutedNamespaces.create("0 2147483647");
    }

    @AfterAll
    static void cleanUp() {
        if (ns != null) {
            ns.close();
            assertThat(ns.exists()).as("namespaces deleted").isFalse();
        }
    }

    private static VirtualGuest guest(NatService nat) {
        return ns.guest(true, NetworkConfig.defaults(), nat);
    }

    private static Counters<IcmpCounter> counters(VirtualGuest g) {
        return g.network().stats().service("nat.icmp", IcmpCounter.class);
    }

    private static byte[] data(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** The next frame: an echo reply from {@code from} to the guest with valid checksums. */
    private static IcmpV4EchoReplyPacket expectReply4(VirtualGuest g, int from) throws Exception {
        IpV4Packet ip = PcapFrames.decode(g.expectFrame()).get(IpV4Packet.class);
        assertThat(ip.getHeader().hasValidChecksum(false)).isTrue();
        assertThat(ip.getHeader().getSrcAddr()).isEqualTo(Ipv4Address.toInetAddress(from));
        assertThat(ip.getHeader().getDstAddr()).isEqualTo(Ipv4Address.toInetAddress(GuestFrames.GUEST_IP));
        assertThat(ip.get(IcmpV4CommonPacket.class).hasValidChecksum(false)).isTrue();
        IcmpV4EchoReplyPacket reply = ip.get(IcmpV4EchoReplyPacket.class);
        assertThat(reply).as("an echo reply").isNotNull();
        return reply;
    }

    private static IcmpV6EchoReplyPacket expectReply6(VirtualGuest g, IpAddress from) throws Exception {
        IpV6Packet ip = PcapFrames.decode(g.expectFrame()).get(IpV6Packet.class);
        assertThat(ip.getHeader().getSrcAddr()).isEqualTo(from.toInetAddress());
        assertThat(ip.getHeader().getDstAddr()).isEqualTo(GuestFrames6.GUEST6.toInetAddress());
        IcmpV6CommonPacket icmp = ip.get(IcmpV6CommonPacket.class);
        assertThat(icmp.hasValidChecksum(ip.getHeader().getSrcAddr(), ip.getHeader().getDstAddr(), false)).isTrue();
        IcmpV6EchoReplyPacket reply = ip.get(IcmpV6EchoReplyPacket.class);
        assertThat(reply).as("an echo reply").isNotNull();
        return reply;
    }

    // ---------------------------------------------------------------- both kinds, both families

    @Test
    void pingToAnotherHostIsAnsweredWithTheGuestsIdentifierThroughPingSockets() throws Exception {
        pingIsAnsweredWithTheGuestsIdentifier(IcmpEcho.PING);
    }

    @Test
    void pingToAnotherHostIsAnsweredWithTheGuestsIdentifierThroughRawSockets() throws Exception {
        pingIsAnsweredWithTheGuestsIdentifier(IcmpEcho.RAW);
    }

    private void pingIsAnsweredWithTheGuestsIdentifier(IcmpEcho mode) throws Exception {
        NatService nat = new NatService(NatConfig.builder().icmpEcho(mode).build());
        try (VirtualGuest g = guest(nat)) {
            for (int seq = 1; seq <= 3; seq++) {
                byte[] payload = data(56, seq);
                g.send(GuestFrames.echoRequest(ROUTER, 0x4a2b, seq, payload));

                IcmpV4EchoReplyPacket reply = expectReply4(g, ROUTER);
                assertThat(reply.getHeader().getIdentifier()).isEqualTo((short) 0x4a2b);
                assertThat(reply.getHeader().getSequenceNumber()).isEqualTo((short) seq);
                assertThat(reply.getPayload().getRawData()).isEqualTo(payload);
            }
            Counters<IcmpCounter> c = counters(g);
            assertThat(c.get(IcmpCounter.ECHO_REQUESTS_TO_HOST)).isEqualTo(3);
            assertThat(c.get(IcmpCounter.ECHO_REPLIES_TO_GUEST)).isEqualTo(3);
            assertThat(c.get(IcmpCounter.SESSIONS_OPENED)).as("one identifier, one session").isEqualTo(1);
            assertThat(nat.icmp().description(false)).isEqualTo(mode == IcmpEcho.PING
                    ? "unprivileged ICMP sockets" : "a raw ICMP socket");
        }
    }

    @Test
    void ping6ToAnotherHostIsAnsweredWithTheGuestsIdentifierThroughPingSockets() throws Exception {
        ping6IsAnsweredWithTheGuestsIdentifier(IcmpEcho.PING);
    }

    @Test
    void ping6ToAnotherHostIsAnsweredWithTheGuestsIdentifierThroughRawSockets() throws Exception {
        ping6IsAnsweredWithTheGuestsIdentifier(IcmpEcho.RAW);
    }

    private void ping6IsAnsweredWithTheGuestsIdentifier(IcmpEcho mode) throws Exception {
        NatService nat = new NatService(NatConfig.builder().icmpEcho(mode).build());
        try (VirtualGuest g = guest(nat)) {
            for (int seq = 1; seq <= 2; seq++) {
                byte[] payload = data(56, seq);
                g.send(GuestFrames6.echoRequest(ROUTER6, 0x0777, seq, payload));

                IcmpV6EchoReplyPacket reply = expectReply6(g, ROUTER6);
                assertThat(reply.getHeader().getIdentifier()).isEqualTo((short) 0x0777);
                assertThat(reply.getHeader().getSequenceNumber()).isEqualTo((short) seq);
                assertThat(reply.getPayload().getRawData()).isEqualTo(payload);
            }
            assertThat(counters(g).get(IcmpCounter.ECHO_REPLIES_TO_GUEST)).isEqualTo(2);
        }
    }

    /** Two ping processes in the guest (two identifiers) each get their own replies. */
    @Test
    void twoIdentifiersAreTwoSessionsEachWithItsReplies() throws Exception {
        NatService nat = new NatService(NatConfig.builder().icmpEcho(IcmpEcho.PING).build());
        try (VirtualGuest g = guest(nat)) {
            g.send(GuestFrames.echoRequest(ROUTER, 100, 1, data(8, 1)));
            assertThat(expectReply4(g, ROUTER).getHeader().getIdentifier()).isEqualTo((short) 100);
            g.send(GuestFrames.echoRequest(ROUTER, 200, 1, data(8, 2)));
            assertThat(expectReply4(g, ROUTER).getHeader().getIdentifier()).isEqualTo((short) 200);
            g.send(GuestFrames.echoRequest(ROUTER, 100, 2, data(8, 3)));
            IcmpV4EchoReplyPacket third = expectReply4(g, ROUTER);
            assertThat(third.getHeader().getIdentifier()).isEqualTo((short) 100);
            assertThat(third.getHeader().getSequenceNumber()).isEqualTo((short) 2);
            assertThat(counters(g).get(IcmpCounter.SESSIONS_OPENED)).isEqualTo(2);
        }
    }

    /** A 4000-byte ping: the guest's fragments are reassembled, the reply (read whole) is fragmented to the MTU. */
    @Test
    void largePingCrossesBothWaysInFragments() throws Exception {
        NatService nat = new NatService(NatConfig.builder().icmpEcho(IcmpEcho.PING).build());
        try (VirtualGuest g = guest(nat)) {
            byte[] payload = data(4000, 9);
            for (ByteBuf f : GuestFrames.fragment(GuestFrames.echoRequest(ROUTER, 7, 1, payload), 1480)) {
                g.send(f);
            }
            List<IpV4Packet> pieces = new ArrayList<>();
            IpV4Packet last;
            do {
                last = PcapFrames.decode(g.expectFrame()).get(IpV4Packet.class);
                pieces.add(last);
            } while (last.getHeader().getMoreFragmentFlag());
            assertThat(pieces).hasSize(3);
            IcmpV4EchoReplyPacket reply = IpV4Helper.defragment(pieces).get(IcmpV4EchoReplyPacket.class);
            assertThat(reply.getHeader().getIdentifier()).isEqualTo((short) 7);
            assertThat(reply.getPayload().getRawData()).isEqualTo(payload);
        }
    }

    // ---------------------------------------------------------------- errors about the requests

    /** An echo request from the guest to {@code dst} with time to live {@code ttl} (IPv4 checksum redone). */
    private static ByteBuf echoWithTtl(int dst, int id, int seq, int ttl) {
        ByteBuf f = GuestFrames.echoRequest(dst, id, seq, data(16, seq));
        int ip = f.readerIndex() + EthernetFrame.HEADER_LENGTH;
        f.setByte(ip + 8, ttl);
        f.setShort(ip + 10, 0);
        f.setShort(ip + 10, ~Checksums.fold(Checksums.add(0, f, ip, 20)) & 0xffff);
        return f;
    }

    /** The next frame: an ICMP error from {@code from} with type and code, quoting the guest's echo request. */
    private static void expectErrorAboutEcho(VirtualGuest g, InetAddress from, int type, int code, String dst, int id,
                                             int seq) throws Exception {
        IpV4Packet ip = PcapFrames.decode(g.expectFrame(Duration.ofSeconds(5))).get(IpV4Packet.class);
        assertThat(ip.getHeader().getSrcAddr()).isEqualTo(from);
        IcmpV4CommonPacket icmp = ip.get(IcmpV4CommonPacket.class);
        assertThat(icmp.hasValidChecksum(false)).isTrue();
        assertThat(icmp.getHeader().getType().value() & 0xff).isEqualTo(type);
        assertThat(icmp.getHeader().getCode().value() & 0xff).isEqualTo(code);
        byte[] rest = icmp.getPayload().getRawData();
        byte[] quote = Arrays.copyOfRange(rest, 4, rest.length);
        assertThat(InetAddress.getByAddress(Arrays.copyOfRange(quote, 16, 20))).isEqualTo(InetAddress.getByName(dst));
        int ihl = (quote[0] & 0x0f) * 4;
        assertThat(quote[ihl] & 0xff).as("an echo request quoted").isEqualTo(8);
        assertThat(((quote[ihl + 4] & 0xff) << 8) | (quote[ihl + 5] & 0xff)).as("the guest's identifier").isEqualTo(id);
        assertThat(((quote[ihl + 6] & 0xff) << 8) | (quote[ihl + 7] & 0xff)).as("the request's sequence").isEqualTo(seq);
    }

    @Test
    void pingThatARouterCannotForwardGetsHostUnreachableThroughPingSockets() throws Exception {
        pingThatARouterCannotForwardGetsHostUnreachable(IcmpEcho.PING);
    }

    @Test
    void pingThatARouterCannotForwardGetsHostUnreachableThroughRawSockets() throws Exception {
        pingThatARouterCannotForwardGetsHostUnreachable(IcmpEcho.RAW);
    }

    /** The router's "host unreachable" reaches the guest from the gateway, quoting the request: ping says so. */
    private void pingThatARouterCannotForwardGetsHostUnreachable(IcmpEcho mode) throws Exception {
        NatService nat = new NatService(NatConfig.builder().icmpEcho(mode).build());
        try (VirtualGuest g = guest(nat)) {
            // The router's "unreachable" shares a per-sender budget with its other ICMP errors
            // (Linux's ip_error(): a token a second), so a request may go unanswered: ping on.
            int seq = 5;
            g.send(GuestFrames.echoRequest(Ipv4Address.parse(RoutedNamespaces.BEHIND_ROUTER), 0x0102, seq, data(16, 5)));
            while (g.sink().size() == 0 && seq < 8) {
                Thread.sleep(1200);
                if (g.sink().size() == 0) {
                    seq++;
                    g.send(GuestFrames.echoRequest(Ipv4Address.parse(RoutedNamespaces.BEHIND_ROUTER), 0x0102, seq,
                            data(16, seq)));
                }
            }
            expectErrorAboutEcho(g, InetAddress.getByName("10.0.2.2"), 3, 1, RoutedNamespaces.BEHIND_ROUTER, 0x0102, seq);
            assertThat(counters(g).get(IcmpCounter.ICMP_ERRORS_TO_GUEST)).isEqualTo(1);
        }
    }

    @Test
    void pingWithTtl2GetsTimeExceededFromTheRouterThroughPingSockets() throws Exception {
        pingWithTtl2GetsTimeExceededFromTheRouter(IcmpEcho.PING);
    }

    @Test
    void pingWithTtl2GetsTimeExceededFromTheRouterThroughRawSockets() throws Exception {
        pingWithTtl2GetsTimeExceededFromTheRouter(IcmpEcho.RAW);
    }

    /**
     * {@code traceroute -I}'s probe: the guest's TTL less one goes out with the request, which
     * dies at the router; its time exceeded reaches the guest from the router, quoting the
     * request with the guest's identifier and the probe's sequence number. The usual TTL goes
     * past the router (and is lost beyond it).
     */
    private void pingWithTtl2GetsTimeExceededFromTheRouter(IcmpEcho mode) throws Exception {
        NatService nat = new NatService(NatConfig.builder().icmpEcho(mode).build());
        try (VirtualGuest g = guest(nat)) {
            g.send(echoWithTtl(Ipv4Address.parse(RoutedNamespaces.FAR_AWAY), 0x0303, 1, 2));
            expectErrorAboutEcho(g, InetAddress.getByName(RoutedNamespaces.ROUTER), 11, 0, RoutedNamespaces.FAR_AWAY,
                    0x0303, 1);

            g.send(echoWithTtl(Ipv4Address.parse(RoutedNamespaces.FAR_AWAY), 0x0303, 2, 64));
            g.expectNothing(QUIET);
            g.send(echoWithTtl(Ipv4Address.parse(RoutedNamespaces.FAR_AWAY), 0x0303, 3, 2));
            expectErrorAboutEcho(g, InetAddress.getByName(RoutedNamespaces.ROUTER), 11, 0, RoutedNamespaces.FAR_AWAY,
                    0x0303, 3);
        }
    }

    @Test
    void ping6WithHopLimit2GetsTimeExceededFromTheRouter() throws Exception {
        NatService nat = new NatService(NatConfig.builder().icmpEcho(IcmpEcho.PING).build());
        try (VirtualGuest g = guest(nat)) {
            byte[] body = {0x04, 0x04, 0x00, 0x09, 1, 2, 3, 4};   // identifier 0x0404, sequence 9, data
            g.send(GuestFrames6.icmpv6(GuestFrames6.GUEST6, IpAddress.parse(RoutedNamespaces.FAR_AWAY6), 2, 128, 0,
                    body));

            IpV6Packet ip = PcapFrames.decode(g.expectFrame(Duration.ofSeconds(5))).get(IpV6Packet.class);
            assertThat(ip.getHeader().getSrcAddr()).isEqualTo(InetAddress.getByName(RoutedNamespaces.ROUTER6));
            IcmpV6CommonPacket icmp = ip.get(IcmpV6CommonPacket.class);
            assertThat(icmp.hasValidChecksum(ip.getHeader().getSrcAddr(), ip.getHeader().getDstAddr(), false)).isTrue();
            assertThat(icmp.getHeader().getType().value() & 0xff).as("time exceeded").isEqualTo(3);
            byte[] quote = Arrays.copyOfRange(icmp.getPayload().getRawData(), 4, icmp.getPayload().getRawData().length);
            assertThat(quote[40] & 0xff).as("an echo request quoted").isEqualTo(128);
            assertThat(((quote[44] & 0xff) << 8) | (quote[45] & 0xff)).isEqualTo(0x0404);
            assertThat(((quote[46] & 0xff) << 8) | (quote[47] & 0xff)).isEqualTo(9);
        }
    }

    // ---------------------------------------------------------------- refusals and bounds

    /** With neither kind allowed the guest gets nothing, and the counter says why. */
    @Test
    void whenPingSocketsAreNotAllowedThePingIsDroppedAndCounted() throws Exception {
        try (RoutedNamespaces closed = RoutedNamespaces.create("1 0")) {
            NatService nat = new NatService(NatConfig.builder().icmpEcho(IcmpEcho.PING).build());
            try (VirtualGuest g = closed.guest(true, NetworkConfig.defaults(), nat)) {
                g.send(GuestFrames.echoRequest(ROUTER, 1, 1, data(8, 1)));
                g.expectNothing(QUIET);
                assertThat(counters(g).get(IcmpCounter.DROPPED_NOT_PERMITTED)).isEqualTo(1);
                assertThat(counters(g).get(IcmpCounter.ECHO_REQUESTS_TO_HOST)).isZero();
                assertThat(nat.icmp().description(false)).contains("net.ipv4.ping_group_range");
            }
        }
    }

    /**
     * {@code --outbound-addr}: the ICMP sockets are bound to it as libslirp binds its own.
     * Bound to the namespace's own address the ping is answered; bound to its loopback the
     * kernel will not send it towards the router, so no reply can come.
     */
    @Test
    void pingSocketsAreBoundToTheOutboundAddress() throws Exception {
        for (IcmpEcho mode : new IcmpEcho[] {IcmpEcho.PING, IcmpEcho.RAW}) {
            NatService routed = new NatService(NatConfig.builder().icmpEcho(mode)
                    .outboundAddress(InetAddress.getByName(RoutedNamespaces.HOST)).build());
            try (VirtualGuest g = guest(routed)) {
                g.send(GuestFrames.echoRequest(ROUTER, 0x0b0b, 1, data(8, 1)));
                assertThat(expectReply4(g, ROUTER).getHeader().getIdentifier()).as(mode.toString())
                        .isEqualTo((short) 0x0b0b);
            }
            NatService loopback = new NatService(NatConfig.builder().icmpEcho(mode)
                    .outboundAddress(InetAddress.getByName("127.0.0.1")).build());
            try (VirtualGuest g = guest(loopback)) {
                g.send(GuestFrames.echoRequest(ROUTER, 0x0c0c, 1, data(8, 1)));
                g.expectNothing(QUIET);
                assertThat(counters(g).get(IcmpCounter.ECHO_REPLIES_TO_GUEST)).as(mode.toString()).isZero();
            }
        }
    }

    @Test
    void icmpEchoOffDropsAndCounts() throws Exception {
        NatService nat = new NatService(NatConfig.builder().icmpEcho(IcmpEcho.OFF).build());
        try (VirtualGuest g = guest(nat)) {
            g.send(GuestFrames.echoRequest(ROUTER, 1, 1, data(8, 1)));
            g.send(GuestFrames6.echoRequest(ROUTER6, 1, 1, data(8, 1)));
            g.expectNothing(QUIET);
            assertThat(counters(g).get(IcmpCounter.DROPPED_OFF)).isEqualTo(2);
        }
    }

    /** The JDK has no ICMP sockets: on NIO pings to other hosts are dropped and counted as unsupported. */
    @Test
    void onNioThePingIsDroppedAsUnsupported() throws Exception {
        NatService nat = new NatService(NatConfig.defaults());
        try (VirtualGuest g = ns.guest(false, NetworkConfig.defaults(), nat)) {
            g.send(GuestFrames.echoRequest(ROUTER, 1, 1, data(8, 1)));
            g.expectNothing(QUIET);
            assertThat(counters(g).get(IcmpCounter.DROPPED_UNSUPPORTED)).isEqualTo(1);
            assertThat(nat.icmp().description(false)).contains("epoll");
        }
    }

    /** A flood is held to the rate: 5 per second here, in a burst of 5. */
    @Test
    void aFloodIsHeldToTheRate() throws Exception {
        NatService nat = new NatService(NatConfig.builder().icmpEcho(IcmpEcho.PING).icmpEchoRate(5).build());
        try (VirtualGuest g = guest(nat)) {
            for (int seq = 0; seq < 20; seq++) {
                g.send(GuestFrames.echoRequest(ROUTER, 9, seq, data(8, seq)));
            }
            for (int i = 0; i < 5; i++) {
                expectReply4(g, ROUTER);
            }
            g.expectNothing(QUIET);
            Counters<IcmpCounter> c = counters(g);
            assertThat(c.get(IcmpCounter.ECHO_REQUESTS_TO_HOST)).isEqualTo(5);
            assertThat(c.get(IcmpCounter.DROPPED_RATE_LIMIT)).isEqualTo(15);
        }
    }

    @Test
    void sessionsBeyondTheBoundEvictTheLeastRecentlyUsed() throws Exception {
        NatService nat = new NatService(NatConfig.builder().icmpEcho(IcmpEcho.PING).maxIcmpSessions(2).build());
        try (VirtualGuest g = guest(nat)) {
            for (int id : new int[] {1, 2, 1, 3}) {
                g.send(GuestFrames.echoRequest(ROUTER, id, 1, data(8, id)));
                assertThat(expectReply4(g, ROUTER).getHeader().getIdentifier()).isEqualTo((short) id);
            }
            Counters<IcmpCounter> c = counters(g);
            assertThat(c.get(IcmpCounter.SESSIONS_OPENED)).isEqualTo(3);
            assertThat(c.get(IcmpCounter.SESSIONS_EVICTED)).isEqualTo(1);
            assertThat(g.network().eventLoop().submit(nat.icmp()::sessionCount).get()).isEqualTo(2);
        }
    }

    @Test
    void idleSessionsClose() throws Exception {
        NatService nat = new NatService(NatConfig.builder().icmpEcho(IcmpEcho.PING)
                .icmpIdleTimeout(Duration.ofMillis(200)).build());
        try (VirtualGuest g = guest(nat)) {
            g.send(GuestFrames.echoRequest(ROUTER, 5, 1, data(8, 1)));
            expectReply4(g, ROUTER);
            Await.until("the idle session to close", () -> counters(g).get(IcmpCounter.SESSIONS_IDLE_CLOSED) == 1);
            g.send(GuestFrames.echoRequest(ROUTER, 5, 2, data(8, 2)));
            assertThat(expectReply4(g, ROUTER).getHeader().getSequenceNumber()).isEqualTo((short) 2);
            assertThat(counters(g).get(IcmpCounter.SESSIONS_OPENED)).isEqualTo(2);
        }
    }

    /** {@code restrict=on}: no echo leaves; the guest hears "prohibited" from the gateway, as for UDP. */
    @Test
    void restrictOnRefusesWithAdminProhibited() throws Exception {
        NatService nat = new NatService(NatConfig.builder().icmpEcho(IcmpEcho.PING).build());
        try (VirtualGuest g = ns.guest(true, NetworkConfig.builder().restrict(true).build(), nat)) {
            g.send(GuestFrames.echoRequest(ROUTER, 1, 1, data(8, 1)));
            EthernetPacket eth = PcapFrames.decode(g.expectFrame());
            IpV4Packet ip = eth.get(IpV4Packet.class);
            assertThat(ip.getHeader().getSrcAddr()).isEqualTo(InetAddress.getByName("10.0.2.2"));
            IcmpV4CommonPacket icmp = eth.get(IcmpV4CommonPacket.class);
            assertThat(icmp.getHeader().getType()).isEqualTo(IcmpV4Type.DESTINATION_UNREACHABLE);
            assertThat(icmp.getHeader().getCode()).isEqualTo(IcmpV4Code.COMMUNICATION_PROHIBITED);
            assertThat(counters(g).get(IcmpCounter.REFUSED_DESTINATION)).isEqualTo(1);
            assertThat(counters(g).get(IcmpCounter.ECHO_REQUESTS_TO_HOST)).isZero();
        }
    }

    /** Echo to the network's own addresses stays the core's; other ICMP from the guest is not the NAT's. */
    @Test
    void echoToTheGatewayIsTheCoresAndOtherIcmpIsLeftAlone() throws Exception {
        NatService nat = new NatService(NatConfig.builder().icmpEcho(IcmpEcho.PING).build());
        try (VirtualGuest g = guest(nat)) {
            g.send(GuestFrames.echoRequest(GuestFrames.GATEWAY, 1, 1, data(8, 1)));
            expectReply4(g, GuestFrames.GATEWAY);
            g.send(GuestFrames.echoRequest(Ipv4Address.parse("224.0.0.1"), 1, 2, data(8, 2)));
            g.expectNothing(QUIET);
            assertThat(counters(g).get(IcmpCounter.ECHO_REQUESTS_TO_HOST)).isZero();
            assertThat(counters(g).get(IcmpCounter.SESSIONS_OPENED)).isZero();
        }
    }
}
