package dev.jslirp.core.iface;

import static dev.jslirp.core.testkit.GuestFrames.GATEWAY_MAC;
import static dev.jslirp.core.testkit.GuestFrames.GUEST_MAC;
import static dev.jslirp.core.testkit.GuestFrames6.ALL_NODES;
import static dev.jslirp.core.testkit.GuestFrames6.DNS6;
import static dev.jslirp.core.testkit.GuestFrames6.GUEST6;
import static dev.jslirp.core.testkit.GuestFrames6.GUEST6_LL;
import static dev.jslirp.core.testkit.GuestFrames6.HOST6;
import static dev.jslirp.core.testkit.GuestFrames6.ROUTER_LL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.spi.IcmpError;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.PcapFrames;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv6Packet;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.Inet6Address;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IcmpV6CommonPacket;
import org.pcap4j.packet.IcmpV6EchoReplyPacket;
import org.pcap4j.packet.IcmpV6NeighborAdvertisementPacket;
import org.pcap4j.packet.IcmpV6NeighborSolicitationPacket;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.namednumber.IcmpV6Type;

/**
 * The core's IPv6: validation, echo, neighbour discovery, reassembly, the send path and
 * its errors, with replies decoded by pcap4j (a decoder nobody here wrote).
 */
class Ipv6CoreTest {

    /** A service that records the packets offered to it, and can send UDP to the guest. */
    private static final class Recorder implements GuestService {
        final List<String> seen = new ArrayList<>();
        GuestContext ctx;
        boolean take = true;

        @Override
        public void start(GuestContext c) {
            ctx = c;
        }

        @Override
        public boolean handle(GuestPacket p) {
            seen.add(p.protocol() + " " + p.source() + " > " + p.destination() + " len " + p.transportLength());
            return take;
        }

        void sendUdp(IpAddress from, IpAddress to, int payload) {
            ByteBuf f = ctx.newFrame(UdpPacket.HEADER_LENGTH + payload);
            int off = f.writerIndex();
            UdpPacket.writeHeader(f, off, 53, 40000, UdpPacket.HEADER_LENGTH + payload);
            for (int i = 0; i < payload; i++) {
                f.setByte(off + UdpPacket.HEADER_LENGTH + i, i);
            }
            f.writerIndex(off + UdpPacket.HEADER_LENGTH + payload);
            ctx.send(f, from, to, GuestPacket.PROTO_UDP, 0);
        }
    }

    private static Inet6Address inet(IpAddress a) {
        return (Inet6Address) a.toInetAddress();
    }

    private static long drops(VirtualGuest g, DropReason r) {
        return g.network().stats().drops().get(r);
    }

    @Test
    void neighborSolicitationsForOurAddressesAreAnsweredWithOurMac() throws Exception {
        try (VirtualGuest g = VirtualGuest.embedded()) {
            for (IpAddress target : new IpAddress[] {HOST6, DNS6, ROUTER_LL, IpAddress.parse("fe80::3")}) {
                g.send(GuestFrames6.neighborSolicitation(GUEST6_LL, target));
                ByteBuf f = g.expectFrame();
                EthernetPacket eth = PcapFrames.decode(f);
                IpV6Packet ip = eth.get(IpV6Packet.class);
                assertThat(ip.getHeader().getSrcAddr()).isEqualTo(inet(target));
                assertThat(ip.getHeader().getDstAddr()).isEqualTo(inet(GUEST6_LL));
                assertThat(ip.getHeader().getHopLimitAsInt()).isEqualTo(255);
                IcmpV6CommonPacket icmp = eth.get(IcmpV6CommonPacket.class);
                assertThat(icmp.hasValidChecksum(inet(target), inet(GUEST6_LL), false)).isTrue();
                IcmpV6NeighborAdvertisementPacket.IcmpV6NeighborAdvertisementHeader na =
                        eth.get(IcmpV6NeighborAdvertisementPacket.class).getHeader();
                assertThat(na.getTargetAddress()).isEqualTo(inet(target));
                assertThat(na.getSolicitedFlag()).isTrue();
                assertThat(na.getRouterFlag()).isTrue();
                assertThat(na.getOptions()).hasSize(1);
                assertThat(na.getOptions().get(0).getRawData()).endsWith(MacAddress.toString(GATEWAY_MAC).isEmpty()
                        ? new byte[0] : macBytes(GATEWAY_MAC));
                assertThat(eth.getHeader().getDstAddr().toString()).isEqualTo(MacAddress.toString(GUEST_MAC));
            }
            assertThat(g.network().neighbor(GUEST6_LL)).isEqualTo(GUEST_MAC);
            assertThat(g.network().stats().traffic().get(NetworkStats.Traffic.NDP_ADVERTISEMENTS)).isEqualTo(4);
        }
    }

    private static byte[] macBytes(long mac) {
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) (mac >>> (40 - 8 * i));
        }
        return b;
    }

    @Test
    void duplicateAddressDetectionPassesForTheGuestsAddressAndFailsForOurs() throws Exception {
        try (VirtualGuest g = VirtualGuest.embedded()) {
            g.send(GuestFrames6.neighborSolicitation(IpAddress.V6_ANY, GUEST6));
            g.expectNothing();
            g.send(GuestFrames6.neighborSolicitation(IpAddress.V6_ANY, HOST6));
            ByteBuf f = g.expectFrame();
            EthernetPacket eth = PcapFrames.decode(f);
            assertThat(eth.get(IpV6Packet.class).getHeader().getDstAddr()).isEqualTo(inet(ALL_NODES));
            assertThat(eth.get(IcmpV6NeighborAdvertisementPacket.class).getHeader().getSolicitedFlag()).isFalse();
            assertThat(eth.getHeader().getDstAddr().toString()).isEqualTo("33:33:00:00:00:01");
            assertThat(g.network().neighbor(GUEST6)).as("a probe teaches nothing").isEqualTo(MacAddress.ZERO);
        }
    }

    @Test
    void invalidNeighborDiscoveryIsDroppedAndCounted() {
        try (VirtualGuest g = VirtualGuest.embedded()) {
            // Forwarded (hop limit 254), a router advertisement from the guest, and a
            // solicitation for an address that is not ours.
            ByteBuf forwarded = GuestFrames6.neighborSolicitation(GUEST6_LL, HOST6);
            forwarded.setByte(14 + 7, 254);
            fixIcmpChecksum(forwarded);
            g.send(forwarded);
            g.send(GuestFrames6.icmpv6(GUEST6_LL, ALL_NODES, 255, 134, 0, new byte[12]));
            g.send(GuestFrames6.neighborSolicitation(GUEST6_LL, IpAddress.parse("fec0::99")));
            g.expectNothing();
            assertThat(drops(g, DropReason.NDP_INVALID)).isEqualTo(2);
            assertThat(drops(g, DropReason.NDP_NOT_FOR_US)).isEqualTo(1);
        }
    }

    private static void fixIcmpChecksum(ByteBuf f) {
        IpAddress src = IpAddress.of(f.getLong(22), f.getLong(30));
        IpAddress dst = IpAddress.of(f.getLong(38), f.getLong(46));
        int off = 54;
        int len = f.writerIndex() - off;
        f.setShort(off + 2, 0);
        f.setShort(off + 2, dev.jslirp.core.wire.Checksums.transportChecksumOf(f, off, len,
                dev.jslirp.core.wire.Checksums.pseudoHeader(src, dst, 58, len)));
    }

    @Test
    void pingToOurAddressesIsEchoedFromTheAddressAsked() throws Exception {
        try (VirtualGuest g = VirtualGuest.embedded()) {
            byte[] data = "ipv6 ping".getBytes();
            for (IpAddress dst : new IpAddress[] {HOST6, DNS6, ROUTER_LL}) {
                IpAddress src = dst.isLinkLocal() ? GUEST6_LL : GUEST6;
                g.send(GuestFrames6.echoRequest(src, dst, 9, 4, data));
                ByteBuf f = g.expectFrame();
                EthernetPacket eth = PcapFrames.decode(f);
                IpV6Packet ip = eth.get(IpV6Packet.class);
                assertThat(ip.getHeader().getSrcAddr()).isEqualTo(inet(dst));
                assertThat(ip.getHeader().getDstAddr()).isEqualTo(inet(src));
                IcmpV6CommonPacket icmp = eth.get(IcmpV6CommonPacket.class);
                assertThat(icmp.getHeader().getType()).isEqualTo(IcmpV6Type.ECHO_REPLY);
                assertThat(icmp.hasValidChecksum(inet(dst), inet(src), false)).isTrue();
                IcmpV6EchoReplyPacket reply = eth.get(IcmpV6EchoReplyPacket.class);
                assertThat(reply.getHeader().getIdentifierAsInt()).isEqualTo(9);
                assertThat(reply.getHeader().getSequenceNumberAsInt()).isEqualTo(4);
                assertThat(reply.getPayload().getRawData()).isEqualTo(data);
            }
        }
    }

    @Test
    void datagramsToAnUnresolvedGuestAddressWaitForNeighborDiscovery() throws Exception {
        Recorder r = new Recorder();
        try (VirtualGuest g = VirtualGuest.embedded(r)) {
            g.onLoop(() -> r.sendUdp(DNS6, GUEST6, 10));
            ByteBuf ns = g.expectFrame();
            EthernetPacket eth = PcapFrames.decode(ns);
            assertThat(eth.get(IpV6Packet.class).getHeader().getDstAddr())
                    .isEqualTo(inet(GuestFrames6.solicitedNode(GUEST6)));
            assertThat(eth.get(IcmpV6NeighborSolicitationPacket.class).getHeader().getTargetAddress())
                    .isEqualTo(inet(GUEST6));
            g.expectNothing();
            g.send(GuestFrames6.neighborAdvertisement(GUEST6, HOST6, 255));
            ByteBuf datagram = g.expectFrame();
            EthernetPacket d = PcapFrames.decode(datagram);
            assertThat(d.getHeader().getDstAddr().toString()).isEqualTo(MacAddress.toString(GUEST_MAC));
            org.pcap4j.packet.UdpPacket udp = d.get(org.pcap4j.packet.UdpPacket.class);
            assertThat(udp.hasValidChecksum(inet(DNS6), inet(GUEST6), false)).isTrue();
            assertThat(udp.getPayload().getRawData()).hasSize(10);
        }
    }

    @Test
    void largeDatagramsToTheGuestAreFragmentedWithFragmentHeaders() throws Exception {
        Recorder r = new Recorder();
        try (VirtualGuest g = VirtualGuest.embedded(r)) {
            g.send(GuestFrames6.neighborAdvertisement(GUEST6, HOST6, 255));
            g.onLoop(() -> r.sendUdp(DNS6, GUEST6, 4000));
            List<IpV6Packet> pieces = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                ByteBuf f = g.expectFrame();
                assertThat(f.readableBytes()).isLessThanOrEqualTo(14 + 1500);
                pieces.add(PcapFrames.decode(f).get(IpV6Packet.class));
            }
            g.expectNothing();
            // Put back together from the fragment headers' offsets, then checked by pcap4j.
            byte[] whole = new byte[8 + 4000];
            int total = 0;
            for (IpV6Packet p : pieces) {
                byte[] raw = p.getRawData();
                assertThat(raw[6]).as("next header: fragment").isEqualTo((byte) 44);
                int fragField = ((raw[42] & 0xff) << 8) | (raw[43] & 0xff);
                int len = raw.length - 48;
                System.arraycopy(raw, 48, whole, fragField & 0xfff8, len);
                total += len;
                assertThat((fragField & 1) == 1).isEqualTo(p != pieces.get(2));
            }
            assertThat(total).isEqualTo(whole.length);
            org.pcap4j.packet.UdpPacket udp = org.pcap4j.packet.UdpPacket.newPacket(whole, 0, whole.length);
            assertThat(udp.hasValidChecksum(inet(DNS6), inet(GUEST6), false)).isTrue();
            assertThat(udp.getPayload().getRawData()).hasSize(4000);
        }
    }

    @Test
    void fragmentsFromTheGuestAreReassembledInAnyOrder() {
        Recorder r = new Recorder();
        try (VirtualGuest g = VirtualGuest.embedded(r)) {
            byte[] data = new byte[3000];
            new Random(1).nextBytes(data);
            List<ByteBuf> pieces = GuestFrames6.fragment(GuestFrames6.udp(5000, IpAddress.parse("2001:db8::1"), 53,
                    data), 1232, 77);
            assertThat(pieces).hasSize(3);
            g.send(pieces.get(2));
            g.send(pieces.get(0));
            g.send(pieces.get(1));
            assertThat(r.seen).containsExactly("17 fec0::5054:ff:fe12:3456 > 2001:db8::1 len 3008");
            assertThat(g.network().reassemblyBytesHeld()).isZero();
        }
    }

    @Test
    void overlappingFragmentsInvalidateThePacket() {
        Recorder r = new Recorder();
        try (VirtualGuest g = VirtualGuest.embedded(r)) {
            List<ByteBuf> a = GuestFrames6.fragment(GuestFrames6.udp(5000, IpAddress.parse("2001:db8::1"), 53,
                    new byte[2000]), 1000, 5);
            List<ByteBuf> b = GuestFrames6.fragment(GuestFrames6.udp(5000, IpAddress.parse("2001:db8::1"), 53,
                    new byte[2000]), 496, 5);
            g.send(a.get(0));      // 0..1000
            g.send(b.get(1));      // 496..992: overlaps
            a.get(1).release();
            a.get(2).release();
            for (int i = 0; i < b.size(); i++) {
                if (i != 1) {
                    b.get(i).release();
                }
            }
            assertThat(r.seen).isEmpty();
            assertThat(drops(g, DropReason.IPV6_FRAGMENT_INVALID)).isEqualTo(1);
            assertThat(g.network().reassemblyBytesHeld()).isZero();
        }
    }

    @Test
    void aFragmentFloodGivesWayToALegitimatePacket() {
        Recorder r = new Recorder();
        try (VirtualGuest g = VirtualGuest.embedded(r)) {
            // 10 000 first fragments that never complete, each its own packet.
            for (int id = 0; id < 10_000; id++) {
                List<ByteBuf> p = GuestFrames6.fragment(GuestFrames6.udp(5000, IpAddress.parse("2001:db8::1"), 53,
                        new byte[1600]), 1000, id);
                g.send(p.get(0));
                p.get(1).release();
            }
            assertThat(drops(g, DropReason.IPV6_FRAGMENT_EVICTED)).isGreaterThan(9_000);
            for (ByteBuf f : GuestFrames6.fragment(GuestFrames6.udp(5001, IpAddress.parse("2001:db8::2"), 53,
                    new byte[1600]), 1000, 123_456)) {
                g.send(f);
            }
            assertThat(r.seen).containsExactly("17 fec0::5054:ff:fe12:3456 > 2001:db8::2 len 1608");
        }
    }

    @Test
    void malformedPacketsAreDroppedAndCounted() {
        try (VirtualGuest g = VirtualGuest.embedded(new Recorder())) {
            // A routing header with segments left.
            byte[] routing = {17, 0, 0, 1, 0, 0, 0, 0};
            g.send(GuestFrames6.ipv6(GUEST6, HOST6, Ipv6Packet.NH_ROUTING, 64, routing, Unpooled.buffer(8).writeZero(8)));
            // Nine destination-options headers in a row.
            byte[] chain = new byte[9 * 8];
            for (int i = 0; i < 9; i++) {
                chain[i * 8] = (byte) (i < 8 ? Ipv6Packet.NH_DESTINATION_OPTIONS : Ipv6Packet.NH_NONE);
                chain[i * 8 + 2] = 1;     // PadN of 4
                chain[i * 8 + 3] = 4;
            }
            g.send(GuestFrames6.ipv6(GUEST6, HOST6, Ipv6Packet.NH_DESTINATION_OPTIONS, 64, chain, Unpooled.buffer(0)));
            // An option whose type says "discard" (0b01......).
            byte[] discard = {Ipv6Packet.NH_NONE, 0, 0x41, 4, 0, 0, 0, 0};
            g.send(GuestFrames6.ipv6(GUEST6, HOST6, Ipv6Packet.NH_DESTINATION_OPTIONS, 64, discard, Unpooled.buffer(0)));
            // UDP with a zero checksum (forbidden over IPv6).
            ByteBuf udp = GuestFrames6.udp(5000, HOST6, 7, new byte[4]);
            udp.setShort(14 + 40 + 6, 0);
            g.send(udp);
            // Multicast and IPv4-mapped sources, an IPv4-mapped destination.
            g.send(GuestFrames6.udp(IpAddress.parse("ff02::1"), 5000, HOST6, 7, new byte[1]));
            g.send(GuestFrames6.udp(IpAddress.parse("::ffff:10.0.2.15"), 5000, HOST6, 7, new byte[1]));
            g.send(GuestFrames6.udp(GUEST6, 5000, IpAddress.parse("::ffff:1.2.3.4"), 7, new byte[1]));
            // Payload length beyond the frame.
            ByteBuf cut = GuestFrames6.udp(5000, HOST6, 7, new byte[40]);
            cut.writerIndex(cut.writerIndex() - 10);
            g.send(cut);
            g.expectNothing();
            assertThat(drops(g, DropReason.IPV6_ROUTING_HEADER)).isEqualTo(1);
            assertThat(drops(g, DropReason.IPV6_BAD_EXTENSION)).isEqualTo(2);
            assertThat(drops(g, DropReason.UDP_BAD_CHECKSUM)).isEqualTo(1);
            assertThat(drops(g, DropReason.IPV6_BAD_SOURCE)).isEqualTo(2);
            assertThat(drops(g, DropReason.IPV6_BAD_DESTINATION)).isEqualTo(1);
            assertThat(drops(g, DropReason.IPV6_BAD_LENGTH)).isEqualTo(1);
        }
    }

    @Test
    void truncatedAndBitFlippedFramesNeverEscapeAsExceptions() {
        List<ByteBuf> samples = List.of(
                GuestFrames6.echoRequest(HOST6, 1, 1, new byte[32]),
                GuestFrames6.neighborSolicitation(GUEST6_LL, HOST6),
                GuestFrames6.routerSolicitation(),
                GuestFrames6.udp(5000, DNS6, 53, new byte[30]),
                GuestFrames6.tcp(HOST6, t -> t.from(40000).to(22).seq(1).flags(2).mss(1440)));
        try (VirtualGuest g = VirtualGuest.embedded(new Recorder())) {
            Random rnd = new Random(3);
            for (ByteBuf s : samples) {
                byte[] raw = new byte[s.readableBytes()];
                s.getBytes(s.readerIndex(), raw);
                s.release();
                for (int cut = 0; cut < raw.length; cut++) {
                    g.send(Unpooled.wrappedBuffer(java.util.Arrays.copyOf(raw, cut)));
                }
                for (int i = 0; i < 200; i++) {
                    byte[] flipped = raw.clone();
                    flipped[rnd.nextInt(flipped.length)] ^= (byte) (1 << rnd.nextInt(8));
                    g.send(Unpooled.wrappedBuffer(flipped));
                }
            }
            g.sink().releaseAll();
            assertThat(drops(g, DropReason.SERVICE_ERROR)).isZero();
            NetworkStats s = g.network().stats();
            assertThat(s.traffic().get(NetworkStats.Traffic.FRAMES_FROM_GUEST))
                    .as("every frame handled or counted").isGreaterThan(0);
        }
    }

    @Test
    void hopLimitOneTowardsTheWorldGetsTimeExceededFromTheGateway() throws Exception {
        Recorder r = new Recorder();
        try (VirtualGuest g = VirtualGuest.embedded(r)) {
            ByteBuf probe = GuestFrames6.udp(5000, IpAddress.parse("2001:db8::1"), 33434, new byte[8]);
            probe.setByte(14 + 7, 1);
            g.send(probe);
            ByteBuf f = g.expectFrame();
            EthernetPacket eth = PcapFrames.decode(f);
            assertThat(eth.get(IpV6Packet.class).getHeader().getSrcAddr()).isEqualTo(inet(HOST6));
            assertThat(eth.get(IcmpV6CommonPacket.class).getHeader().getType()).isEqualTo(IcmpV6Type.TIME_EXCEEDED);
            assertThat(r.seen).isEmpty();
            // IPv4 the same: TTL 1 to the world.
            ByteBuf v4 = GuestFrames.udp(5000, dev.jslirp.core.wire.Ipv4Address.parse("192.0.2.1"), 33434, new byte[8]);
            v4.setByte(14 + 8, 1);
            v4.setShort(14 + 10, 0);
            v4.setShort(14 + 10, dev.jslirp.core.wire.Checksums.checksum(v4, 14, 20));
            g.send(v4);
            EthernetPacket e4 = PcapFrames.decode(g.expectFrame());
            assertThat(e4.get(org.pcap4j.packet.IpV4Packet.class).getHeader().getSrcAddr())
                    .isEqualTo(dev.jslirp.core.wire.Ipv4Address.toInetAddress(GuestFrames.GATEWAY));
            assertThat(e4.get(org.pcap4j.packet.IcmpV4CommonPacket.class).getHeader().getType())
                    .isEqualTo(org.pcap4j.packet.namednumber.IcmpV4Type.TIME_EXCEEDED);
            assertThat(drops(g, DropReason.IPV4_TTL_EXPIRED)).isEqualTo(1);
            assertThat(drops(g, DropReason.IPV6_HOP_LIMIT_EXCEEDED)).isEqualTo(1);
        }
    }

    @Test
    void icmpv6ErrorsQuoteTheOffendingPacketWithinTheMinimumMtu() throws Exception {
        GuestService refuser = new GuestService() {
            private GuestContext ctx;

            @Override
            public void start(GuestContext c) {
                ctx = c;
            }

            @Override
            public boolean handle(GuestPacket p) {
                ctx.sendIcmpError(p, HOST6, IcmpError.PORT_UNREACHABLE);
                return true;
            }
        };
        try (VirtualGuest g = VirtualGuest.embedded(refuser)) {
            g.send(GuestFrames6.neighborAdvertisement(GUEST6, HOST6, 255));
            g.send(GuestFrames6.udp(5000, HOST6, 9, new byte[1400]));
            ByteBuf f = g.expectFrame();
            assertThat(f.readableBytes()).isEqualTo(14 + 1280);
            EthernetPacket eth = PcapFrames.decode(f);
            IcmpV6CommonPacket icmp = eth.get(IcmpV6CommonPacket.class);
            assertThat(icmp.getHeader().getType()).isEqualTo(IcmpV6Type.DESTINATION_UNREACHABLE);
            assertThat(icmp.getHeader().getCode().value()).isEqualTo((byte) 4);
            assertThat(icmp.hasValidChecksum(inet(HOST6), inet(GUEST6), false)).isTrue();
        }
    }

    @Test
    void ipv6OffDropsEveryIpv6Frame() {
        NetworkConfig v4only = NetworkConfig.builder().ipv6(false).build();
        try (VirtualGuest g = VirtualGuest.embedded(v4only)) {
            g.send(GuestFrames6.neighborSolicitation(GUEST6_LL, HOST6));
            g.expectNothing(Duration.ofMillis(50));
            assertThat(drops(g, DropReason.IPV6_UNSUPPORTED)).isEqualTo(1);
        }
    }
}
