package dev.jslirp.nat.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.nat.NatConfig;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * TCP super-segments for a port whose transport segments TCP itself (a tap with
 * segmentation offload, {@code FrameSink.maxTcpSegment()}): towards the guest the flow
 * sends segments of many MSS, each a whole number of MSS but the last, only when the
 * guest's MSS is the MTU's; from the guest it takes a segment larger than the MSS (a
 * super-frame the tap handed over) like any other.
 */
class TcpSuperSegmentTest {
    /** What a tap with offloads says: an IPv4 datagram of 64 KiB less the largest headers. */
    static final int TAP_MAX = 65535 - 20 - 60;
    /** The payload of a full segment at MTU 1500 with timestamps (the guest of {@link GuestTcp} asks for them). */
    static final int MSS = 1500 - 40 - 12;

    /** A connection the guest opened offering {@code mss}, its window scaled by 7 (8 MiB). */
    private static GuestTcp established(EmbeddedRig r, int mss) {
        GuestTcp c = r.conn();
        c.mss = mss;
        c.syn();
        r.host.last().accept();
        c.synAck();
        c.ack();
        return c;
    }

    /** Reads the segments of {@code total} bytes from jslirp, acknowledging each; returns their lengths. */
    private static List<Integer> receive(EmbeddedRig r, GuestTcp c, byte[] data) {
        List<Integer> lengths = new ArrayList<>();
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int base = c.rcvNxt;
        while (got.size() < data.length) {
            Seg s = Seg.parse(r.g.expectFrame());
            assertThat(s.seq).isEqualTo(base + got.size());
            got.writeBytes(s.payload);
            lengths.add(s.len());
            c.rcvNxt = base + got.size();
            c.ack();
        }
        assertThat(got.toByteArray()).isEqualTo(data);
        return lengths;
    }

    @Test
    void aPortThatSegmentsGetsSuperSegmentsOfWholeMss() {
        try (EmbeddedRig r = new EmbeddedRig(NatConfig.defaults(), NetworkConfig.defaults())) {
            r.g.sink().setMaxTcpSegment(TAP_MAX);
            GuestTcp c = established(r, 1460);
            byte[] data = TestBytes.random(1_000_000, 21);
            r.socket().send(data);
            List<Integer> lengths = receive(r, c, data);
            assertThat(lengths.subList(0, lengths.size() - 1)).as("whole segments but the last")
                    .allSatisfy(n -> assertThat(n % MSS).isZero());
            assertThat(lengths).as("never above what the tap takes").allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(TAP_MAX));
            assertThat(lengths.stream().mapToInt(Integer::intValue).max().getAsInt())
                    .as("the window grown, a full super-segment: 45 segments").isEqualTo(TAP_MAX / MSS * MSS);
            assertThat(lengths.size()).as("far fewer frames than 1 MB / MSS").isLessThan(1_000_000 / MSS / 10);
        }
    }

    @Test
    void aGuestMssBelowTheMtusKeepsEverySegmentWithinIt() {
        try (EmbeddedRig r = new EmbeddedRig(NatConfig.defaults(), NetworkConfig.defaults())) {
            r.g.sink().setMaxTcpSegment(TAP_MAX);
            GuestTcp c = established(r, 1200);
            byte[] data = TestBytes.random(100_000, 22);
            r.socket().send(data);
            assertThat(receive(r, c, data)).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(1200 - 12));
        }
    }

    @Test
    void aPortThatDoesNotSegmentGetsSegmentsOfTheMss() {
        try (EmbeddedRig r = new EmbeddedRig(NatConfig.defaults(), NetworkConfig.defaults())) {
            GuestTcp c = established(r, 1460);
            byte[] data = TestBytes.random(100_000, 23);
            r.socket().send(data);
            assertThat(receive(r, c, data)).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(MSS));
        }
    }

    @Test
    void aSegmentFromTheGuestLargerThanTheMssReachesTheHost() {
        try (EmbeddedRig r = new EmbeddedRig(NatConfig.defaults(), NetworkConfig.defaults())) {
            GuestTcp c = established(r, 1460);
            byte[] data = TestBytes.random(30 * 1448, 24);
            c.send(data);
            Seg a = c.expectAck();
            assertThat(a.ack).isEqualTo(c.iss + 1 + data.length);
            assertThat(r.socket().receivedBytes()).isEqualTo(data);
            assertThat(r.count(TcpCounter.BYTES_FROM_GUEST)).isEqualTo(data.length);
        }
    }
}
