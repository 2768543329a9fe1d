package dev.jslirp.nat.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.nat.NatConfig;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Guest to host on the sans-IO core: acceptance, reassembly, ACK policy, window. */
class TcpGuestToHostTest {

    private static byte[] random(int n, long seed) {
        return TestBytes.random(n, seed);
    }

    private static byte[] slice(byte[] b, int from, int to) {
        return Arrays.copyOfRange(b, from, to);
    }

    @Test
    void inOrderDataReachesTheHostAndIsAcked() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            c.send("hello ".getBytes());
            Seg a = c.expectAck();                  // PSH after idle: at the end of the turn
            assertThat(a.options.tsEcr).as("echoes TS.Recent").isEqualTo(c.tsVal);
            c.send("world".getBytes());
            c.expectDelayedAck();                   // right after: the ACK may wait for an answer
            assertThat(new String(r.socket().receivedBytes())).isEqualTo("hello world");
            assertThat(r.count(TcpCounter.BYTES_FROM_GUEST)).isEqualTo(11);
        }
    }

    @Test
    void aBurstIsAckedOnceAtTheEndOfTheTurn() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            byte[] data = random(5 * 1448, 1);
            c.batch(() -> {
                for (int i = 0; i < 5; i++) {
                    c.sendWithoutPush(slice(data, i * 1448, (i + 1) * 1448));
                }
            });
            Seg a = c.expectAck();
            assertThat(a.ack).isEqualTo(c.iss + 1 + 5 * 1448);
            r.advanceMillis(10);
            r.g.expectNothing();
            assertThat(r.socket().receivedBytes()).isEqualTo(data);
            assertThat(r.socket().flushes).as("one flush per turn").isEqualTo(1);
        }
    }

    /** A long batch still gets an ACK each quarter window, so the guest's window never runs dry behind it. */
    @Test
    void aLongBatchIsAckedEveryQuarterWindow() {
        NatConfig small = NatConfig.builder().tcpBufferBytes(64 << 10).build();
        try (EmbeddedRig r = new EmbeddedRig(small)) {
            GuestTcp c = r.established();
            int window = r.onLoop(() -> r.nat.stackForTests().table.snapshot().get(0).rcv.window());
            int quarter = window / 4;
            byte[] data = random(30 * 1448, 4);
            c.batch(() -> {
                for (int i = 0; i < 30; i++) {
                    c.sendWithoutPush(slice(data, i * 1448, (i + 1) * 1448));
                }
            });
            java.util.List<Integer> acks = new java.util.ArrayList<>();
            while (r.g.sink().size() > 0) {
                acks.add(c.expect().ack - (c.iss + 1));
            }
            // The first after a quarter of the window; later ones after a quarter of what each
            // ACK offered (the window shrinks while the host socket has not taken the batch).
            assertThat(acks).as("window %d", window).startsWith(((quarter + 1447) / 1448) * 1448)
                    .endsWith(30 * 1448).hasSizeGreaterThanOrEqualTo(3).isSorted();
            assertThat(r.socket().receivedBytes()).isEqualTo(data);
        }
    }

    @Test
    void aLoneSegmentWaitsOneToTwoTicksAndASecondFullSegmentIsAckedAtTheTurnsEnd() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            c.sendWithoutPush("one".getBytes());
            r.advance(java.time.Duration.ofNanos(DelayedAcks.TICK_NANOS));
            r.g.expectNothing(java.time.Duration.ZERO);
            r.advance(java.time.Duration.ofNanos(DelayedAcks.TICK_NANOS));
            assertThat(c.expectAck().ack).isEqualTo(c.iss + 1 + 3);
            // A slow guest handing over one full segment per turn: every second one at once.
            byte[] full = random(2 * 1460, 5);
            c.sendWithoutPush(slice(full, 0, 1460));
            r.g.expectNothing(java.time.Duration.ZERO);
            c.sendWithoutPush(slice(full, 1460, 2920));
            assertThat(c.expectAck().ack).isEqualTo(c.iss + 1 + 3 + 2920);
            r.advanceMillis(10);
            r.g.expectNothing();
        }
    }

    /**
     * The delay is no shorter than a 250 Hz kernel tick, so that a request/response
     * exchange, which keeps the delayed-ACK task running, does not make every sleep of
     * the event loop arm a sub-tick timer (DelayedAcks, "Why this period").
     */
    @Test
    void aLoneSegmentsAckWaitsAtLeastFourAndAtMostEightMilliseconds() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            c.sendWithoutPush("one".getBytes());
            r.advance(java.time.Duration.ofMillis(4).minusNanos(1));
            r.g.expectNothing(java.time.Duration.ZERO);
            r.advance(java.time.Duration.ofMillis(4).plusNanos(1));
            assertThat(c.expectAck().ack).isEqualTo(c.iss + 1 + 3);
        }
    }

    /**
     * Request/response: the first request after a pause is acknowledged at once (its
     * sender may be holding the next small write for it, Nagle); the next ones, while the
     * exchange runs, ride on the answers.
     */
    @Test
    void anAckCarriedByAnAnswerIsNotSentAgain() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            c.send("request 1".getBytes());
            assertThat(c.expectAck().ack).isEqualTo(c.sndNxt);
            r.socket().send("answer 1".getBytes());
            assertThat(new String(c.expect().payload)).isEqualTo("answer 1");
            c.send("request 2".getBytes());
            r.socket().send("answer 2".getBytes());
            Seg answer = c.expect();
            assertThat(new String(answer.payload)).isEqualTo("answer 2");
            assertThat(answer.ack).as("the answer acknowledges the request").isEqualTo(c.sndNxt);
            r.advanceMillis(10);
            r.g.expectNothing();
        }
    }

    @Test
    void smallSegmentsAreCoalescedIntoOneHostWrite() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            c.batch(() -> {
                for (int i = 0; i < 10; i++) {
                    c.send(new byte[] {(byte) ('a' + i)});
                }
                c.send(new byte[600]);
                c.send("z".getBytes());
            });
            assertThat(r.socket().writes).as("10 bytes coalesced, 600 as a slice, then 1 coalesced").isEqualTo(3);
            byte[] got = r.socket().receivedBytes();
            assertThat(new String(got, 0, 10)).isEqualTo("abcdefghij");
            assertThat(got).hasSize(611);
            assertThat(got[610]).isEqualTo((byte) 'z');
            r.g.sink().releaseAll();
        }
    }

    @Test
    void outOfOrderSegmentsWaitForTheGapAndAreSacked() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            byte[] data = random(3000, 2);
            c.sendAt(1000, slice(data, 1000, 2000));
            Seg d1 = c.expect();
            assertThat(d1.ack).as("duplicate ACK").isEqualTo(c.iss + 1);
            assertThat(d1.options.sackBlocks).isEqualTo(1);
            assertThat(d1.options.sackLeft[0]).isEqualTo(c.iss + 1 + 1000);
            assertThat(d1.options.sackRight[0]).isEqualTo(c.iss + 1 + 2000);
            c.sendAt(2500, slice(data, 2500, 3000));
            Seg d2 = c.expect();
            assertThat(d2.options.sackBlocks).isEqualTo(2);
            assertThat(d2.options.sackLeft[0]).as("most recent block first").isEqualTo(c.iss + 1 + 2500);
            assertThat(r.socket().receivedBytes()).isEmpty();
            c.sendAt(0, slice(data, 0, 1000));
            Seg a = c.expect();
            assertThat(a.ack).isEqualTo(c.iss + 1 + 2000);
            assertThat(a.options.sackBlocks).isEqualTo(1);
            c.sendAt(2000, slice(data, 2000, 2500));
            Seg all = c.expect();
            assertThat(all.ack).isEqualTo(c.iss + 1 + 3000);
            assertThat(all.options.sackBlocks).isZero();
            assertThat(r.socket().receivedBytes()).isEqualTo(data);
            assertThat(r.count(TcpCounter.OUT_OF_ORDER)).isEqualTo(2);
        }
    }

    @Test
    void duplicateAndOverlappingSegmentsAreTrimmedAndAssembledOnce() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            byte[] data = random(4000, 3);
            int[][] pieces = {{500, 1500}, {1000, 2000}, {1500, 2500}, {500, 1500}, {3000, 4000}, {2200, 3300},
                {0, 600}, {100, 200}, {0, 4000}};
            for (int[] p : pieces) {
                c.sendAt(p[0], slice(data, p[0], p[1]));
                c.expect();
            }
            assertThat(r.socket().receivedBytes()).isEqualTo(data);
            assertThat(r.count(TcpCounter.DUPLICATE_DATA)).isGreaterThan(0);
            c.sndNxt = c.iss + 1 + 4000;
            c.send("!".getBytes());
            c.expectAllowingAckDelay();
            assertThat(r.socket().receivedBytes()).hasSize(4001);
        }
    }

    /**
     * After one lost segment the guest sends the rest of its window out of order; all of
     * it is held (contiguous segments share ranges), so only the lost one needs sending
     * again. Holding a range per segment refused everything past 128 of them.
     */
    @Test
    void aWindowSentAfterALostSegmentIsHeldWhole() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            int mss = 1448;
            int segments = 500;                     // 724 KB: inside the 1 MiB window
            byte[] data = random(segments * mss, 9);
            for (int i = 1; i < segments; i++) {
                c.sendAt(i * mss, slice(data, i * mss, (i + 1) * mss));
                c.expect();                         // a duplicate ACK with SACK each
            }
            assertThat(r.count(TcpCounter.OUT_OF_ORDER_LIMIT)).isZero();
            assertThat(r.socket().receivedBytes()).isEmpty();
            c.sendAt(0, slice(data, 0, mss));
            assertThat(c.expect().ack).isEqualTo(c.iss + 1 + data.length);
            assertThat(r.socket().receivedBytes()).isEqualTo(data);
            assertThat(r.nat.bufferedBytes()).isZero();
        }
    }

    @Test
    void outOfOrderQueueIsBounded() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            int n = TcpStack.MAX_OUT_OF_ORDER + 40;
            for (int i = 1; i <= n; i++) {
                c.sendAt(i * 20, new byte[10]);     // ten bytes, then a ten-byte gap
                c.expect();
            }
            assertThat(r.count(TcpCounter.OUT_OF_ORDER)).isEqualTo(TcpStack.MAX_OUT_OF_ORDER);
            assertThat(r.count(TcpCounter.OUT_OF_ORDER_LIMIT)).isEqualTo(40);
            assertThat(r.nat.bufferedBytes()).isEqualTo(TcpStack.MAX_OUT_OF_ORDER * 10L);
        }
    }

    @Test
    void dataBeyondTheOfferedWindowIsTrimmed() {
        NatConfig cfg = NatConfig.builder().tcpBufferBytes(16 << 10).build();
        try (EmbeddedRig r = new EmbeddedRig(cfg)) {
            GuestTcp c = r.established();
            r.socket().setDraining(false);
            int window = 16 << 10;
            byte[] data = random(window + 5000, 4);
            for (int off = 0; off < data.length; off += 1000) {
                c.sendAt(off, slice(data, off, Math.min(data.length, off + 1000)));
            }
            r.g.sink().releaseAll();
            assertThat(r.socket().pendingBytes()).isEqualTo(window);
            r.socket().setDraining(true);
            assertThat(r.socket().receivedBytes()).isEqualTo(slice(data, 0, window));
        }
    }

    @Test
    void hostThatDoesNotReadClosesTheWindowAndAnUpdateReopensIt() {
        NatConfig cfg = NatConfig.builder().tcpBufferBytes(64 << 10).build();
        try (EmbeddedRig r = new EmbeddedRig(cfg)) {
            GuestTcp c = r.established();
            r.socket().setDraining(false);
            byte[] data = random(1448, 5);
            int sent = 0;
            Seg last = null;
            while (sent < 200_000) {
                if (!dev.jslirp.core.seq.SeqNum.lt(c.sndNxt, c.peerWindowEdge)) {
                    break;
                }
                int n = Math.min(1448, c.peerWindowEdge - c.sndNxt);
                c.send(Arrays.copyOf(data, n));
                sent += n;
                last = c.expectAllowingAckDelay();
            }
            assertThat(last).isNotNull();
            assertThat(last.window).as("window closed").isZero();
            assertThat(sent).isEqualTo(64 << 10);
            assertThat(r.nat.bufferedBytes()).isLessThanOrEqualTo(64 << 10);
            // A window probe from the guest gets the closed window again.
            c.sendRaw(t -> t.seq(c.sndNxt - 1).ack(c.rcvNxt));
            assertThat(c.expect().window).isZero();
            r.socket().setDraining(true);
            Seg update = c.expect();
            assertThat(update.flags).isEqualTo(TcpPacket.ACK);
            assertThat(update.window << c.peerShift).isGreaterThanOrEqualTo(32 << 10);
            assertThat(r.socket().receivedBytes()).hasSize(sent);
        }
    }

    @Test
    void segmentsOutsideTheWindowAreAckedAndDropped() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            c.sendAt(-500, new byte[100]);       // entirely old
            Seg a = c.expect();
            assertThat(a.ack).isEqualTo(c.iss + 1);
            c.sendAt(5_000_000, new byte[100]);  // far beyond the window
            c.expect();
            assertThat(r.count(TcpCounter.OUT_OF_WINDOW)).isEqualTo(2);
            assertThat(r.socket().receivedBytes()).isEmpty();
        }
    }

    @Test
    void pawsDropsSegmentsWithOldTimestamps() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            c.send("a".getBytes());
            c.expectAllowingAckDelay();
            int old = c.tsVal - 10;
            c.sendRaw(t -> t.seq(c.sndNxt).ack(c.rcvNxt).data("b".getBytes()).timestamp(old, c.tsRecent));
            c.expect();
            assertThat(r.count(TcpCounter.PAWS_REJECTED)).isEqualTo(1);
            assertThat(new String(r.socket().receivedBytes())).isEqualTo("a");
        }
    }

    @Test
    void ackForDataNeverSentIsAnsweredAndDropped() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            c.sendRaw(t -> t.seq(c.sndNxt).ack(c.rcvNxt + 100).data("x".getBytes()));
            Seg s = c.expect();
            assertThat(s.ack).isEqualTo(c.iss + 1);
            assertThat(r.count(TcpCounter.BAD_ACK)).isEqualTo(1);
            assertThat(r.socket().receivedBytes()).isEmpty();
        }
    }
}
