package dev.jslirp.core.iface;

import static dev.jslirp.core.testkit.GuestFrames.GATEWAY;
import static dev.jslirp.core.testkit.GuestFrames.GUEST_IP;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.Ipv4Packet;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Reassembly of the guest's fragments and fragmentation of datagrams to the guest. */
class FragmentationTest {
    private static byte[] data(int n) {
        byte[] d = new byte[n];
        new Random(n).nextBytes(d);
        return d;
    }

    /** Collects the UDP payloads services are offered (copies, the packet is not ours to keep). */
    private static final class Recorder implements GuestService {
        final List<byte[]> payloads = new ArrayList<>();

        @Override
        public boolean handle(GuestPacket p) {
            if (p.protocol() != Ipv4Packet.PROTO_UDP) {
                return false;
            }
            byte[] b = new byte[p.udp().payloadLength()];
            p.frame().getBytes(p.udp().payloadOffset(), b);
            payloads.add(b);
            return true;
        }
    }

    /** Reassembles the guest-bound fragments of one datagram (checks them on the way). */
    private static byte[] reassembleIcmpPayload(List<ByteBuf> frames) {
        int total = 0;
        byte[] whole = new byte[70000];
        boolean sawLast = false;
        Ipv4Packet ip = new Ipv4Packet();
        for (ByteBuf f : frames) {
            assertThat(ip.wrap(f, f.readerIndex() + 14, f.writerIndex())).isNull();
            assertThat(ip.verifyChecksum()).isTrue();
            assertThat(ip.totalLength()).isLessThanOrEqualTo(1500);
            f.getBytes(ip.payloadOffset(), whole, ip.fragmentOffset(), ip.payloadLength());
            total = Math.max(total, ip.fragmentOffset() + ip.payloadLength());
            sawLast |= !ip.moreFragments();
            f.release();
        }
        assertThat(sawLast).isTrue();
        byte[] out = new byte[total - 8];
        System.arraycopy(whole, 8, out, 0, out.length);
        return out;
    }

    @Test
    void aLargePingInFragmentsIsReassembledAndItsReplyFragmentedToTheMtu() {
        try (VirtualGuest g = VirtualGuest.embedded()) {
            byte[] payload = data(4000);
            List<ByteBuf> frags = GuestFrames.fragment(GuestFrames.echoRequest(GATEWAY, 1, 1, payload), 1480);
            assertThat(frags).hasSize(3);
            Collections.reverse(frags);           // arrival order does not matter
            frags.forEach(g::send);
            List<ByteBuf> out = new ArrayList<>();
            ByteBuf f;
            while ((f = g.sink().poll()) != null) {
                out.add(f);
            }
            assertThat(out).hasSize(3);
            assertThat(reassembleIcmpPayload(out)).isEqualTo(payload);
            assertThat(g.network().stats().traffic().get(NetworkStats.Traffic.REASSEMBLED)).isEqualTo(1);
            assertThat(g.network().stats().traffic().get(NetworkStats.Traffic.FRAGMENTED)).isEqualTo(1);
            assertThat(g.network().reassemblyBytesHeld()).isZero();
        }
    }

    @Test
    void reassembledUdpReachesTheServicesWhole() {
        Recorder r = new Recorder();
        try (VirtualGuest g = VirtualGuest.embedded(r)) {
            byte[] payload = data(4000);
            GuestFrames.fragment(GuestFrames.udp(5000, GATEWAY, 7, payload), 1000).forEach(g::send);
            assertThat(r.payloads).hasSize(1);
            assertThat(r.payloads.get(0)).isEqualTo(payload);
        }
    }

    @Test
    void duplicateFragmentsAreIgnored() {
        Recorder r = new Recorder();
        try (VirtualGuest g = VirtualGuest.embedded(r)) {
            byte[] payload = data(3000);
            List<ByteBuf> frags = GuestFrames.fragment(GuestFrames.udp(5000, GATEWAY, 7, payload), 1480);
            g.send(frags.get(0).copy());
            frags.forEach(g::send);
            assertThat(r.payloads).hasSize(1);
            assertThat(r.payloads.get(0)).isEqualTo(payload);
        }
    }

    @Test
    void overlappingFragmentsInvalidateTheDatagram() {
        Recorder r = new Recorder();
        try (VirtualGuest g = VirtualGuest.embedded(r)) {
            List<ByteBuf> a = GuestFrames.fragment(GuestFrames.udp(5000, GATEWAY, 7, data(3000)), 1480);
            List<ByteBuf> b = GuestFrames.fragment(GuestFrames.udp(5000, GATEWAY, 7, data(3000)), 1000);
            g.send(a.get(0));            // bytes 0..1480
            g.send(b.get(1));            // bytes 1000..2000: overlaps
            a.subList(1, a.size()).forEach(g::send);
            b.stream().filter(x -> x.refCnt() > 0).filter(x -> x != b.get(1)).forEach(ByteBuf::release);
            assertThat(r.payloads).isEmpty();
            assertThat(g.network().stats().drops().get(DropReason.IPV4_FRAGMENT_INVALID)).isPositive();
        }
    }

    @Test
    void incompleteDatagramsExpireAndFreeTheirMemory() {
        try (VirtualGuest g = VirtualGuest.embedded()) {
            List<ByteBuf> frags = GuestFrames.fragment(GuestFrames.udp(5000, GATEWAY, 7, data(3000)), 1480);
            g.send(frags.get(0));
            frags.subList(1, frags.size()).forEach(ByteBuf::release);
            assertThat(g.network().reassemblyBytesHeld()).isPositive();
            g.advance(Duration.ofSeconds(31));
            assertThat(g.network().reassemblyBytesHeld()).isZero();
            assertThat(g.network().stats().drops().get(DropReason.IPV4_FRAGMENT_TIMEOUT)).isEqualTo(1);
        }
    }

    @Test
    void aFloodOfFirstFragmentsStaysWithinTheMemoryBound() {
        NetworkConfig small = NetworkConfig.builder().reassemblyLimits(64 * 1024, 8, Duration.ofSeconds(30)).build();
        try (VirtualGuest g = VirtualGuest.embedded(small)) {
            for (int id = 0; id < 200; id++) {
                ByteBuf whole = GuestFrames.udp(5000 + id, GATEWAY, 7, data(9000));
                whole.setShort(14 + 4, id);   // a distinct datagram each time
                List<ByteBuf> frags = GuestFrames.fragment(whole, 8000);
                g.send(frags.get(0));
                frags.subList(1, frags.size()).forEach(ByteBuf::release);
                assertThat(g.network().reassemblyBytesHeld()).isLessThanOrEqualTo(64 * 1024);
            }
            assertThat(g.network().stats().drops().get(DropReason.IPV4_FRAGMENT_EVICTED)).isPositive();
            // The flood does not lock a legitimate fragmented datagram out: the oldest give way.
            long before = g.network().stats().traffic().get(dev.jslirp.core.stats.NetworkStats.Traffic.REASSEMBLED);
            GuestFrames.fragment(GuestFrames.udp(6000, GATEWAY, 7, data(9000)), 1480).forEach(g::send);
            assertThat(g.network().stats().traffic().get(dev.jslirp.core.stats.NetworkStats.Traffic.REASSEMBLED))
                    .isEqualTo(before + 1);
            assertThat(g.network().reassemblyBytesHeld()).isLessThanOrEqualTo(64 * 1024);
        }
    }

    @Test
    void aDatagramLargerThanTheWholeBoundIsRefused() {
        NetworkConfig small = NetworkConfig.builder().reassemblyLimits(4 * 1024, 8, Duration.ofSeconds(30)).build();
        try (VirtualGuest g = VirtualGuest.embedded(small)) {
            List<ByteBuf> frags = GuestFrames.fragment(GuestFrames.udp(5000, GATEWAY, 7, data(9000)), 8000);
            g.send(frags.get(0));
            frags.subList(1, frags.size()).forEach(ByteBuf::release);
            assertThat(g.network().stats().drops().get(DropReason.IPV4_FRAGMENT_LIMIT)).isEqualTo(1);
            assertThat(g.network().reassemblyBytesHeld()).isZero();
        }
    }

    @Test
    void nonFinalFragmentsMustBeMultiplesOfEight() {
        try (VirtualGuest g = VirtualGuest.embedded()) {
            List<ByteBuf> frags = GuestFrames.fragment(GuestFrames.udp(5000, GATEWAY, 7, data(3000)), 1480);
            ByteBuf first = frags.get(0);
            // shorten the first fragment's payload by 3 bytes: 1477 is no multiple of 8
            first.setShort(14 + 2, first.getUnsignedShort(14 + 2) - 3);
            first.setShort(14 + 10, 0);
            first.setShort(14 + 10, dev.jslirp.core.wire.Checksums.checksum(first, 14, 20));
            first.writerIndex(first.writerIndex() - 3);
            g.send(first);
            frags.subList(1, frags.size()).forEach(ByteBuf::release);
            assertThat(g.network().stats().drops().get(DropReason.IPV4_FRAGMENT_INVALID)).isEqualTo(1);
            assertThat(g.network().reassemblyBytesHeld()).isZero();
        }
    }

    @Test
    void icmpErrorsQuoteTheOffendingDatagram() {
        GuestService refuser = new GuestService() {
            private dev.jslirp.core.spi.GuestContext ctx;

            @Override
            public void start(dev.jslirp.core.spi.GuestContext c) {
                ctx = c;
            }

            @Override
            public boolean handle(GuestPacket p) {
                ctx.sendIcmpError(p, dev.jslirp.core.wire.IpAddress.ipv4(GATEWAY),
                        dev.jslirp.core.spi.IcmpError.PORT_UNREACHABLE);
                return true;
            }
        };
        try (VirtualGuest g = VirtualGuest.embedded(refuser)) {
            g.send(GuestFrames.udp(5000, GATEWAY, 9, "x".getBytes()));
            ByteBuf f = g.expectFrame();
            try {
                Ipv4Packet ip = new Ipv4Packet();
                assertThat(ip.wrap(f, f.readerIndex() + 14, f.writerIndex())).isNull();
                assertThat(ip.protocol()).isEqualTo(Ipv4Packet.PROTO_ICMP);
                assertThat(ip.destination()).isEqualTo(GUEST_IP);
                int icmp = ip.payloadOffset();
                assertThat((int) f.getUnsignedByte(icmp)).isEqualTo(3);
                assertThat((int) f.getUnsignedByte(icmp + 1)).isEqualTo(3);
                // quoted IPv4 header + the whole 9-byte UDP datagram
                assertThat(ip.payloadLength()).isEqualTo(8 + 20 + 9);
                assertThat(f.getUnsignedShort(icmp + 8 + 20 + 2)).isEqualTo(9);
                assertThat(dev.jslirp.core.wire.Checksums.checksum(f, icmp, ip.payloadLength())).isZero();
            } finally {
                f.release();
            }
        }
    }

    /** A service that sends a small UDP datagram to the guest side on demand. */
    private static final class Sender implements GuestService {
        private dev.jslirp.core.spi.GuestContext ctx;

        @Override
        public void start(dev.jslirp.core.spi.GuestContext c) {
            ctx = c;
        }

        @Override
        public boolean handle(GuestPacket p) {
            return false;
        }

        void send(int dst) {
            ByteBuf f = ctx.newFrame(8);
            int off = f.writerIndex();
            dev.jslirp.core.wire.UdpPacket.writeHeader(f, off, 7, 7, 8);
            f.writerIndex(off + 8);
            ctx.send(f, dev.jslirp.core.wire.IpAddress.ipv4(GATEWAY), dev.jslirp.core.wire.IpAddress.ipv4(dst),
                    GuestPacket.PROTO_UDP, 0);
        }
    }

    @Test
    void datagramsToAnUnresolvedGuestWaitForArpThenGo() {
        Sender sender = new Sender();
        try (VirtualGuest g = VirtualGuest.embedded(sender)) {
            int other = dev.jslirp.core.wire.Ipv4Address.parse("10.0.2.16");
            g.onLoop(() -> sender.send(other));
            ByteBuf arp = g.expectFrame();
            assertThat(arp.getUnsignedShort(arp.readerIndex() + 12)).isEqualTo(0x0806);
            assertThat(arp.getInt(arp.readerIndex() + 14 + 24)).isEqualTo(other);
            arp.release();
            g.expectNothing();
            // the guest at .16 asks for the gateway: that teaches its MAC, the datagram follows
            ByteBuf request = GuestFrames.arpRequest(GATEWAY);
            request.setInt(14 + 14, other);
            g.send(request);
            ByteBuf arpReply = g.expectFrame();
            arpReply.release();
            ByteBuf datagram = g.expectFrame();
            assertThat(ByteBufUtil.hexDump(datagram, datagram.readerIndex(), 6)).isEqualTo("525400123456");
            datagram.release();
        }
    }

    @Test
    void datagramsForAGuestThatNeverAnswersAreDroppedAndCounted() {
        Sender sender = new Sender();
        try (VirtualGuest g = VirtualGuest.embedded(sender)) {
            int absent = dev.jslirp.core.wire.Ipv4Address.parse("10.0.2.99");
            g.onLoop(() -> sender.send(absent));
            g.advance(Duration.ofSeconds(4));
            g.sink().releaseAll();   // ARP requests, repeated while waiting
            assertThat(g.network().stats().drops().get(DropReason.GUEST_MAC_UNRESOLVED)).isEqualTo(1);
            for (int i = 0; i < 100; i++) {
                g.onLoop(() -> sender.send(absent));
            }
            g.sink().releaseAll();
            assertThat(g.network().stats().drops().get(DropReason.GUEST_MAC_UNRESOLVED)).isGreaterThanOrEqualTo(1 + 100 - 32);
            g.advance(Duration.ofSeconds(4));
            g.sink().releaseAll();
        }
    }
}
