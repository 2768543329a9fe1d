package dev.jslirp.nat.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.nat.NatConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The handshakes of the sans-IO core: the SYN-ACK waits for the host, failures become RSTs. */
class TcpHandshakeTest {

    @Test
    void synAckComesOnlyAfterTheHostConnectSucceeded() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.conn();
            c.syn();
            r.g.expectNothing();
            assertThat(r.socket().target).hasToString("tcp:127.0.0.1:" + EmbeddedRig.PORT);
            assertThat(r.nat.halfOpenCount()).isEqualTo(1);
            r.socket().accept();
            Seg s = c.synAck();
            assertThat(s.options.mss).isEqualTo(1460);
            assertThat(s.options.windowScale).as("shift reaching the 1 MiB buffer").isEqualTo(5);
            assertThat(s.options.sackPermitted).isTrue();
            assertThat(s.options.hasTimestamp).isTrue();
            assertThat(s.options.tsEcr).as("echoes the guest's TSval").isEqualTo(c.tsVal);
            assertThat(s.window).isEqualTo(65535);
            c.ack();
            r.g.expectNothing();
            assertThat(r.nat.halfOpenCount()).isZero();
            assertThat(r.count(TcpCounter.ESTABLISHED)).isEqualTo(1);
        }
    }

    @Test
    void synAckOmitsOptionsTheGuestDidNotOffer() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.conn();
            c.windowScale = -1;
            c.sack = false;
            c.timestamps = false;
            c.mss = 1200;
            c.syn();
            r.socket().accept();
            Seg s = c.synAck();
            assertThat(s.options.windowScale).isEqualTo(-1);
            assertThat(s.options.sackPermitted).isFalse();
            assertThat(s.options.hasTimestamp).isFalse();
            c.ack();
            // Host data is cut to the guest's MSS.
            r.socket().send(new byte[3000]);
            Seg d = c.expect();
            assertThat(d.len()).isEqualTo(1200);
            assertThat(d.options.hasTimestamp).isFalse();
        }
    }

    @Test
    void refusedHostConnectGetsRstAckAtOnce() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.conn();
            c.syn();
            r.socket().refuse();
            Seg s = c.expect();
            assertThat(s.flags).isEqualTo(TcpPacket.RST | TcpPacket.ACK);
            assertThat(s.seq).isZero();
            assertThat(s.ack).isEqualTo(c.iss + 1);
            assertThat(r.count(TcpCounter.HOST_REFUSED)).isEqualTo(1);
            assertThat(r.nat.flowCount()).isZero();
            assertThat(r.nat.halfOpenCount()).isZero();
        }
    }

    @Test
    void hostConnectTimeoutGetsRst() {
        NatConfig cfg = NatConfig.builder().tcpConnectTimeout(Duration.ofSeconds(10)).build();
        try (EmbeddedRig r = new EmbeddedRig(cfg)) {
            GuestTcp c = r.conn();
            c.syn();
            r.advance(Duration.ofSeconds(9));
            r.g.expectNothing();
            r.advance(Duration.ofSeconds(1));
            Seg s = c.expect();
            assertThat(s.flags).isEqualTo(TcpPacket.RST | TcpPacket.ACK);
            assertThat(r.socket().aborted).isTrue();
            assertThat(r.count(TcpCounter.HOST_CONNECT_TIMEOUT)).isEqualTo(1);
            assertThat(r.nat.flowCount()).isZero();
        }
    }

    @Test
    void retransmittedSynsWhileConnectingAreAbsorbed() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.conn();
            c.syn();
            c.syn();
            c.syn();
            r.g.expectNothing();
            assertThat(r.host.sockets).hasSize(1);
            assertThat(r.count(TcpCounter.SYN_ABSORBED)).isEqualTo(2);
            r.socket().accept();
            c.synAck();
        }
    }

    @Test
    void guestRstWhileConnectingCancelsTheConnect() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.conn();
            c.syn();
            c.rst(c.iss + 1);
            assertThat(r.socket().aborted).isTrue();
            assertThat(r.nat.flowCount()).isZero();
            r.socket().accept();               // too late: ignored
            r.g.expectNothing();
        }
    }

    @Test
    void synAckIsRetransmittedThenGivenUpWithRst() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.conn();
            c.syn();
            r.socket().accept();
            Seg first = c.synAck();
            long wait = 1000;
            for (int i = 0; i < TcpConnector.MAX_SYN_ACK_RETRIES; i++) {
                r.advanceMillis(wait - 1);
                r.g.expectNothing();
                r.advanceMillis(1);
                Seg again = c.expect();
                assertThat(again.flags).isEqualTo(TcpPacket.SYN | TcpPacket.ACK);
                assertThat(again.seq).isEqualTo(first.seq);
                wait *= 2;
            }
            r.advanceMillis(wait);
            Seg rst = c.expect();
            assertThat(rst.has(TcpPacket.RST)).isTrue();
            assertThat(r.socket().aborted).isTrue();
            assertThat(r.count(TcpCounter.SYN_RETRANSMITTED)).isEqualTo(TcpConnector.MAX_SYN_ACK_RETRIES);
            assertThat(r.nat.flowCount()).isZero();
        }
    }

    @Test
    void repeatedGuestSynInSynReceivedResendsSynAck() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.conn();
            c.syn();
            r.socket().accept();
            Seg first = c.synAck();
            c.syn();
            Seg again = c.expect();
            assertThat(again.flags).isEqualTo(TcpPacket.SYN | TcpPacket.ACK);
            assertThat(again.seq).isEqualTo(first.seq);
        }
    }

    @Test
    void badAckInSynReceivedGetsRstAndKeepsWaiting() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.conn();
            c.syn();
            r.socket().accept();
            c.synAck();
            c.sendRaw(t -> t.seq(c.sndNxt).ack(c.rcvNxt + 1000));
            Seg rst = c.expect();
            assertThat(rst.flags).isEqualTo(TcpPacket.RST);
            assertThat(rst.seq).isEqualTo(c.rcvNxt + 1000);
            c.ack();
            r.g.expectNothing();
            assertThat(r.count(TcpCounter.ESTABLISHED)).isEqualTo(1);
        }
    }

    @Test
    void segmentForNoFlowGetsRstPerRfc9293() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = r.conn();
            c.sendRaw(t -> t.seq(5000).ack(7000));
            Seg s = c.expect();
            assertThat(s.flags).isEqualTo(TcpPacket.RST);
            assertThat(s.seq).isEqualTo(7000);
            c.sendRaw(t -> t.seq(5000).flags(TcpPacket.FIN).data(new byte[10]));
            s = c.expect();
            assertThat(s.flags).isEqualTo(TcpPacket.RST | TcpPacket.ACK);
            assertThat(s.seq).isZero();
            assertThat(s.ack).isEqualTo(5011);
            c.sendRaw(t -> t.seq(5000).flags(TcpPacket.RST));
            r.g.expectNothing();
            assertThat(r.count(TcpCounter.UNKNOWN_FLOW)).isEqualTo(2);
            assertThat(r.count(TcpCounter.UNKNOWN_FLOW_RST)).isEqualTo(1);
        }
    }

    @Test
    void synToBroadcastIsDroppedAndCounted() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            GuestTcp c = new GuestTcp(r.g, dev.jslirp.core.wire.Ipv4Address.parse("10.0.2.255"), 80, 40000);
            c.syn();
            r.g.expectNothing();
            assertThat(r.count(TcpCounter.BAD_ADDRESS)).isEqualTo(1);
            assertThat(r.host.sockets).isEmpty();
        }
    }

    @Test
    void synFinIsDroppedAsBadFlags() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            r.g.send(GuestFrames.tcp(EmbeddedRig.REMOTE, t -> t.from(40000).to(80).seq(1).flags(TcpPacket.SYN | TcpPacket.FIN)));
            r.g.expectNothing();
            assertThat(r.count(TcpCounter.BAD_FLAGS)).isEqualTo(1);
        }
    }

    @Test
    void synFloodEvictsTheOldestPendingConnectsAndStaysBounded() {
        NatConfig cfg = NatConfig.builder().maxHalfOpen(8).build();
        try (EmbeddedRig r = new EmbeddedRig(cfg)) {
            java.util.List<GuestTcp> flood = new java.util.ArrayList<>();
            for (int i = 0; i < 100; i++) {
                GuestTcp c = r.conn();
                c.syn();
                flood.add(c);
            }
            // Every SYN was served; the 92 oldest gave way, each with the RST a refused connect gets.
            assertThat(r.host.sockets).hasSize(100);
            assertThat(r.host.sockets.subList(0, 92)).allMatch(s -> s.aborted);
            assertThat(r.host.sockets.subList(92, 100)).noneMatch(s -> s.aborted);
            for (int i = 0; i < 92; i++) {
                Seg rst = flood.get(i).expect();
                assertThat(rst.flags).isEqualTo(TcpPacket.RST | TcpPacket.ACK);
            }
            assertThat(r.nat.halfOpenCount()).isEqualTo(8);
            assertThat(r.nat.flowCount()).isEqualTo(8);
            assertThat(r.count(TcpCounter.HALF_OPEN_EVICTED)).isEqualTo(92);
            // The newest pending connect completes as usual.
            r.host.sockets.get(99).accept();
            Seg synAck = flood.get(99).expect();
            assertThat(synAck.flags).isEqualTo(TcpPacket.SYN | TcpPacket.ACK);
        }
    }

    /**
     * Issue 13's lock-out: 20 000 SYNs, a quarter of them to a listener whose connects
     * hang, filled the half-open table with connects that took minutes to fail, and a
     * legitimate connection made right after got no SYN-ACK. Now it is served at once.
     */
    @Test
    void aConnectionRightAfterASynFloodToAHangingListenerSucceedsAtOnce() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            for (int i = 0; i < 20_000; i++) {
                GuestTcp c = new GuestTcp(r.g, EmbeddedRig.REMOTE, i % 4 == 0 ? 8080 : 1 + i % 1000, 1024 + i % 60000);
                c.syn();
                FakeHost.Socket s = r.host.last();
                if (i % 4 != 0) {
                    s.refuse();          // a closed port: refused at once
                }                        // else: a full accept queue, the connect hangs
                r.g.sink().releaseAll();
            }
            assertThat(r.nat.halfOpenCount()).isBetween(200, 256);
            GuestTcp legit = new GuestTcp(r.g, EmbeddedRig.REMOTE, 443, 61000);
            legit.syn();
            r.host.last().accept();
            assertThat(legit.expect().flags).isEqualTo(TcpPacket.SYN | TcpPacket.ACK);
            assertThat(r.count(TcpCounter.HALF_OPEN_EVICTED)).isGreaterThan(4_000);
        }
    }

    @Test
    void flowBoundRefusesWithRstAndRecyclesTimeWaitFirst() {
        NatConfig cfg = NatConfig.builder().maxTcpFlows(2).build();
        try (EmbeddedRig r = new EmbeddedRig(cfg)) {
            GuestTcp a = r.established();
            FakeHost.Socket sa = r.socket();
            r.established();
            GuestTcp c = r.conn();
            c.syn();
            Seg rst = c.expect();
            assertThat(rst.flags).isEqualTo(TcpPacket.RST | TcpPacket.ACK);
            assertThat(r.count(TcpCounter.FLOW_LIMIT)).isEqualTo(1);
            // Put a into TIME_WAIT: host EOF, our FIN, guest ACK + FIN.
            sa.eof();
            Seg fin = a.expect();
            assertThat(fin.has(TcpPacket.FIN)).isTrue();
            a.rcvNxt++;
            a.fin();
            a.expectAck();
            assertThat(r.nat.flowCount()).isEqualTo(2);
            GuestTcp d = r.conn();
            d.syn();
            assertThat(r.count(TcpCounter.TIME_WAIT_RECYCLED)).isEqualTo(1);
            r.socket().accept();
            d.synAck();
        }
    }
}
