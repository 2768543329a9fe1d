package dev.jslirp.nat;

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
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.nat.tcp.TcpCounter;
import dev.jslirp.nat.udp.UdpCounter;
import io.netty.buffer.ByteBuf;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IcmpV4CommonPacket;
import org.pcap4j.packet.IcmpV6CommonPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.IpV6Packet;

/**
 * What the guest hears when the host finds no way to a destination, with the NAT's
 * sockets in a namespace behind a real router ({@link RoutedNamespaces}): ICMP and ICMPv6
 * errors for TCP connects and UDP datagrams, the ones a router on the way would send, each
 * quoting the guest's packet so its stack finds the socket. Run per transport by the
 * subclasses; where NIO cannot hear an error (an unconnected UDP socket's error queue), the
 * test says so.
 */
abstract class HostUnreachableTest {
    private static final Duration QUIET = Duration.ofMillis(500);
    private static final int SYN_SEQ = 0x1234_5678;
    private static final int GATEWAY = GuestFrames.GATEWAY;
    private static final IpAddress GATEWAY6 = GuestFrames6.HOST6;
    private static RoutedNamespaces ns;

    /** True for the epoll transport, false for NIO. */
    abstract boolean epoll();

    @BeforeAll
    static void namespaces() {
        EpollTestChannels.ensureAvailable();
        ns = RoutedNamespaces.create("1 0");
    }

    @AfterAll
    static void cleanUp() {
        if (ns != null) {
            ns.close();
            assertThat(ns.exists()).as("namespaces deleted").isFalse();
        }
    }

    private VirtualGuest guest(NatService nat) {
        return ns.guest(epoll(), NetworkConfig.defaults(), nat);
    }

    private static NatService nat() {
        return new NatService(NatConfig.builder().udpFiltering(UdpFiltering.ENDPOINT).build());
    }

    private static Counters<TcpCounter> tcp(VirtualGuest g) {
        return g.network().stats().service("nat.tcp", TcpCounter.class);
    }

    private static Counters<UdpCounter> udp(VirtualGuest g) {
        return g.network().stats().service("nat.udp", UdpCounter.class);
    }

    /** An ICMP error to the guest, and the packet it quotes. */
    private record Icmp(InetAddress from, int type, int code, byte[] quote) {
        int u16(int off) {
            return ((quote[off] & 0xff) << 8) | (quote[off + 1] & 0xff);
        }

        int u32(int off) {
            return (u16(off) << 16) | u16(off + 2);
        }
    }

    private static Icmp expectIcmp(VirtualGuest g) throws Exception {
        EthernetPacket eth = PcapFrames.decode(g.expectFrame(Duration.ofSeconds(10)));
        IpV4Packet ip = eth.get(IpV4Packet.class);
        if (ip != null) {
            IcmpV4CommonPacket icmp = eth.get(IcmpV4CommonPacket.class);
            assertThat(icmp).as("an ICMP message: %s", eth).isNotNull();
            assertThat(icmp.hasValidChecksum(false)).isTrue();
            byte[] rest = icmp.getPayload().getRawData();
            return new Icmp(ip.getHeader().getSrcAddr(), icmp.getHeader().getType().value() & 0xff,
                    icmp.getHeader().getCode().value() & 0xff, Arrays.copyOfRange(rest, 4, rest.length));
        }
        IpV6Packet ip6 = eth.get(IpV6Packet.class);
        IcmpV6CommonPacket icmp = eth.get(IcmpV6CommonPacket.class);
        assertThat(icmp).as("an ICMPv6 message: %s", eth).isNotNull();
        assertThat(icmp.hasValidChecksum(ip6.getHeader().getSrcAddr(), ip6.getHeader().getDstAddr(), false)).isTrue();
        byte[] rest = icmp.getPayload().getRawData();
        return new Icmp(ip6.getHeader().getSrcAddr(), icmp.getHeader().getType().value() & 0xff,
                icmp.getHeader().getCode().value() & 0xff, Arrays.copyOfRange(rest, 4, rest.length));
    }

    /** Checks that {@code e} quotes the guest's IPv4 packet to {@code dst} with these ports. */
    private static void quotes4(Icmp e, String dst, int srcPort, int dstPort) throws Exception {
        assertThat(e.quote().length).isGreaterThanOrEqualTo(28);
        assertThat(e.u32(12)).isEqualTo(GuestFrames.GUEST_IP);
        assertThat(e.u32(16)).isEqualTo(Ipv4Address.parse(dst));
        int ihl = (e.quote()[0] & 0x0f) * 4;
        assertThat(e.u16(ihl)).isEqualTo(srcPort);
        assertThat(e.u16(ihl + 2)).isEqualTo(dstPort);
    }

    private static void quotes6(Icmp e, String dst, int srcPort, int dstPort) throws Exception {
        assertThat(e.quote().length).isGreaterThanOrEqualTo(48);
        assertThat(InetAddress.getByAddress(Arrays.copyOfRange(e.quote(), 8, 24)))
                .isEqualTo(GuestFrames6.GUEST6.toInetAddress());
        assertThat(InetAddress.getByAddress(Arrays.copyOfRange(e.quote(), 24, 40)))
                .isEqualTo(InetAddress.getByName(dst));
        assertThat(e.u16(40)).isEqualTo(srcPort);
        assertThat(e.u16(42)).isEqualTo(dstPort);
    }

    private static ByteBuf syn(String dst, int port) {
        return GuestFrames.tcp(Ipv4Address.parse(dst), t -> t.from(40001).to(port).seq(SYN_SEQ).flags(TcpPacket.SYN)
                .mss(1460));
    }

    private static ByteBuf syn6(String dst, int port) {
        return GuestFrames6.tcp(IpAddress.parse(dst), t -> t.from(40001).to(port).seq(SYN_SEQ).flags(TcpPacket.SYN)
                .mss(1440));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** A guest UDP datagram to {@code dst} with time to live {@code ttl} (IPv4 checksum redone). */
    private static ByteBuf udp(String dst, int port, int ttl) {
        ByteBuf f = GuestFrames.udp(40002, Ipv4Address.parse(dst), port, ascii("probe"));
        int ip = f.readerIndex() + EthernetFrame.HEADER_LENGTH;
        f.setByte(ip + 8, ttl);
        f.setShort(ip + 10, 0);
        f.setShort(ip + 10, ~Checksums.fold(Checksums.add(0, f, ip, 20)) & 0xffff);
        return f;
    }

    // ---------------------------------------------------------------- TCP

    @Test
    void synToAnAddressWithoutARouteGetsNetworkUnreachableQuotingTheSyn() throws Exception {
        try (VirtualGuest g = guest(nat())) {
            g.send(syn(RoutedNamespaces.NO_ROUTE, 80));

            Icmp e = expectIcmp(g);
            assertThat(e.from()).isEqualTo(Ipv4Address.toInetAddress(GATEWAY));
            assertThat(e.type()).isEqualTo(3);
            assertThat(e.code()).as("network unreachable").isEqualTo(0);
            quotes4(e, RoutedNamespaces.NO_ROUTE, 40001, 80);
            assertThat(e.u32(24)).as("the SYN's sequence number, which the guest checks").isEqualTo(SYN_SEQ);
            assertThat(tcp(g).get(TcpCounter.HOST_NET_UNREACHABLE)).isEqualTo(1);
            g.expectNothing(QUIET);
        }
    }

    @Test
    void synToAnUnreachableRouteGetsHostUnreachable() throws Exception {
        try (VirtualGuest g = guest(nat())) {
            g.send(syn(RoutedNamespaces.LOCAL_UNREACHABLE, 80));

            Icmp e = expectIcmp(g);
            assertThat(e.type()).isEqualTo(3);
            assertThat(e.code()).as("host unreachable").isEqualTo(1);
            quotes4(e, RoutedNamespaces.LOCAL_UNREACHABLE, 40001, 80);
            assertThat(tcp(g).get(TcpCounter.HOST_UNREACHABLE)).isEqualTo(1);
        }
    }

    /** The router beyond cannot forward and says so with ICMP; the host's connect fails, the guest hears it. */
    @Test
    void synThatARouterCannotForwardGetsHostUnreachable() throws Exception {
        try (VirtualGuest g = guest(nat())) {
            g.send(syn(RoutedNamespaces.BEHIND_ROUTER, 443));

            Icmp e = expectIcmp(g);
            assertThat(e.from()).isEqualTo(Ipv4Address.toInetAddress(GATEWAY));
            assertThat(e.type()).isEqualTo(3);
            assertThat(e.code()).isEqualTo(1);
            quotes4(e, RoutedNamespaces.BEHIND_ROUTER, 40001, 443);
        }
    }

    @Test
    void synToAClosedPortOfAnotherHostIsStillRefusedWithRst() throws Exception {
        try (VirtualGuest g = guest(nat())) {
            g.send(syn(RoutedNamespaces.ROUTER, 81));

            EthernetPacket eth = PcapFrames.decode(g.expectFrame(Duration.ofSeconds(10)));
            org.pcap4j.packet.TcpPacket rst = eth.get(org.pcap4j.packet.TcpPacket.class);
            assertThat(rst).isNotNull();
            assertThat(rst.getHeader().getRst()).isTrue();
            assertThat(rst.getHeader().getAcknowledgmentNumber()).isEqualTo(SYN_SEQ + 1);
            assertThat(tcp(g).get(TcpCounter.HOST_REFUSED)).isEqualTo(1);
        }
    }

    @Test
    void ipv6SynsGetTheIcmpv6UnreachableOfTheirCause() throws Exception {
        try (VirtualGuest g = guest(nat())) {
            g.send(syn6(RoutedNamespaces.NO_ROUTE6, 80));
            Icmp none = expectIcmp(g);
            assertThat(none.from()).isEqualTo(GATEWAY6.toInetAddress());
            assertThat(none.type()).isEqualTo(1);
            assertThat(none.code()).as("no route to destination").isEqualTo(0);
            quotes6(none, RoutedNamespaces.NO_ROUTE6, 40001, 80);

            g.send(syn6(RoutedNamespaces.LOCAL_UNREACHABLE6, 80));
            Icmp unreachable = expectIcmp(g);
            assertThat(unreachable.type()).isEqualTo(1);
            assertThat(unreachable.code()).as("address unreachable").isEqualTo(3);
            quotes6(unreachable, RoutedNamespaces.LOCAL_UNREACHABLE6, 40001, 80);
        }
    }

    // ---------------------------------------------------------------- UDP

    @Test
    void datagramToAnAddressWithoutARouteGetsNetworkUnreachable() throws Exception {
        try (VirtualGuest g = guest(nat())) {
            g.send(udp(RoutedNamespaces.NO_ROUTE, 53, 64));

            Icmp e = expectIcmp(g);
            assertThat(e.from()).isEqualTo(Ipv4Address.toInetAddress(GATEWAY));
            assertThat(e.type()).isEqualTo(3);
            assertThat(e.code()).isEqualTo(0);
            quotes4(e, RoutedNamespaces.NO_ROUTE, 40002, 53);
            assertThat(udp(g).get(UdpCounter.ICMP_HOST_UNREACHABLE)).isEqualTo(1);
        }
    }

    @Test
    void datagramToAnUnreachableRouteGetsHostUnreachable() throws Exception {
        try (VirtualGuest g = guest(nat())) {
            g.send(udp(RoutedNamespaces.LOCAL_UNREACHABLE, 53, 64));

            Icmp e = expectIcmp(g);
            assertThat(e.type()).isEqualTo(3);
            assertThat(e.code()).isEqualTo(1);
            quotes4(e, RoutedNamespaces.LOCAL_UNREACHABLE, 40002, 53);
        }
    }

    /**
     * The router's own errors about a datagram it could not deliver reach an unconnected
     * socket only through its error queue, which the epoll transport reads: host unreachable
     * from the router's unreachable route, port unreachable from the router's closed port.
     */
    @Test
    void aRoutersErrorsReachTheGuestThroughTheErrorQueue() throws Exception {
        try (VirtualGuest g = guest(nat())) {
            g.send(udp(RoutedNamespaces.BEHIND_ROUTER, 53, 64));
            if (!epoll()) {
                g.expectNothing(QUIET);
                return;
            }
            // The router's "unreachable" shares a per-sender budget with its other ICMP errors
            // (Linux's ip_error(): a token a second): send again until one is answered.
            for (int i = 0; i < 3 && g.sink().size() == 0; i++) {
                Thread.sleep(1200);
                if (g.sink().size() == 0) {
                    g.send(udp(RoutedNamespaces.BEHIND_ROUTER, 53, 64));
                }
            }
            Icmp unreachable = expectIcmp(g);
            assertThat(unreachable.from()).isEqualTo(Ipv4Address.toInetAddress(GATEWAY));
            assertThat(unreachable.type()).isEqualTo(3);
            assertThat(unreachable.code()).isEqualTo(1);
            quotes4(unreachable, RoutedNamespaces.BEHIND_ROUTER, 40002, 53);

            g.send(udp(RoutedNamespaces.ROUTER, 9, 64));
            Icmp port = expectIcmp(g);
            assertThat(port.from()).as("port unreachable comes from the host itself")
                    .isEqualTo(InetAddress.getByName(RoutedNamespaces.ROUTER));
            assertThat(port.type()).isEqualTo(3);
            assertThat(port.code()).isEqualTo(3);
            quotes4(port, RoutedNamespaces.ROUTER, 40002, 9);
            assertThat(udp(g).get(UdpCounter.ICMP_PORT_UNREACHABLE)).isEqualTo(1);
        }
    }

    /**
     * traceroute's probe: the guest's time to live less one goes with the datagram, so a
     * datagram with TTL 2 dies at the router, whose time exceeded reaches the guest from the
     * router's address (TTL 1 dies at the gateway: the core's). Needs epoll for both the TTL
     * (no unicast TTL option in the JDK) and the error queue.
     */
    @Test
    void aDatagramWithTtl2GetsTimeExceededFromTheRouterBeyondTheGateway() throws Exception {
        try (VirtualGuest g = guest(nat())) {
            g.send(udp(RoutedNamespaces.FAR_AWAY, 33434, 2));
            if (!epoll()) {
                g.expectNothing(QUIET);
                return;
            }
            Icmp e = expectIcmp(g);
            assertThat(e.from()).isEqualTo(InetAddress.getByName(RoutedNamespaces.ROUTER));
            assertThat(e.type()).as("time exceeded").isEqualTo(11);
            assertThat(e.code()).isEqualTo(0);
            quotes4(e, RoutedNamespaces.FAR_AWAY, 40002, 33434);
            assertThat(udp(g).get(UdpCounter.ICMP_TIME_EXCEEDED)).isEqualTo(1);

            // The next probe with the usual TTL passes the router, and is lost beyond it.
            g.send(udp(RoutedNamespaces.FAR_AWAY, 33435, 64));
            g.expectNothing(QUIET);
        }
    }

    @Test
    void anIpv6DatagramWithHopLimit2GetsTimeExceededFromTheRouter() throws Exception {
        try (VirtualGuest g = guest(nat())) {
            g.send(GuestFrames6.ipv6(GuestFrames6.GUEST6, IpAddress.parse(RoutedNamespaces.FAR_AWAY6), 17, 2,
                    udp6Payload(40003, RoutedNamespaces.FAR_AWAY6, 33434)));
            if (!epoll()) {
                g.expectNothing(QUIET);
                return;
            }
            Icmp e = expectIcmp(g);
            assertThat(e.from()).isEqualTo(InetAddress.getByName(RoutedNamespaces.ROUTER6));
            assertThat(e.type()).as("time exceeded").isEqualTo(3);
            quotes6(e, RoutedNamespaces.FAR_AWAY6, 40003, 33434);
        }
    }

    private static ByteBuf udp6Payload(int srcPort, String dst, int dstPort) {
        byte[] data = ascii("probe6");
        int len = 8 + data.length;
        ByteBuf u = io.netty.buffer.Unpooled.buffer(len);
        u.setBytes(8, data);
        dev.jslirp.core.wire.UdpPacket.writeHeader(u, 0, srcPort, dstPort, len);
        u.writerIndex(len);
        dev.jslirp.core.wire.UdpPacket.writeChecksum(u, 0, len,
                Checksums.pseudoHeader(GuestFrames6.GUEST6, IpAddress.parse(dst), 17, len));
        return u;
    }
}
