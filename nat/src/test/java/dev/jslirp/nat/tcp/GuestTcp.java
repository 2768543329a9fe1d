package dev.jslirp.nat.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.seq.SeqNum;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.TcpPacket;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * One scripted TCP endpoint of the guest, in the spirit of smoltcp's {@code send!} /
 * {@code recv!} macros: it keeps the guest's sequence numbers so a test writes
 * {@code connect()}, {@code send(bytes)}, {@code expect()} and asserts on what came
 * back. Options it offers are switchable; by default those of a Linux guest (MSS 1460,
 * window scale 7, SACK, timestamps).
 */
final class GuestTcp {
    final VirtualGuest guest;
    final int dst;
    final int dport;
    final int sport;
    int iss = 0x10000000;
    /** The guest's SND.NXT. */
    int sndNxt;
    /** The guest's RCV.NXT. */
    int rcvNxt;
    int mss = 1460;
    int windowScale = 7;
    boolean sack = true;
    boolean timestamps = true;
    /** The raw window field a guest sends unless told otherwise. */
    static final int DEFAULT_WINDOW = 65535;
    /** The raw window field the guest sends. */
    int window = DEFAULT_WINDOW;
    /** jslirp's window shift, from its SYN-ACK. */
    int peerShift;
    int tsVal = 100;
    int tsRecent;
    /** The right edge of jslirp's window (from the last segment seen). */
    int peerWindowEdge;
    Duration wait = Duration.ofSeconds(5);
    /** True once {@link #receive} consumed jslirp's FIN. */
    boolean finReceived;
    /** The highest ACK jslirp sent. */
    int ackedByPeer;

    GuestTcp(VirtualGuest guest, int dst, int dport, int sport) {
        this.guest = guest;
        this.dst = dst;
        this.dport = dport;
        this.sport = sport;
        this.sndNxt = iss;
    }

    /**
     * The guest's side of a connection jslirp opens (a port forward): {@code syn} is
     * jslirp's SYN; the endpoint answers from the port the SYN was sent to.
     */
    static GuestTcp answering(VirtualGuest guest, Seg syn) {
        GuestTcp c = new GuestTcp(guest, syn.srcIp, syn.srcPort, syn.dstPort);
        c.iss = 0x20000000;
        c.sndNxt = c.iss;
        c.rcvNxt = syn.seq + 1;
        c.peerShift = syn.options.windowScale >= 0 ? syn.options.windowScale : 0;
        c.tsRecent = syn.options.tsVal;
        c.peerWindowEdge = c.iss + 1 + syn.window;
        c.ackedByPeer = c.iss + 1;
        return c;
    }

    /** Answers jslirp's SYN with a SYN-ACK carrying our options. */
    void synAckBack() {
        guest.send(GuestFrames.tcp(dst, t -> {
            t.from(sport).to(dport).seq(iss).ack(rcvNxt).flags(TcpPacket.SYN).window(window).mss(mss);
            if (windowScale >= 0) {
                t.windowScale(windowScale);
            }
            if (sack) {
                t.sackPermitted();
            }
            if (timestamps) {
                t.timestamp(++tsVal, tsRecent);
            }
        }));
        sndNxt = iss + 1;
    }

    /** Sends a segment built from the current state plus {@code spec}. */
    void sendRaw(Consumer<GuestFrames.Tcp> spec) {
        io.netty.buffer.ByteBuf f = GuestFrames.tcp(dst, t -> {
            t.from(sport).to(dport).window(window);
            if (timestamps) {
                t.timestamp(++tsVal, tsRecent);
            }
            spec.accept(t);
        });
        if (batching) {
            guest.network().receiveFromGuest(f);
        } else {
            guest.send(f);
        }
    }

    private boolean batching;

    /**
     * Runs {@code script} with every frame handed to the network within one event-loop
     * turn (embedded loop), as frames from one transport read arrive; then lets the
     * turn end.
     */
    void batch(Runnable script) {
        batching = true;
        try {
            script.run();
        } finally {
            batching = false;
        }
        guest.runPending();
    }

    void syn() {
        guest.send(GuestFrames.tcp(dst, t -> {
            t.from(sport).to(dport).seq(iss).flags(TcpPacket.SYN).window(window).mss(mss);
            if (windowScale >= 0) {
                t.windowScale(windowScale);
            }
            if (sack) {
                t.sackPermitted();
            }
            if (timestamps) {
                t.timestamp(++tsVal, 0);
            }
        }));
        sndNxt = iss + 1;
    }

    /** Takes jslirp's SYN-ACK and checks it acknowledges our SYN. */
    Seg synAck() {
        Seg s = expect();
        assertThat(s.flags).as("%s", s).isEqualTo(TcpPacket.SYN | TcpPacket.ACK);
        assertThat(s.ack).isEqualTo(iss + 1);
        rcvNxt = s.seq + 1;
        peerShift = s.options.windowScale >= 0 && windowScale >= 0 ? s.options.windowScale : 0;
        peerWindowEdge = s.ack + s.window;
        ackedByPeer = iss + 1;
        return s;
    }

    /** SYN, SYN-ACK, ACK. */
    Seg connect() {
        syn();
        Seg s = synAck();
        ack();
        return s;
    }

    void ack() {
        sendRaw(t -> t.seq(sndNxt).ack(rcvNxt));
    }

    void ackWithWindow(int raw) {
        sendRaw(t -> t.seq(sndNxt).ack(rcvNxt).window(raw));
    }

    void send(byte[] data) {
        int seq = sndNxt;
        sendRaw(t -> t.seq(seq).ack(rcvNxt).flags(TcpPacket.PSH).data(data));
        sndNxt += data.length;
    }

    /** Sends data without PSH (a segment in the middle of a write). */
    void sendWithoutPush(byte[] data) {
        int seq = sndNxt;
        sendRaw(t -> t.seq(seq).ack(rcvNxt).data(data));
        sndNxt += data.length;
    }

    /** Sends data at an explicit sequence offset from our ISS+1, without moving sndNxt. */
    void sendAt(int offset, byte[] data) {
        int seq = iss + 1 + offset;
        sendRaw(t -> t.seq(seq).ack(rcvNxt).data(data));
    }

    void fin() {
        int seq = sndNxt;
        sendRaw(t -> t.seq(seq).ack(rcvNxt).flags(TcpPacket.FIN));
        sndNxt++;
    }

    void rst(int seq) {
        sendRaw(t -> t.seq(seq).flags(TcpPacket.RST));
    }

    void rst() {
        rst(sndNxt);
    }

    /** The next segment to the guest, checked for checksums; tracks jslirp's window and timestamps. */
    Seg expect() {
        Seg s = Seg.parse(guest.expectFrame(wait));
        assertThat(s.dstPort).as("%s", s).isEqualTo(sport);
        assertThat(s.srcPort).as("%s", s).isEqualTo(dport);
        assertThat(s.srcIp).as("replies come from the address the guest connected to").isEqualTo(dst);
        if (s.options.hasTimestamp) {
            tsRecent = s.options.tsVal;
        }
        if (s.has(TcpPacket.ACK) && !s.has(TcpPacket.SYN) && !s.has(TcpPacket.RST)) {
            peerWindowEdge = s.ack + (s.window << peerShift);
        }
        return s;
    }

    /** Expects jslirp's FIN (unless {@link #receive} took it already) and ACKs it. */
    void expectFin() {
        while (!finReceived) {
            Seg s = expect();
            if (s.has(TcpPacket.FIN)) {
                assertThat(s.seq + s.len()).as("FIN after all data").isEqualTo(rcvNxt);
                rcvNxt++;
                finReceived = true;
            }
        }
        ack();
    }

    /**
     * On an embedded guest: expects nothing at once (the ACK of a lone segment waits,
     * see {@link DelayedAcks}), then the pure ACK once the delay ran out.
     */
    Seg expectDelayedAck() {
        guest.expectNothing(Duration.ZERO);
        guest.advance(Duration.ofNanos(2 * DelayedAcks.TICK_NANOS));
        return expectAck();
    }

    /**
     * On an embedded guest: the next segment, letting the ACK delay run out first if
     * nothing is queued yet (for scripts that do not care whether an ACK was delayed).
     */
    Seg expectAllowingAckDelay() {
        if (guest.sink().size() == 0) {
            guest.advance(Duration.ofNanos(2 * DelayedAcks.TICK_NANOS));
        }
        return expect();
    }

    /** Expects a pure ACK of everything sent. */
    Seg expectAck() {
        Seg s = expect();
        assertThat(s.flags).as("%s", s).isEqualTo(TcpPacket.ACK);
        assertThat(s.ack).as("%s", s).isEqualTo(sndNxt);
        return s;
    }

    /**
     * Reads {@code n} bytes of in-order data, ACKing every data segment (with the
     * current window field), and returns them.
     */
    byte[] receive(int n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (out.size() < n) {
            Seg s = expect();
            if (s.len() > 0 && s.seq == rcvNxt) {
                out.write(s.payload, 0, s.len());
                rcvNxt += s.len();
            }
            if (s.has(TcpPacket.FIN) && s.seq + s.len() == rcvNxt) {
                rcvNxt++;
                finReceived = true;
            }
            if (s.len() > 0 || s.has(TcpPacket.FIN)) {
                ack();
            }
        }
        return out.toByteArray();
    }

    /** Sends {@code data} as MSS-sized segments within jslirp's window, reading its ACKs. */
    void sendAll(byte[] data, int segment) {
        int off = 0;
        while (off < data.length || SeqNum.lt(ackedByPeer, sndNxt)) {
            while (off < data.length && SeqNum.lt(sndNxt, peerWindowEdge)) {
                int n = Math.min(segment, Math.min(data.length - off, peerWindowEdge - sndNxt));
                byte[] chunk = java.util.Arrays.copyOfRange(data, off, off + n);
                send(chunk);
                off += n;
            }
            Seg s = expect();
            if (s.has(TcpPacket.ACK) && SeqNum.gt(s.ack, ackedByPeer)) {
                ackedByPeer = s.ack;
            }
        }
    }
}
