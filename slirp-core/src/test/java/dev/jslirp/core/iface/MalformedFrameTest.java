package dev.jslirp.core.iface;

import static dev.jslirp.core.testkit.GuestFrames.DNS;
import static dev.jslirp.core.testkit.GuestFrames.GATEWAY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.TcpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Truncated and bit-flipped copies of valid frames: nothing escapes as an exception,
 * nothing leaks, and every frame is handled or counted.
 */
class MalformedFrameTest {
    /** Takes every packet and reads its transport header, as a real service would. */
    private static final class Taker implements GuestService {
        @Override
        public boolean handle(GuestPacket p) {
            switch (p.protocol()) {
                case 6:
                    p.tcp().seq();
                    p.tcp().payloadLength();
                    break;
                case 17:
                    p.udp().destinationPort();
                    break;
                default:
                    break;
            }
            return true;
        }
    }

    private static List<byte[]> seeds() {
        List<byte[]> s = new ArrayList<>();
        s.add(ByteBufUtil.getBytes(take(GuestFrames.arpRequest(GATEWAY))));
        s.add(ByteBufUtil.getBytes(take(GuestFrames.echoRequest(GATEWAY, 1, 2, new byte[56]))));
        s.add(ByteBufUtil.getBytes(take(GuestFrames.udp(1000, DNS, 53, new byte[40]))));
        s.add(ByteBufUtil.getBytes(take(GuestFrames.tcp(GATEWAY, t -> t.flags(TcpPacket.SYN).mss(1460)
                .windowScale(7).sackPermitted().timestamp(1, 0)))));
        s.add(ByteBufUtil.getBytes(take(GuestFrames.tcp(GATEWAY, t -> t.ack(5).seq(9).data(new byte[100])))));
        for (ByteBuf f : GuestFrames.fragment(GuestFrames.udp(1000, GATEWAY, 7, new byte[3000]), 1480)) {
            s.add(ByteBufUtil.getBytes(take(f)));
        }
        return s;
    }

    private static ByteBuf take(ByteBuf b) {
        ByteBuf copy = Unpooled.copiedBuffer(b);
        b.release();
        return copy;
    }

    @Test
    void everyTruncationIsDroppedOrHandledWithoutAnException() {
        try (VirtualGuest g = VirtualGuest.embedded(new Taker())) {
            long sent = 0;
            for (byte[] seed : seeds()) {
                for (int len = 0; len <= seed.length; len++) {
                    g.send(Unpooled.wrappedBuffer(seed, 0, len));
                    sent++;
                }
            }
            g.sink().releaseAll();
            NetworkStats stats = g.network().stats();
            assertThat(stats.traffic().get(NetworkStats.Traffic.FRAMES_FROM_GUEST)).isEqualTo(sent);
            assertThat(stats.drops().get(DropReason.SERVICE_ERROR)).isZero();
            assertThat(stats.framesAccountedFor()).isGreaterThanOrEqualTo(sent);
            assertThat(stats.drops().get(DropReason.ETHERNET_TRUNCATED)).isPositive();
            assertThat(stats.drops().get(DropReason.IPV4_TRUNCATED)).isPositive();
            assertThat(stats.drops().get(DropReason.IPV4_BAD_TOTAL_LENGTH)).isPositive();
            assertThat(stats.drops().get(DropReason.ARP_MALFORMED)).isPositive();
        }
    }

    @Test
    void randomBitFlipsAreDroppedOrHandledWithoutAnException() {
        Random r = new Random(2026);
        try (VirtualGuest g = VirtualGuest.embedded(new Taker())) {
            long sent = 0;
            List<byte[]> seeds = seeds();
            for (int i = 0; i < 20_000; i++) {
                byte[] f = seeds.get(r.nextInt(seeds.size())).clone();
                int flips = 1 + r.nextInt(4);
                for (int k = 0; k < flips; k++) {
                    int bit = r.nextInt(f.length * 8);
                    f[bit / 8] ^= (byte) (1 << (bit % 8));
                }
                g.send(Unpooled.wrappedBuffer(f));
                sent++;
                if ((i & 1023) == 0) {
                    g.sink().releaseAll();
                }
            }
            g.sink().releaseAll();
            NetworkStats stats = g.network().stats();
            assertThat(stats.drops().get(DropReason.SERVICE_ERROR)).isZero();
            assertThat(stats.framesAccountedFor()).isGreaterThanOrEqualTo(sent);
            // flipped bits are mostly caught by checksums
            assertThat(stats.drops().get(DropReason.IPV4_BAD_CHECKSUM) + stats.drops().get(DropReason.TCP_BAD_CHECKSUM)
                    + stats.drops().get(DropReason.UDP_BAD_CHECKSUM) + stats.drops().get(DropReason.ICMP_BAD_CHECKSUM))
                    .isPositive();
        }
    }

    @Test
    void validFramesAreAccountedForExactly() {
        try (VirtualGuest g = VirtualGuest.embedded(new Taker())) {
            List<byte[]> seeds = seeds();
            for (byte[] seed : seeds) {
                g.send(Unpooled.wrappedBuffer(seed));
            }
            g.sink().releaseAll();
            NetworkStats stats = g.network().stats();
            assertThat(stats.drops().total()).isZero();
            assertThat(stats.framesAccountedFor()).isEqualTo(seeds.size());
        }
    }
}
