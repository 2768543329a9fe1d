package dev.jslirp.nat.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.nat.NatConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Half-close, resets, TIME_WAIT and idle timeouts on the sans-IO core. */
class TcpCloseTest {

    /** Reads our FIN (after any data) and returns it. */
    private static Seg expectFin(GuestTcp c) {
        Seg s = c.expect();
        assertThat(s.has(TcpPacket.FIN)).as("%s", s).isTrue();
        c.rcvNxt = s.seq + s.len() + 1;
        return s;
    }

    @Test
    void guestFinShutsHostOutputWhileHostDataStillFlows() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            c.send("request".getBytes());
            c.expectAllowingAckDelay();
            c.fin();
            c.expectAck();
            assertThat(r.socket().outputShut).isTrue();
            assertThat(new String(r.socket().receivedBytes())).isEqualTo("request");
            r.socket().send("response".getBytes());
            assertThat(new String(c.receive(8))).isEqualTo("response");
            r.socket().eof();
            expectFin(c);
            c.ack();
            assertThat(r.socket().closed).isTrue();
            r.g.runPending();
            assertThat(r.nat.flowCount()).as("LAST_ACK done, host closed").isZero();
            assertThat(r.count(TcpCounter.CLOSED_NORMALLY)).isEqualTo(1);
        }
    }

    @Test
    void hostEofSendsFinAfterTheDataAndTheGuestKeepsSending() {
        NatConfig cfg = NatConfig.builder().tcpTimeWait(Duration.ofSeconds(30)).build();
        try (EmbeddedRig r = new EmbeddedRig(cfg)) {
            GuestTcp c = r.established();
            r.socket().send("bye".getBytes());
            r.socket().eof();
            Seg d = c.expect();
            assertThat(new String(d.payload)).isEqualTo("bye");
            Seg fin = d.has(TcpPacket.FIN) ? d : c.expect();
            assertThat(fin.has(TcpPacket.FIN)).isTrue();
            assertThat(fin.seq + fin.len()).as("FIN after the last byte").isEqualTo(d.seq + 3);
            c.rcvNxt = d.seq + 3 + 1;
            c.ack();                                   // FIN_WAIT_2
            c.send("more from the guest".getBytes());
            c.expectAllowingAckDelay();
            assertThat(new String(r.socket().receivedBytes())).isEqualTo("more from the guest");
            assertThat(r.socket().closed).isFalse();
            c.fin();
            c.expectAck();                             // TIME_WAIT
            assertThat(r.socket().outputShut).isTrue();
            assertThat(r.socket().closed).isTrue();
            assertThat(r.nat.flowCount()).isEqualTo(1);
            // A retransmitted FIN is acknowledged again.
            c.sndNxt--;
            c.fin();
            c.expectAck();
            r.advance(Duration.ofSeconds(29));
            assertThat(r.nat.flowCount()).isEqualTo(1);
            r.advance(Duration.ofSeconds(1));
            assertThat(r.nat.flowCount()).isZero();
            assertThat(r.count(TcpCounter.TIME_WAIT_EXPIRED)).isEqualTo(1);
        }
    }

    @Test
    void newSynOnATimeWaitTupleStartsAFreshConnection() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            FakeHost.Socket first = r.socket();
            first.eof();
            expectFin(c);
            c.ack();
            c.fin();
            c.expectAck();
            r.g.runPending();
            assertThat(first.closed).isTrue();
            // The guest reuses its port with a higher ISS.
            GuestTcp again = new GuestTcp(r.g, c.dst, c.dport, c.sport);
            again.iss = c.sndNxt + 100_000;
            again.sndNxt = again.iss;
            again.syn();
            assertThat(r.host.sockets).hasSize(2);
            r.socket().accept();
            again.synAck();
            assertThat(r.count(TcpCounter.TIME_WAIT_RECYCLED)).isEqualTo(1);
        }
    }

    @Test
    void ourFinIsRetransmittedUntilAcked() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            r.socket().eof();
            Seg fin = expectFin(c);
            r.advanceMillis(200);
            Seg again = c.expect();
            assertThat(again.has(TcpPacket.FIN)).isTrue();
            assertThat(again.seq).isEqualTo(fin.seq);
            c.ack();
            r.advanceMillis(5000);
            r.g.expectNothing();
        }
    }

    @Test
    void simultaneousCloseGoesThroughClosing() {
        NatConfig cfg = NatConfig.builder().tcpTimeWait(Duration.ofSeconds(5)).build();
        try (EmbeddedRig r = new EmbeddedRig(cfg)) {
            GuestTcp c = r.established();
            r.socket().eof();
            Seg fin = c.expect();                      // our FIN, not acknowledged yet
            c.sendRaw(t -> t.seq(c.sndNxt).ack(fin.seq).flags(TcpPacket.FIN));   // guest FIN crosses it
            c.sndNxt++;
            Seg a = c.expect();
            assertThat(a.ack).isEqualTo(c.sndNxt);
            c.rcvNxt = fin.seq + 1;
            c.ack();                                   // CLOSING -> TIME_WAIT
            r.advance(Duration.ofSeconds(5));
            assertThat(r.nat.flowCount()).isZero();
        }
    }

    @Test
    void guestRstInEachStateResetsTheHostSocket() {
        for (String state : new String[] {"SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT",
            "LAST_ACK"}) {
            try (EmbeddedRig r = new EmbeddedRig()) {
                GuestTcp c = r.conn();
                c.syn();
                r.socket().accept();
                c.synAck();
                switch (state) {
                    case "SYN_RECEIVED":
                        break;
                    case "ESTABLISHED":
                        c.ack();
                        break;
                    case "FIN_WAIT_1":
                        c.ack();
                        r.socket().eof();
                        c.expect();
                        break;
                    case "FIN_WAIT_2":
                        c.ack();
                        r.socket().eof();
                        expectFin(c);
                        c.ack();
                        break;
                    case "CLOSE_WAIT":
                        c.ack();
                        c.fin();
                        c.expectAck();
                        break;
                    default:
                        c.ack();
                        c.fin();
                        c.expectAck();
                        r.socket().eof();
                        c.expect();
                        break;
                }
                TcpFlow f = r.socket().flow;
                assertThat(f.state().name()).isEqualTo(state);
                c.rst();
                r.g.expectNothing();
                if (state.equals("LAST_ACK")) {
                    assertThat(r.socket().closed).as("both directions had ended: closed already").isTrue();
                } else {
                    assertThat(r.socket().aborted).as(state).isTrue();
                }
                assertThat(r.nat.flowCount()).as(state).isZero();
                assertThat(r.count(TcpCounter.RST_FROM_GUEST)).as(state).isEqualTo(1);
            }
        }
    }

    @Test
    void inWindowRstNotAtRcvNxtEarnsAChallengeAck() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            c.rst(c.sndNxt + 10);
            Seg a = c.expect();
            assertThat(a.flags).isEqualTo(TcpPacket.ACK);
            assertThat(a.ack).isEqualTo(c.sndNxt);
            assertThat(r.socket().aborted).isFalse();
            assertThat(r.count(TcpCounter.CHALLENGE_ACK)).isEqualTo(1);
            c.rst(c.sndNxt + 100_000_000);          // outside the window: silently dropped
            r.g.expectNothing();
            assertThat(r.nat.flowCount()).isEqualTo(1);
        }
    }

    @Test
    void synOnAnEstablishedFlowEarnsAChallengeAck() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            c.sendRaw(t -> t.seq(c.sndNxt + 5).flags(TcpPacket.SYN));
            Seg a = c.expect();
            assertThat(a.flags).isEqualTo(TcpPacket.ACK);
            assertThat(r.count(TcpCounter.CHALLENGE_ACK)).isEqualTo(1);
        }
    }

    @Test
    void hostResetSendsRstToTheGuest() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            r.socket().send("partial".getBytes());
            Seg d = c.expect();
            r.socket().reset();
            Seg rst = c.expect();
            assertThat(rst.flags).isEqualTo(TcpPacket.RST | TcpPacket.ACK);
            assertThat(rst.seq).as("SND.NXT").isEqualTo(d.seq + d.len());
            assertThat(r.count(TcpCounter.RST_FROM_HOST)).isEqualTo(1);
            assertThat(r.nat.flowCount()).isZero();
            // Whatever the guest still sends gets the unknown-flow RST.
            c.send("late".getBytes());
            assertThat(c.expect().has(TcpPacket.RST)).isTrue();
        }
    }

    @Test
    void idleFlowsAreResetBothWays() {
        NatConfig cfg = NatConfig.builder().tcpIdleTimeout(Duration.ofMinutes(5)).build();
        try (EmbeddedRig r = new EmbeddedRig(cfg)) {
            GuestTcp c = r.established();
            r.advance(Duration.ofMinutes(4));
            c.send("still here".getBytes());
            c.expectAllowingAckDelay();
            r.advance(Duration.ofMinutes(4));
            r.g.expectNothing();
            assertThat(r.nat.flowCount()).isEqualTo(1);
            r.advance(Duration.ofMinutes(1));
            Seg rst = c.expect();
            assertThat(rst.has(TcpPacket.RST)).isTrue();
            assertThat(r.socket().aborted).isTrue();
            assertThat(r.count(TcpCounter.IDLE_TIMEOUT)).isEqualTo(1);
            assertThat(r.nat.flowCount()).isZero();
        }
    }

    @Test
    void guestDetachAbortsEveryFlowAndAReattachedGuestStartsAfresh() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            r.established();
            r.established();
            FakeHost.Socket a = r.host.sockets.get(0);
            FakeHost.Socket b = r.host.sockets.get(1);
            r.g.network().detach();
            r.g.runPending();
            assertThat(a.aborted).isTrue();
            assertThat(b.aborted).isTrue();
            assertThat(r.nat.flowCount()).isZero();
            assertThat(r.count(TcpCounter.ABORTED_DETACH)).isEqualTo(2);
            r.g.network().attach(r.g.sink());
            r.established();
            assertThat(r.nat.flowCount()).isEqualTo(1);
        }
    }

    @Test
    void stopReleasesEverything() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.established();
            c.sendAt(1000, new byte[500]);            // held out of order
            c.expect();
            c.ackWithWindow(0);
            r.socket().send(new byte[4000]);           // buffered for the guest
            r.g.onLoop(() -> r.nat.stop());
            assertThat(r.socket().aborted).isTrue();
            assertThat(r.nat.flowCount()).isZero();
        }
    }
}
