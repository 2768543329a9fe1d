package dev.jslirp.nat.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.nat.NatConfig;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Host to guest on the sans-IO core: segmentation, retransmission, probes, backpressure. */
class TcpHostToGuestTest {
    /** Guest MSS 1460 less 12 bytes of timestamps. */
    private static final int SEG = 1448;

    private static byte[] random(int n, long seed) {
        return TestBytes.random(n, seed);
    }

    @Test
    void hostDataIsCutIntoMssSegmentsWithPshOnTheLast() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            byte[] data = random(10_000, 1);
            r.socket().send(data);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            List<Seg> segs = new ArrayList<>();
            while (got.size() < data.length) {
                Seg s = c.expect();
                segs.add(s);
                assertThat(s.seq).isEqualTo(c.rcvNxt + got.size());
                got.writeBytes(s.payload);
            }
            r.g.expectNothing();
            assertThat(got.toByteArray()).isEqualTo(data);
            for (int i = 0; i < segs.size() - 1; i++) {
                assertThat(segs.get(i).len()).isEqualTo(SEG);
                assertThat(segs.get(i).has(TcpPacket.PSH)).isFalse();
                assertThat(segs.get(i).ipTotalLength).isLessThanOrEqualTo(1500);
            }
            assertThat(segs.get(segs.size() - 1).has(TcpPacket.PSH)).isTrue();
            assertThat(segs).hasSize(7);
            assertThat(r.count(TcpCounter.BYTES_TO_GUEST)).isEqualTo(10_000);
        }
    }

    /**
     * At MTU 65520 a segment's payload is not copied but attached as a slice of the host
     * buffer (a composite frame); the checksum, computed over the two parts, is right
     * (Seg.parse verifies it) and the data arrives in order.
     */
    @Test
    void largeSegmentsCarryTheHostBufferUncopiedWithTheirChecksum() {
        try (EmbeddedRig r = new EmbeddedRig(NatConfig.defaults(), NetworkConfig.builder().mtu(65520).build())) {
            GuestTcp c = established(r, 65480);
            byte[] data = random(150_000, 11);
            r.socket().send(data);
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            int base = c.rcvNxt;
            int composite = 0;
            while (got.size() < data.length) {
                io.netty.buffer.ByteBuf f = r.g.expectFrame();
                if (f instanceof io.netty.buffer.CompositeByteBuf) {
                    composite++;
                }
                Seg s = Seg.parse(f);
                assertThat(s.seq).isEqualTo(base + got.size());
                got.writeBytes(s.payload);
                c.rcvNxt = base + got.size();
                c.ack();                            // the initial window is two such segments
            }
            assertThat(got.toByteArray()).isEqualTo(data);
            assertThat(composite).as("65468 + 65468 + 19064 bytes, all from one host read").isEqualTo(3);
            assertThat(r.count(TcpCounter.SEGMENTS_UNCOPIED)).isEqualTo(3);
        }
    }

    /**
     * A transport that has the guest complete TCP checksums (a tap with virtio-net
     * headers) gets segments whose checksum field holds the pseudo-header sum only;
     * completing it as the guest's kernel would (summing from the TCP header on, the
     * field included) gives a valid segment. Both the copied and the uncopied path.
     */
    @Test
    void segmentsForATransportThatCompletesChecksumsCarryThePseudoHeaderSum() {
        try (EmbeddedRig r = new EmbeddedRig(NatConfig.defaults(), NetworkConfig.builder().mtu(65520).build())) {
            GuestTcp c = established(r, 65480);
            r.g.sink().setCompletesTcpChecksums(true);
            byte[] data = random(20_000 + 100, 12);
            r.socket().send(java.util.Arrays.copyOf(data, 100));     // copied: under 16 KiB
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            got.writeBytes(completeChecksum(r.g.expectFrame(), c).payload);
            c.rcvNxt += 100;
            c.ack();
            r.socket().send(java.util.Arrays.copyOfRange(data, 100, data.length));   // uncopied
            got.writeBytes(completeChecksum(r.g.expectFrame(), c).payload);
            assertThat(got.toByteArray()).isEqualTo(data);
            assertThat(r.count(TcpCounter.SEGMENTS_UNCOPIED)).isEqualTo(1);
        }
    }

    /** A connection the guest opened, offering {@code mss}, accepted by the host and established. */
    private static GuestTcp established(EmbeddedRig r, int mss) {
        GuestTcp c = r.conn();
        c.mss = mss;
        c.syn();
        r.host.last().accept();
        c.synAck();
        c.ack();
        return c;
    }

    /** Completes a partial TCP checksum as a receiving kernel does, then parses (and checks) the segment. */
    private static Seg completeChecksum(io.netty.buffer.ByteBuf frame, GuestTcp c) {
        int ipOff = frame.readerIndex() + dev.jslirp.core.wire.EthernetFrame.HEADER_LENGTH;
        int ihl = (frame.getUnsignedByte(ipOff) & 0xf) * 4;
        int tcpOff = ipOff + ihl;
        int tcpLen = frame.getUnsignedShort(ipOff + 2) - ihl;
        int seed = frame.getUnsignedShort(tcpOff + TcpPacket.CHECKSUM);
        int full = ~dev.jslirp.core.wire.Checksums.fold(dev.jslirp.core.wire.Checksums.add(0, frame, tcpOff, tcpLen))
                & 0xffff;
        frame.setShort(tcpOff + TcpPacket.CHECKSUM, full);
        Seg s = Seg.parse(frame);
        assertThat(seed).as("the field held the pseudo-header sum, not the checksum").isNotEqualTo(full);
        return s;
    }

    @Test
    void initialWindowIsTenSegmentsThenAcksOpenIt() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            byte[] data = random(30 * SEG, 2);
            r.socket().send(data);
            for (int i = 0; i < 10; i++) {
                c.expect();
            }
            r.g.expectNothing();
            c.rcvNxt += 10 * SEG;
            c.ack();
            int more = 0;
            while (r.g.sink().size() > 0) {
                c.expect();
                more++;
            }
            assertThat(more).as("slow start: cwnd grew by the acked bytes (one MSS here)").isGreaterThanOrEqualTo(11);
        }
    }

    @Test
    void unackedDataIsRetransmittedAfterTheRtoWithBackoff() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            r.socket().send("payload".getBytes());
            Seg first = c.expect();
            // The handshake's timestamps measured a ~0 ms RTT: the RTO sits at its 200 ms floor.
            r.advanceMillis(199);
            r.g.expectNothing();
            r.advanceMillis(1);
            Seg again = c.expect();
            assertThat(again.seq).isEqualTo(first.seq);
            assertThat(again.payload).isEqualTo(first.payload);
            r.advanceMillis(399);
            r.g.expectNothing();
            r.advanceMillis(1);
            assertThat(c.expect().seq).isEqualTo(first.seq);
            assertThat(r.count(TcpCounter.RTO_EXPIRED)).isEqualTo(2);
            c.rcvNxt += 7;
            c.ack();
            r.advanceMillis(5000);
            r.g.expectNothing();
        }
    }

    @Test
    void rtoRetransmitsOnlyWhatWasSentNotDataBeyondTheWindow() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established(8);                  // 8 << 7: 1 KiB
            r.socket().send(random(4 * SEG, 9));
            Seg first = c.expect();
            assertThat(first.len()).isEqualTo(1024);
            r.g.expectNothing();
            r.advanceMillis(200);
            Seg again = c.expect();
            assertThat(again.seq).isEqualTo(first.seq);
            assertThat(again.len()).as("the segment as sent, not a full MSS past the window").isEqualTo(1024);
            c.rcvNxt += 1024;
            c.ack();
            Seg next = c.expect();
            assertThat(next.seq).isEqualTo(first.seq + 1024);
            assertThat(r.count(TcpCounter.BYTES_TO_GUEST)).as("new data counted once, when first sent")
                    .isEqualTo(2048);
        }
    }

    /**
     * Found by fuzzing (TcpFlowFuzzTest, input crash-33f7b81d...): a retransmission was
     * sized for the timestamps alone, then carried a SACK block for the guest's
     * out-of-order data too, and went out 12 bytes above the MTU (a 1512-byte packet with
     * DF), which a guest's card drops.
     */
    @Test
    void retransmissionWhileSackingTheGuestsDataStaysWithinTheMtu() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            r.socket().send(random(4 * SEG, 3));
            Seg first = c.expect();
            assertThat(first.ipTotalLength).as("a full segment with timestamps").isEqualTo(1500);
            while (r.g.sink().size() > 0) {
                c.expect();
            }
            c.sendAt(1000, new byte[100]);       // out of order: jslirp now SACKs it
            Seg ack = c.expect();
            assertThat(ack.options.sackBlocks).isEqualTo(1);
            r.advanceMillis(1500);               // the RTO: the first segment again
            Seg again = c.expect();
            assertThat(again.seq).isEqualTo(first.seq);
            assertThat(again.options.sackBlocks).isEqualTo(1);
            assertThat(again.ipTotalLength).as("within the MTU with its SACK block").isLessThanOrEqualTo(1500);
            assertThat(again.len()).isEqualTo(first.len() - 12);
        }
    }

    @Test
    void hostDataAndEofDuringTheHandshakeReachTheGuestAfterIt() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.conn();
            c.syn();
            r.socket().accept();
            c.synAck();
            // The host wrote and closed at once; an epoll transport reads that unasked.
            r.socket().send("banner".getBytes());
            r.socket().eof();
            r.socket().drainUnasked();
            r.g.expectNothing();
            c.ack();
            assertThat(new String(c.receive(6))).isEqualTo("banner");
            c.expectFin();
            assertThat(r.count(TcpCounter.BYTES_TO_GUEST)).isEqualTo(6);
        }
    }

    @Test
    void hostDataReadWithNoRoomLeftIsKeptAndCounted() {
        NatConfig cfg = NatConfig.builder().tcpBufferBytes(16 << 10).build();
        try (EmbeddedRig r = new EmbeddedRig(cfg)) {
            GuestTcp c = r.established(0);
            byte[] data = random(40 << 10, 10);
            r.socket().send(data);
            r.socket().eof();
            r.socket().drainUnasked();
            assertThat(r.count(TcpCounter.HOST_READ_PAST_BUFFER)).isEqualTo((40 << 10) - (16 << 10));
            c.window = 65535;
            c.ack();
            assertThat(c.receive(data.length)).isEqualTo(data);
            c.expectFin();
        }
    }

    @Test
    void threeDuplicateAcksTriggerFastRetransmit() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            c.sack = false;
            byte[] data = random(6 * SEG, 3);
            r.socket().send(data);
            List<Seg> segs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                segs.add(c.expect());
            }
            c.rcvNxt += SEG;          // segment 2 was "lost"
            c.ack();
            c.ack();
            c.ack();
            r.g.expectNothing();
            c.ack();                  // third duplicate
            Seg re = c.expect();
            assertThat(re.seq).isEqualTo(segs.get(1).seq);
            assertThat(re.payload).isEqualTo(segs.get(1).payload);
            assertThat(r.count(TcpCounter.FAST_RETRANSMIT)).isEqualTo(1);
            c.rcvNxt += 5 * SEG;
            c.ack();
            r.advanceMillis(2000);
            assertThat(r.count(TcpCounter.RTO_EXPIRED)).isZero();
        }
    }

    @Test
    void sackBlocksFromTheGuestSteerRetransmissionToTheHoles() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            byte[] data = random(8 * SEG, 4);
            r.socket().send(data);
            List<Seg> segs = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                segs.add(c.expect());
            }
            int base = c.rcvNxt;
            // Segments 2 and 5 lost; the guest ACKs 1 and SACKs 3-4 and 6-8.
            c.rcvNxt += SEG;
            for (int i = 0; i < 4; i++) {
                c.sendRaw(t -> {
                    t.seq(c.sndNxt).ack(c.rcvNxt);
                    sack(t, base + 2 * SEG, base + 4 * SEG, base + 5 * SEG, base + 8 * SEG);
                });
            }
            Seg re1 = c.expect();
            assertThat(re1.seq).isEqualTo(segs.get(1).seq);
            r.g.expectNothing();
            c.sendRaw(t -> {
                t.seq(c.sndNxt).ack(c.rcvNxt);
                sack(t, base + 2 * SEG, base + 4 * SEG, base + 5 * SEG, base + 8 * SEG);
            });
            Seg re2 = c.expect();
            assertThat(re2.seq).as("the second hole, not the SACKed segments").isEqualTo(segs.get(4).seq);
            r.g.expectNothing();
        }
    }

    private static void sack(dev.jslirp.core.testkit.GuestFrames.Tcp t, int l1, int r1, int l2, int r2) {
        try {
            java.lang.reflect.Field f = t.getClass().getDeclaredField("options");
            f.setAccessible(true);
            dev.jslirp.core.wire.TcpOptions o = (dev.jslirp.core.wire.TcpOptions) f.get(t);
            o.sackBlocks = 2;
            o.sackLeft[0] = l1;
            o.sackRight[0] = r1;
            o.sackLeft[1] = l2;
            o.sackRight[1] = r2;
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void zeroWindowPausesHostReadsAndProbesUntilTheWindowOpens() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            c.ackWithWindow(0);
            // The read requested while the window was open may still complete (into
            // the bounded buffer); after it no read is requested until the window opens.
            byte[] data = random(5000, 5);
            r.socket().send(Arrays.copyOf(data, 1000));
            int readsBefore = r.socket().reads;
            r.socket().send(Arrays.copyOfRange(data, 1000, 5000));
            r.g.expectNothing();
            assertThat(r.socket().toFlow).as("host data left unread").hasSize(1);
            assertThat(r.socket().reads).isEqualTo(readsBefore);
            assertThat(r.socket().readRequested).isFalse();
            // Probes go out from the RTO on, backing off, while the window stays closed.
            long wait = 200;
            for (int i = 0; i < 3; i++) {
                r.advanceMillis(wait - 1);
                r.g.expectNothing();
                r.advanceMillis(1);
                Seg p = c.expect();
                assertThat(p.len()).isZero();
                assertThat(p.seq).as("probe: seq = SND.UNA - 1").isEqualTo(c.rcvNxt - 1);
                c.ackWithWindow(0);
                r.g.expectNothing();
                wait *= 2;
            }
            assertThat(r.count(TcpCounter.WINDOW_PROBES)).isGreaterThanOrEqualTo(2);
            c.window = 65535;
            c.ack();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            while (got.size() < data.length) {
                Seg s = c.expect();
                if (s.seq == c.rcvNxt && s.len() > 0) {
                    got.writeBytes(s.payload);
                    c.rcvNxt += s.len();
                    c.ack();
                }
            }
            assertThat(got.toByteArray()).isEqualTo(data);
        }
    }

    @Test
    void guestWindowScaleIsHonoured() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            c.ackWithWindow(10);             // 10 << 7 = 1280 bytes
            r.socket().send(random(5000, 6));
            Seg s = c.expect();
            assertThat(s.len()).isEqualTo(1280);
            r.g.expectNothing();
        }
    }

    @Test
    void fullGuestTransportPausesSendingAndReading() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            r.g.sink().setWritable(false);
            byte[] data = random(3000, 7);
            r.socket().send(Arrays.copyOf(data, 1000));      // completes the read already requested
            r.socket().send(Arrays.copyOfRange(data, 1000, 3000));
            r.g.expectNothing();
            assertThat(r.socket().toFlow).as("not read while the guest cannot take it").hasSize(1);
            assertThat(r.socket().readRequested).isFalse();
            r.g.sink().setWritable(true);
            r.g.onLoop(() -> r.g.network().guestWritabilityChanged(r.g.port(), true));
            assertThat(c.receive(3000)).isEqualTo(data);
        }
    }

    @Test
    void unackedBufferIsBoundedByConfiguration() {
        NatConfig cfg = NatConfig.builder().tcpBufferBytes(32 << 10).build();
        try (EmbeddedRig r = new EmbeddedRig(cfg)) {
            GuestTcp c = r.established();
            c.windowScale = 7;
            c.ackWithWindow(65535);          // 8 MiB window: only our buffer limits
            for (int i = 0; i < 100; i++) {
                r.socket().send(random(8192, i));
            }
            r.g.sink().releaseAll();
            assertThat(r.nat.bufferedBytes()).isLessThanOrEqualTo(32 << 10);
            assertThat(r.socket().toFlow).as("the rest stays in the host socket").isNotEmpty();
        }
    }

    @Test
    void retransmissionsGiveUpWithRst() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            r.socket().send("x".getBytes());
            for (int i = 0; i < 40; i++) {
                r.advanceMillis(60_000);
            }
            Seg last = null;
            while (r.g.sink().size() > 0) {
                last = c.expect();
            }
            assertThat(last).isNotNull();
            assertThat(last.has(TcpPacket.RST)).isTrue();
            assertThat(r.count(TcpCounter.RTO_EXPIRED)).isEqualTo(TcpSender.MAX_RETRANSMITS + 1);
            assertThat(r.count(TcpCounter.RETRANSMIT_GIVE_UP)).isEqualTo(1);
            assertThat(r.socket().aborted).isTrue();
            assertThat(r.nat.flowCount()).isZero();
        }
    }

    @Test
    void segmentsToTheGuestCarryAtMostItsMssWithDfSet() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.conn();
            c.mss = 536;
            c.syn();
            r.socket().accept();
            c.synAck();
            c.ack();
            r.socket().send(random(2000, 8));
            Seg s = c.expect();
            assertThat(s.len()).isEqualTo(536 - 12);
            assertThat(Arrays.copyOf(s.payload, 0)).isEmpty();
        }
    }
}
