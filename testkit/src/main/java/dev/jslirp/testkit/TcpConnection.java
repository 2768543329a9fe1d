package dev.jslirp.testkit;

import dev.jslirp.core.seq.SeqNum;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.Ipv6Packet;
import dev.jslirp.core.wire.TcpPacket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A guest's TCP connection through the network, as a small, patient host keeps one:
 * {@link #write} sends segments of at most the MSS within the window jslirp offers and
 * returns once all are acknowledged (sending again what is not acknowledged in
 * {@value #RETRANSMIT_MILLIS} ms); every segment with data is acknowledged at once and
 * kept in order for the reads. The guest offers a window of 65535 bytes and no other option
 * than its MSS (RFC 9293), so nothing here depends on window scaling or timestamps. Either
 * family: the MSS is what a 1500-byte Ethernet MTU leaves after the IP header of the
 * connection's family (1460 for IPv4, 1440 for IPv6).
 *
 * <p>Reads wait up to the guest's timeout; a reset (RST) makes every later call fail with a
 * {@link GuestException} that says so. Use from the guest's thread.
 */
public final class TcpConnection implements AutoCloseable {
    private static final int RETRANSMIT_MILLIS = 200;
    private static final int WINDOW = 65535;
    /** At most this many bytes received and not yet read: the test reads what it waits for. */
    private static final int MAX_UNREAD = 64 << 20;
    /** Ethernet's MTU (RFC 894, RFC 2464), which the network's default {@code mtu=} is. */
    private static final int ETHERNET_MTU = 1500;

    private enum State { SYN_SENT, ESTABLISHED, RESET }

    private final Guest guest;
    private final IpAddress remote;
    /** The remote address as frames carry it, to match segments without parsing them. */
    private final String remoteText;
    private final int remotePort;
    private final int localPort;
    private final int mss;
    private final int iss = ThreadLocalRandom.current().nextInt();
    private State state = State.SYN_SENT;
    private int sndUna = iss;
    private int sndNxt = iss;
    private int rcvNxt;
    private int peerWindow;
    private boolean finSent;
    private boolean peerFinished;
    private byte[] unread = new byte[1024];
    private int unreadStart;
    private int unreadEnd;

    TcpConnection(Guest guest, IpAddress remote, int remotePort, int localPort) {
        this.guest = guest;
        this.remote = remote;
        this.remoteText = remote.toString();
        this.mss = ETHERNET_MTU - (remote.isIpv4() ? Ipv4Packet.MIN_HEADER_LENGTH : Ipv6Packet.HEADER_LENGTH)
                - TcpPacket.MIN_HEADER_LENGTH;
        this.remotePort = remotePort;
        this.localPort = localPort;
    }

    /** The guest's port of the connection. */
    public int localPort() {
        return localPort;
    }

    void connect() {
        long deadline = System.nanoTime() + guest.timeout().toNanos();
        sndNxt = iss + 1;
        do {
            segment(iss, TcpPacket.SYN, mss, new byte[0], 0, 0);
            guest.pumpUntil(() -> state != State.SYN_SENT, Duration.ofMillis(RETRANSMIT_MILLIS * 5L));
        } while (state == State.SYN_SENT && System.nanoTime() - deadline < 0);
        if (state == State.RESET) {
            guest.forget(this);
            throw new GuestException("connection to " + peer() + " refused: the network answered RST "
                    + "(nothing listens there on the host?)");
        }
        if (state != State.ESTABLISHED) {
            guest.forget(this);
            throw new GuestException("connection to " + peer() + ": no SYN-ACK within " + guest.timeout());
        }
    }

    /** Sends {@code text} as UTF-8; see {@link #write(byte[])}. */
    public void write(String text) {
        write(text.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Sends {@code data} and returns once the network acknowledged all of it.
     *
     * @throws GuestException if the connection was reset or the data was not acknowledged in time
     */
    public void write(byte[] data) {
        checkOpen("write");
        if (finSent) {
            throw new IllegalStateException("write after close on " + this);
        }
        int base = sndNxt;   // data[i] has sequence number base + i
        long deadline = System.nanoTime() + guest.timeout().toNanos();
        while (SeqNum.lt(sndUna, base + data.length)) {
            int before = sndUna;
            int sent = sndNxt - base;
            while (sent < data.length && sndNxt - sndUna < peerWindow) {
                int n = Math.min(Math.min(mss, data.length - sent), peerWindow - (sndNxt - sndUna));
                segment(sndNxt, TcpPacket.ACK | TcpPacket.PSH, 0, data, sent, n);
                sndNxt += n;
                sent += n;
            }
            boolean progress = guest.pumpUntil(() -> state == State.RESET || SeqNum.gt(sndUna, before),
                    Duration.ofMillis(RETRANSMIT_MILLIS));
            checkOpen("write");
            if (!progress && SeqNum.lt(sndUna, sndNxt)) {
                // Not acknowledged in time: send again from the first unacknowledged byte.
                int from = sndUna - base;
                int n = Math.min(mss, sndNxt - sndUna);
                segment(sndUna, TcpPacket.ACK | TcpPacket.PSH, 0, data, from, n);
            }
            if (System.nanoTime() - deadline > 0) {
                throw new GuestException(this + ": " + (base + data.length - sndUna) + " of " + data.length
                        + " bytes not acknowledged within " + guest.timeout());
            }
        }
    }

    /**
     * Reads exactly {@code n} bytes.
     *
     * @throws GuestException if the peer closed or reset first, or they did not come in time
     */
    public byte[] read(int n) {
        guest.pumpUntil(() -> unreadEnd - unreadStart >= n || peerFinished || state == State.RESET,
                guest.timeout());
        int have = unreadEnd - unreadStart;
        if (have < n) {
            if (state == State.RESET) {
                throw new GuestException(this + " was reset (RST) with " + have + " of " + n + " bytes read");
            }
            throw new GuestException(this + ": expected " + n + " bytes, got " + have + " "
                    + (peerFinished ? "before the peer closed" : "within " + guest.timeout()));
        }
        return take(n);
    }

    /** Reads exactly {@code n} bytes as UTF-8 text; see {@link #read(int)}. */
    public String readString(int n) {
        return new String(read(n), StandardCharsets.UTF_8);
    }

    /** Reads a line ending in {@code \n} and returns it without the line end ({@code \r\n} too). */
    public String readLine() {
        guest.pumpUntil(() -> indexOfNewline() >= 0 || peerFinished || state == State.RESET, guest.timeout());
        int nl = indexOfNewline();
        if (nl < 0) {
            throw new GuestException(this + ": no complete line " + (state == State.RESET ? "before a reset"
                    : peerFinished ? "before the peer closed" : "within " + guest.timeout()));
        }
        byte[] line = take(nl - unreadStart + 1);
        int end = line.length - 1;
        if (end > 0 && line[end - 1] == '\r') {
            end--;
        }
        return new String(line, 0, end, StandardCharsets.UTF_8);
    }

    /** Reads until the peer closes its side (FIN) and returns all of it. */
    public byte[] readAll() {
        if (!guest.pumpUntil(() -> peerFinished || state == State.RESET, guest.timeout())) {
            throw new GuestException(this + ": the peer did not close within " + guest.timeout());
        }
        return take(unreadEnd - unreadStart);
    }

    /** True once the peer closed its side (FIN) and every byte before it was read. */
    public boolean isPeerClosed() {
        guest.pumpUntil(() -> false, Duration.ZERO);
        return peerFinished && unreadStart == unreadEnd;
    }

    /**
     * Closes the guest's side (FIN) and waits until the network acknowledged it; the peer's
     * FIN, when it comes, is acknowledged as any later frame is taken. Does nothing after a
     * reset or a second time.
     */
    @Override
    public void close() {
        if (state != State.ESTABLISHED || finSent) {
            guest.forget(this);
            return;
        }
        finSent = true;
        int fin = sndNxt;
        sndNxt++;
        long deadline = System.nanoTime() + guest.timeout().toNanos();
        do {
            segment(fin, TcpPacket.FIN | TcpPacket.ACK, 0, new byte[0], 0, 0);
        } while (!guest.pumpUntil(() -> sndUna == sndNxt || state == State.RESET,
                Duration.ofMillis(RETRANSMIT_MILLIS)) && System.nanoTime() - deadline < 0);
        if (peerFinished || state == State.RESET) {
            guest.forget(this);
        }
    }

    /** True if {@code s} belongs to this connection. */
    boolean owns(Frame.Tcp s) {
        return s.sourcePort() == remotePort && s.source().equals(remoteText);
    }

    /** Takes one segment from the network (RFC 9293, 3.10.7, reduced to what a patient guest needs). */
    void received(Frame.Tcp s) {
        if (s.has("RST")) {
            state = State.RESET;
            guest.forget(this);
            return;
        }
        int seq = (int) s.seq();
        int ack = (int) s.ack();
        if (state == State.SYN_SENT) {
            if (s.has("SYN") && s.has("ACK") && ack == iss + 1) {
                rcvNxt = seq + 1;
                sndUna = ack;
                peerWindow = s.window();
                state = State.ESTABLISHED;
                ack();
            }
            return;
        }
        if (s.has("ACK") && SeqNum.ge(ack, sndUna) && SeqNum.le(ack, sndNxt)) {
            sndUna = ack;
            peerWindow = s.window();
        }
        byte[] data = s.payload();
        int skip = rcvNxt - seq;   // bytes of this segment already received
        if (data.length > 0 && skip >= 0 && skip < data.length) {
            append(data, skip, data.length - skip);
            rcvNxt += data.length - skip;
        }
        if (s.has("FIN") && seq + data.length == rcvNxt && !peerFinished) {
            rcvNxt++;
            peerFinished = true;
            if (finSent && sndUna == sndNxt) {
                guest.forget(this);
            }
        }
        if (data.length > 0 || s.has("FIN")) {
            ack();
        }
    }

    private void ack() {
        segment(sndNxt, TcpPacket.ACK, 0, new byte[0], 0, 0);
    }

    private void segment(int seq, int flags, int mssOption, byte[] data, int off, int len) {
        FrameWriter w = guest.writer();
        guest.send(w.tcp(guest.nextHop(remote), guest.source(remote), localPort, remote, remotePort, seq,
                (flags & TcpPacket.SYN) != 0 ? 0 : rcvNxt, flags, WINDOW, mssOption, data, off, len));
    }

    private void append(byte[] data, int off, int len) {
        if (unreadEnd + len > unread.length) {
            int live = unreadEnd - unreadStart;
            if (live + len > MAX_UNREAD) {
                throw new GuestException(this + ": more than " + MAX_UNREAD + " bytes received and not read");
            }
            byte[] bigger = unread.length >= live + len ? unread : new byte[Math.max(unread.length * 2, live + len)];
            System.arraycopy(unread, unreadStart, bigger, 0, live);
            unread = bigger;
            unreadStart = 0;
            unreadEnd = live;
        }
        System.arraycopy(data, off, unread, unreadEnd, len);
        unreadEnd += len;
    }

    private byte[] take(int n) {
        byte[] out = Arrays.copyOfRange(unread, unreadStart, unreadStart + n);
        unreadStart += n;
        return out;
    }

    private int indexOfNewline() {
        for (int i = unreadStart; i < unreadEnd; i++) {
            if (unread[i] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private void checkOpen(String what) {
        if (state == State.RESET) {
            throw new GuestException(what + " on " + this + ": the connection was reset (RST)");
        }
    }

    private String peer() {
        return remote.toUriString() + ":" + remotePort;
    }

    @Override
    public String toString() {
        return "TCP " + guest.source(remote).toUriString() + ":" + localPort + " > " + peer();
    }
}
