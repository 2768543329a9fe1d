package dev.jslirp.nat.tcp;

import dev.jslirp.core.seq.SeqNum;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.TcpOptions;
import dev.jslirp.core.wire.TcpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection of the guest, terminated here and continued on a host socket.
 *
 * <h2>Theory of operation</h2>
 * <p>Java offers neither MSG_PEEK nor the kernel's send window (passt's way of leaving
 * unacknowledged data in the host socket), so jslirp is the guest's TCP peer: the guest
 * sees an ordinary TCP endpoint at the address it connected to, and the bytes continue
 * on an ordinary host socket. A flow joins two independent halves:
 * <ul>
 *   <li><b>guest side</b>, a TCP state machine ({@link TcpState}) split by direction:
 *       {@link TcpReceiver} (guest to host: acceptability, reassembly, window, ACKs) and
 *       {@link TcpSender} (host to guest: segmentation, retransmission, probes,
 *       congestion control), with {@link TcpConnector} for the handshakes;</li>
 *   <li><b>host side</b>, a {@link HostSocket}: guest data is written to it as it
 *       comes in order; host data is read only while the guest can take it (its window
 *       open, our unacknowledged buffer not full, the guest transport writable).</li>
 * </ul>
 * The core is sans-IO: every event carries the time ({@code now}, nanoseconds of
 * {@link GuestContext#nanoTime()}), frames go out through the {@link GuestContext},
 * host operations through {@link HostSocket}, and timers are deadlines the Netty layer
 * turns into one scheduled task per flow ({@link #nextDeadline()}, {@link #timer}).
 *
 * <h2>Directions and half-close</h2>
 * <p>Guest FIN: once all its data is written, the host socket's output is shut down
 * (the host peer reads EOF); host data keeps flowing to the guest (CLOSE_WAIT). Host
 * EOF: our FIN follows the host's last byte (FIN_WAIT_1); the guest keeps sending.
 * When both directions ended the host socket is closed after its last write. We close
 * first when the host's EOF came first, and then keep TIME_WAIT.
 *
 * <h2>Resets</h2>
 * <p>An acceptable RST from the guest (RFC 5961 section 3.2: exactly at RCV.NXT; in
 * the window only earns a challenge ACK) resets the host socket (SO_LINGER 0). A host
 * reset, write error or unexpected close resets the guest.
 *
 * <h2>Timeouts</h2>
 * <ul>
 *   <li>host connect: {@code tcpConnectTimeout}, then RST to the guest;</li>
 *   <li>SYN-ACK / forward SYN: retransmitted on the RTO, given up after a few tries;</li>
 *   <li>RTO and zero-window probes: see {@link TcpSender};</li>
 *   <li>TIME_WAIT: {@code tcpTimeWait};</li>
 *   <li>idle: {@code tcpIdleTimeout} without a segment from the guest or data from the
 *       host, in any state; then RST both ways.</li>
 * </ul>
 * A flow leaves the table when the guest side is CLOSED and the host socket closed.
 */
final class TcpFlow implements SegmentAssembler.Sink {
    private static final Logger LOG = LoggerFactory.getLogger(TcpFlow.class);
    /** "No deadline". */
    static final long NONE = Long.MAX_VALUE;
    /**
     * Guest segments with less data than this are copied (see {@link #deliverSmall});
     * larger ones go to the host as slices of the guest's frame. With Netty's ~96
     * bytes of bookkeeping per queued write, this keeps that overhead under a fifth
     * of the data however small the guest's segments are.
     */
    static final int COALESCE_BELOW = 512;
    private static final int COALESCE_BUFFER = 2048;
    /**
     * Segments to the guest with at least this much data, if it lies in one host read
     * buffer, go out as headers plus a slice of that buffer (a composite frame the
     * transport writes with one gathering write) instead of a copy. Below it the copy
     * is cheaper than the composite's bookkeeping, which also allocates a little per
     * frame; so at MTU 1500 every segment is still copied and nothing is allocated.
     * At MTU 65520 the copy was a 64 KiB memcpy per frame.
     */
    static final int UNCOPIED_PAYLOAD_MIN = 16 << 10;

    final TcpStack stack;
    /** The guest's address and port. */
    final int guestIp;
    final int guestPort;
    /** The address and port the guest talks to (replies come from here). */
    final int remoteIp;
    final int remotePort;
    /** True if a port forward opened the flow (we sent the SYN). */
    final boolean forwarded;
    final TcpReceiver rcv;
    final TcpSender snd;
    private TcpState state;
    HostSocket host;

    /** The guest's MSS, clamped to [88, our MSS]: data plus options per segment to the guest. */
    int sndMss = TcpStack.DEFAULT_GUEST_MSS;
    /** True if both sides sent the window scale option (RFC 7323 section 2). */
    boolean wsOn;
    /** The shift applied to the guest's window fields (0 unless both sides sent window scale). */
    int sndWndShift;
    /** The shift the guest applies to our window fields. */
    int rcvWndShift;
    /** True if both sides sent timestamps (RFC 7323). */
    boolean tsOn;
    /** TS.Recent: the guest's timestamp to echo. */
    int tsRecent;
    /** Random offset of our timestamp clock (RFC 7323 section 5.4). */
    private final int tsOffset = ThreadLocalRandom.current().nextInt();
    /** True if both sides sent SACK-permitted (RFC 2018). */
    boolean sackOn;

    private boolean hostEof;
    private boolean hostCloseRequested;
    private boolean hostOutputShut;
    private boolean hostClosed;
    private boolean hostWritesQueued;
    private boolean removed;
    /** Small guest writes gathered for one host write; see {@link #deliverSmall}. */
    private ByteBuf coalesced;

    /** Deadline of the state's own timer: the host connect in CONNECTING, the end of TIME_WAIT. */
    long stateDeadline = NONE;
    /** When the guest or the host last did something. */
    long lastActivity;

    // Bookkeeping of the layers around the core.
    /** The Netty layer's timer of this flow. */
    Object timer;
    /** True while queued for {@link #endOfTurn}. */
    boolean endOfTurnQueued;
    /** True while {@link DelayedAcks} holds it. */
    boolean delayedAckQueued;
    /** True while {@link TcpStack} holds it as blocked on the guest transport. */
    boolean blockedOnGuest;
    TcpFlow timeWaitPrev;
    TcpFlow timeWaitNext;

    TcpFlow(TcpStack stack, int guestIp, int guestPort, int remoteIp, int remotePort, boolean forwarded,
            TcpState initial, long now) {
        this.stack = stack;
        this.guestIp = guestIp;
        this.guestPort = guestPort;
        this.remoteIp = remoteIp;
        this.remotePort = remotePort;
        this.forwarded = forwarded;
        this.state = initial;
        this.rcv = new TcpReceiver(this);
        this.snd = new TcpSender(this);
        this.lastActivity = now;
    }

    // ---------------------------------------------------------------- state

    /** The state towards the guest. */
    TcpState state() {
        return state;
    }

    /** The one place the state changes; logs every transition. */
    void setState(TcpState to, String why) {
        TcpState from = state;
        if (from == to) {
            return;
        }
        state = to;
        stack.stateChanged(this, from, to);
        if (LOG.isDebugEnabled()) {
            LOG.debug("tcp {} {} -> {} ({})", this, from, to, why);
        }
    }

    /** True once the flow left every table. */
    boolean isRemoved() {
        return removed;
    }

    /** Attaches the host socket; called by the {@link HostConnector} before it connects. */
    void attachHost(HostSocket socket) {
        this.host = socket;
    }

    // ---------------------------------------------------------------- negotiation

    /**
     * Takes the options of the guest's SYN or SYN-ACK (RFC 9293 3.7.1, RFC 7323,
     * RFC 2018): MSS, window scale only if both sides send it, timestamps and SACK
     * likewise. For a guest SYN we answer with what the guest offered; for a forward's
     * SYN we offered everything and the guest's SYN-ACK decides.
     */
    void negotiate(TcpOptions o) {
        int mss = o.mss >= 0 ? o.mss : TcpStack.DEFAULT_GUEST_MSS;
        sndMss = Math.max(TcpStack.MIN_GUEST_MSS, Math.min(mss, stack.ourMss));
        wsOn = o.windowScale >= 0;
        if (wsOn) {
            sndWndShift = o.windowScale;
            rcvWndShift = stack.rcvWndShift;
        } else {
            sndWndShift = 0;
            rcvWndShift = 0;
        }
        tsOn = o.hasTimestamp;
        if (tsOn) {
            tsRecent = o.tsVal;
        }
        sackOn = o.sackPermitted;
    }

    /** Our timestamp clock: milliseconds (RFC 7323 section 5.4's 1 ms to 1 s tick), offset per flow. */
    int tsClock(long now) {
        return (int) TimeUnit.NANOSECONDS.toMillis(now) + tsOffset;
    }

    /**
     * The most data one segment to the guest may carry: the guest's MSS less the
     * options every segment carries (RFC 6691), and less SACK blocks if
     * {@code withSack} and we currently send them.
     */
    int maxPayload(boolean withSack) {
        int opts = tsOn ? 12 : 0;
        if (withSack && sackOn && !rcv.outOfOrder.isEmpty()) {
            int blocks = Math.min(rcv.outOfOrder.blockCount(), tsOn ? 3 : TcpOptions.MAX_SACK_BLOCKS);
            opts += 4 + 8 * blocks;
        }
        return sndMss - opts;
    }

    // ---------------------------------------------------------------- segments from the guest

    /** A segment of this flow from the guest. The packet is valid during the call only. */
    void segment(GuestPacket p, long now) {
        switch (state) {
            case CONNECTING:
                stack.connector.whileConnecting(this, p, now);
                break;
            case SYN_SENT:
                stack.connector.inSynSent(this, p, now);
                break;
            case CLOSED:
                if ((p.tcp().flags() & (TcpPacket.SYN | TcpPacket.ACK)) == TcpPacket.SYN) {
                    // The tuple's previous flow still drains to the host: let the guest's
                    // SYN retry rather than refuse it.
                    stack.counters.increment(TcpCounter.TUPLE_BUSY);
                } else {
                    stack.replyRst(p);
                }
                break;
            case TIME_WAIT:
                timeWaitSegment(p, now);
                break;
            default:
                synchronizedSegment(p, now);
                break;
        }
        afterEvent(now);
    }

    /** SYN_RECEIVED and the synchronized states: RFC 9293 section 3.10.7.4, in its order. */
    private void synchronizedSegment(GuestPacket p, long now) {
        TcpPacket t = p.tcp();
        TcpOptions o = p.tcpOptions();
        int flags = t.flags();
        int seq = t.seq();
        int len = t.payloadLength();
        boolean fin = (flags & TcpPacket.FIN) != 0;
        lastActivity = now;
        if (state == TcpState.SYN_RECEIVED && (flags & (TcpPacket.SYN | TcpPacket.ACK)) == TcpPacket.SYN
                && seq == rcv.irs) {
            // The guest did not get our SYN-ACK: send it again now rather than on the RTO.
            stack.counters.increment(TcpCounter.SYN_ABSORBED);
            snd.sendSyn(TcpPacket.SYN | TcpPacket.ACK, now);
            return;
        }
        if (tsOn && o.hasTimestamp && (flags & TcpPacket.RST) == 0 && SeqNum.lt(o.tsVal, tsRecent)) {
            stack.counters.increment(TcpCounter.PAWS_REJECTED);       // RFC 7323 section 5.3
            sendAck(now);
            return;
        }
        // First: sequence number.
        if (!rcv.acceptable(seq, len, fin)) {
            if ((flags & TcpPacket.RST) == 0) {
                stack.counters.increment(TcpCounter.OUT_OF_WINDOW);
                sendAck(now);
            }
            return;
        }
        // Second: RST (RFC 5961 section 3.2).
        if ((flags & TcpPacket.RST) != 0) {
            if (seq == rcv.rcvNxt) {
                resetByGuest(now);
            } else {
                stack.counters.increment(TcpCounter.CHALLENGE_ACK);
                sendAck(now);
            }
            return;
        }
        // Fourth: SYN (RFC 5961 section 4.2).
        if ((flags & TcpPacket.SYN) != 0) {
            stack.counters.increment(TcpCounter.CHALLENGE_ACK);
            sendAck(now);
            return;
        }
        // Fifth: ACK.
        if ((flags & TcpPacket.ACK) == 0) {
            stack.counters.increment(TcpCounter.NO_ACK);
            return;
        }
        int ack = t.ack();
        if (state == TcpState.SYN_RECEIVED) {
            if (ack != snd.iss + 1) {
                stack.counters.increment(TcpCounter.BAD_ACK);
                stack.sendRst(remoteIp, remotePort, guestIp, guestPort, ack, 0, TcpPacket.RST);
                return;
            }
            stack.connector.established(this, seq, ack, t.window() << sndWndShift, o, now);
        }
        if (tsOn && o.hasTimestamp && SeqNum.le(seq, rcv.lastAckSent)) {
            tsRecent = o.tsVal;                                      // RFC 7323 section 4.3
        }
        if (!snd.processAck(seq, ack, t.window(), len == 0 && !fin, o, now) || removed) {
            return;
        }
        if (snd.finAcked()) {
            if (state == TcpState.FIN_WAIT_1) {
                setState(TcpState.FIN_WAIT_2, "our FIN acknowledged");
            } else if (state == TcpState.CLOSING) {
                enterTimeWait(now);
            } else if (state == TcpState.LAST_ACK) {
                closedNormally("our FIN acknowledged");
                return;
            }
        }
        // Seventh and eighth: text and FIN.
        if (state.receivesFromGuest()) {
            rcv.receive(p, seq, len, fin, now);
        }
    }

    /** TIME_WAIT (RFC 9293 3.10.7.4 and section 3.6.1). */
    private void timeWaitSegment(GuestPacket p, long now) {
        TcpPacket t = p.tcp();
        int flags = t.flags();
        int seq = t.seq();
        if ((flags & TcpPacket.RST) != 0) {
            if (seq == rcv.rcvNxt) {
                closedNormally("RST in TIME_WAIT");
            }
            return;
        }
        if ((flags & (TcpPacket.SYN | TcpPacket.ACK)) == TcpPacket.SYN) {
            if (SeqNum.gt(seq, rcv.rcvNxt)) {
                if (!hostClosed) {
                    // Guest data we acknowledged still drains to the host: the SYN retries.
                    stack.counters.increment(TcpCounter.TUPLE_BUSY);
                    return;
                }
                // A new incarnation of the tuple (RFC 9293 3.10.7.4 / RFC 6191): make room.
                stack.counters.increment(TcpCounter.TIME_WAIT_RECYCLED);
                abort(now, false);
                stack.connector.noFlow(p, now);
            } else {
                stack.counters.increment(TcpCounter.CHALLENGE_ACK);
                sendAck(now);
            }
            return;
        }
        if ((flags & TcpPacket.FIN) != 0) {
            // Our last ACK was lost: acknowledge again and restart the 2 MSL wait.
            sendAck(now);
            stateDeadline = now + stack.timeWait;
        }
    }

    /** The guest's FIN was consumed in order (called by {@link TcpReceiver}). */
    void guestFin(long now) {
        switch (state) {
            case ESTABLISHED:
                setState(TcpState.CLOSE_WAIT, "guest FIN");
                break;
            case FIN_WAIT_1:
                if (snd.finAcked()) {
                    enterTimeWait(now);
                } else {
                    setState(TcpState.CLOSING, "guest FIN");
                }
                break;
            case FIN_WAIT_2:
                enterTimeWait(now);
                break;
            default:
                break;
        }
        if (!hostOutputShut) {
            hostOutputShut = true;
            writeCoalesced();
            host.shutdownOutput();
        }
        if (hostEof) {
            closeHost();
        }
    }

    private void enterTimeWait(long now) {
        setState(TcpState.TIME_WAIT, "both FINs acknowledged");
        snd.clear();
        stateDeadline = now + stack.timeWait;
    }

    private void resetByGuest(long now) {
        stack.counters.increment(TcpCounter.RST_FROM_GUEST);
        abort(now, false);
    }

    /** In-order guest data for the host: written now, flushed at the end of the turn. */
    @Override
    public void deliver(ByteBuf data) {
        stack.counters.add(TcpCounter.BYTES_FROM_GUEST, data.readableBytes());
        writeCoalesced();
        host.write(data);
        hostWritesQueued();
    }

    /**
     * Small in-order guest data: copied into a flow-owned buffer and written with its
     * neighbours, rather than pinning a whole guest frame (and a host write with its
     * bookkeeping) for a few bytes. The guest's frame stays owned by the caller.
     */
    void deliverSmall(ByteBuf frame, int off, int len) {
        stack.counters.add(TcpCounter.BYTES_FROM_GUEST, len);
        if (coalesced != null && coalesced.writableBytes() < len) {
            writeCoalesced();
        }
        if (coalesced == null) {
            coalesced = stack.ctx.alloc().directBuffer(COALESCE_BUFFER);
        }
        coalesced.writeBytes(frame, off, len);
        hostWritesQueued();
    }

    private void hostWritesQueued() {
        if (!hostWritesQueued) {
            hostWritesQueued = true;
            stack.scheduler.endOfTurn(this);
        }
    }

    /** Passes the coalesced small writes to the host socket, keeping the byte order. */
    private void writeCoalesced() {
        ByteBuf c = coalesced;
        if (c != null) {
            coalesced = null;
            if (c.isReadable()) {
                host.write(c);
            } else {
                c.release();
            }
        }
    }

    /** What the host socket has not taken yet, small writes still being coalesced included. */
    long hostPendingBytes() {
        long n = coalesced == null ? 0 : coalesced.readableBytes();
        return host == null || hostClosed ? n : n + host.pendingBytes();
    }

    // ---------------------------------------------------------------- events from the host

    /** The host connect succeeded. */
    void hostConnected(long now) {
        if (removed) {
            return;
        }
        stack.connector.hostConnected(this, now);
        afterEvent(now);
    }

    /** The host connect failed. */
    void hostConnectFailed(Throwable cause, long now) {
        if (removed) {
            return;
        }
        hostClosed = true;
        stack.connector.hostConnectFailed(this, cause, now);
        afterEvent(now);
    }

    /**
     * Data from the host; takes ownership of {@code data}. Data that arrives before the
     * handshake with the guest completed (a host that writes at once, read by a
     * transport that reads unasked: see {@link HostReadAllocator}) waits in the send
     * buffer like any other.
     */
    void hostData(ByteBuf data, long now) {
        if (removed || !state.queuesHostData() || hostEof) {
            data.release();
            return;
        }
        lastActivity = now;
        long past = snd.buffer.capacityHeld() + data.capacity() - stack.bufferBytes;
        if (past > 0) {
            stack.counters.add(TcpCounter.HOST_READ_PAST_BUFFER, Math.min(past, data.capacity()));
        }
        snd.buffer.add(data);
    }

    /** The host read batch ended: send what arrived, read more if there is room. */
    void hostReadComplete(long now) {
        if (removed) {
            return;
        }
        snd.output(now);
        afterEvent(now);
    }

    /**
     * The host sent EOF: our FIN follows its data. During the handshake with the guest
     * the FIN waits for it to complete ({@link #handshakeDone}).
     */
    void hostEof(long now) {
        if (removed || hostEof) {
            return;
        }
        hostEof = true;
        lastActivity = now;
        if (state.halfOpen()) {
            afterEvent(now);
            return;
        }
        if (state == TcpState.ESTABLISHED) {
            setState(TcpState.FIN_WAIT_1, "host EOF");
        } else if (state == TcpState.CLOSE_WAIT) {
            setState(TcpState.LAST_ACK, "host EOF");
        }
        snd.queueFin();
        snd.output(now);
        if (rcv.finReceived) {
            closeHost();
        }
        afterEvent(now);
    }

    /**
     * The handshake with the guest completed (state ESTABLISHED): a host EOF that came
     * during it takes effect now. What the host sent meanwhile goes out with the next
     * {@link TcpSender#output}, which the caller runs.
     */
    void handshakeDone() {
        if (hostEof) {
            setState(TcpState.FIN_WAIT_1, "host EOF during the handshake");
            snd.queueFin();
        }
    }

    /** The host socket's writability changed: the window may open. */
    void hostWritabilityChanged(long now) {
        if (removed || !state.receivesFromGuest()) {
            return;
        }
        rcv.maybeWindowUpdate(now);
        afterEvent(now);
    }

    /** The host socket failed (reset, write error): reset the guest. */
    void hostError(Throwable cause, long now) {
        if (removed) {
            return;
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("tcp {} host error: {}", this, cause.toString());
        }
        stack.counters.increment(TcpCounter.RST_FROM_HOST);
        abort(now, true);
    }

    /** The host socket closed. */
    void hostClosed(long now) {
        if (hostClosed) {
            return;
        }
        hostClosed = true;
        if (removed) {
            return;
        }
        if (!hostCloseRequested && state != TcpState.CLOSED) {
            stack.counters.increment(TcpCounter.RST_FROM_HOST);
            abort(now, true);
            return;
        }
        if (state == TcpState.CLOSED) {
            finish();
        }
    }

    private void closeHost() {
        if (!hostCloseRequested) {
            hostCloseRequested = true;
            writeCoalesced();
            host.close();
        }
    }

    /** Room left for host data, by memory held: what the host socket may read now. */
    int hostReadSpace() {
        return (int) Math.max(0, stack.bufferBytes - snd.buffer.capacityHeld());
    }

    /** True while host reads should run. */
    boolean wantHostData() {
        return state.sendsToGuest() && !hostEof && !hostClosed && host != null && snd.sndWnd > 0
                && hostReadSpace() > 0 && stack.ctx.isGuestWritable();
    }

    // ---------------------------------------------------------------- loop-level events

    /** The guest transport is writable again: as after a host read, send what the windows allow. */
    void guestWritable(long now) {
        hostReadComplete(now);
    }

    /** End of the event-loop turn: flush host writes. */
    void endOfTurn(long now) {
        if (removed) {
            return;
        }
        if (hostWritesQueued) {
            hostWritesQueued = false;
            if (!hostClosed) {
                writeCoalesced();
                host.flush();
            }
        }
    }

    /** The delay of an ACK owed for a lone segment ran out: send it unless something carried it. */
    void delayedAckDue(long now) {
        if (!removed && rcv.ackPending()) {
            sendAck(now);
        }
    }

    /** The earliest deadline, or {@link #NONE}. */
    long nextDeadline() {
        long d = Math.min(stateDeadline, lastActivity + stack.idleTimeout);
        return Math.min(d, Math.min(snd.rtoDeadline, snd.persistDeadline));
    }

    /** A deadline passed (or the timer fired early): runs what is due. */
    void timer(long now) {
        if (removed) {
            return;
        }
        if (stateDeadline <= now) {
            stateDeadline = NONE;
            if (state == TcpState.CONNECTING) {
                stack.connector.connectTimedOut(this, now);
            } else if (state == TcpState.TIME_WAIT) {
                stack.counters.increment(TcpCounter.TIME_WAIT_EXPIRED);
                closedNormally("TIME_WAIT expired");
            }
        }
        if (!removed && lastActivity + stack.idleTimeout <= now) {
            stack.counters.increment(TcpCounter.IDLE_TIMEOUT);
            abort(now, state != TcpState.CLOSED);
        }
        if (!removed && snd.rtoDeadline <= now) {
            if (state == TcpState.SYN_RECEIVED || state == TcpState.SYN_SENT) {
                stack.connector.synTimeout(this, now);
            } else {
                snd.onRto(now);
            }
        }
        if (!removed && snd.persistDeadline <= now) {
            snd.onPersist(now);
        }
        afterEvent(now);
    }

    /** After every event: re-arms the timer and resumes host reads if there is room. */
    void afterEvent(long now) {
        if (removed) {
            return;
        }
        if (wantHostData()) {
            host.read();
        }
        stack.scheduler.wakeAt(this, nextDeadline());
    }

    // ---------------------------------------------------------------- endings

    /**
     * Ends the flow at once: a RST to the guest if {@code rstToGuest} (and the guest can
     * know the connection), a reset of the host socket, buffers released.
     */
    void abort(long now, boolean rstToGuest) {
        if (removed) {
            return;
        }
        if (rstToGuest && stack.ctx.isGuestAttached()) {
            sendRst(now);
        }
        hostCloseRequested = true;
        if (host != null && !hostClosed) {
            hostClosed = true;
            host.abort();
        }
        setState(TcpState.CLOSED, "aborted");
        finish();
    }

    /** The guest side ended cleanly: the flow goes once the host socket closed too. */
    private void closedNormally(String why) {
        stack.counters.increment(TcpCounter.CLOSED_NORMALLY);
        setState(TcpState.CLOSED, why);
        snd.clear();
        rcv.clear();
        stateDeadline = NONE;
        if (hostClosed) {
            finish();
        }
    }

    private void finish() {
        if (removed) {
            return;
        }
        removed = true;
        snd.clear();
        rcv.clear();
        if (coalesced != null) {
            coalesced.release();
            coalesced = null;
        }
        stack.remove(this);
    }

    private void sendRst(long now) {
        switch (state) {
            case CONNECTING:
                // Our answer to the guest's SYN (RFC 9293 3.10.7.1).
                stack.sendRst(remoteIp, remotePort, guestIp, guestPort, 0, rcv.rcvNxt, TcpPacket.RST | TcpPacket.ACK);
                break;
            case SYN_SENT:
            case TIME_WAIT:
            case CLOSED:
                break;
            default:
                emit(snd.sndNxt, TcpPacket.RST | TcpPacket.ACK, 0, 0, now);
                break;
        }
    }

    // ---------------------------------------------------------------- segments to the guest

    /** Sends a pure ACK carrying the current window. */
    void sendAck(long now) {
        emit(snd.sndNxt, TcpPacket.ACK, 0, 0, now);
    }

    /**
     * Writes one segment to the guest into a fresh frame from
     * {@link GuestContext#newIpv4Frame} (headroom reserved for the transport) and sends
     * it with DF set. Payload: {@code len} bytes at {@code dataOffset} from
     * {@code sndUna} in the send buffer, copied once; or, from
     * {@link #UNCOPIED_PAYLOAD_MIN} bytes on and when they lie in one host read buffer,
     * not copied but attached as a slice ({@link #headersAndPayload}). The checksum is
     * complete, or only the pseudo-header's where the transport has the guest complete
     * it ({@link GuestContext#guestCompletesTcpChecksums()}). Options: on SYNs
     * what we offer, on others timestamps and SACK blocks as negotiated; none on RSTs.
     */
    void emit(int seq, int flags, int dataOffset, int len, long now) {
        GuestContext ctx = stack.ctx;
        TcpOptions o = stack.options.clear();
        boolean syn = (flags & TcpPacket.SYN) != 0;
        boolean rst = (flags & TcpPacket.RST) != 0;
        if (syn) {
            o.mss = stack.ourMss;
            boolean offerAll = !forwardedAnswered();
            if (offerAll || wsOn) {
                o.windowScale = stack.rcvWndShift;
            }
            o.sackPermitted = offerAll || sackOn;
            if (offerAll || tsOn) {
                o.hasTimestamp = true;
                o.tsVal = tsClock(now);
                o.tsEcr = tsOn ? tsRecent : 0;
            }
        } else if (!rst) {
            if (tsOn) {
                o.hasTimestamp = true;
                o.tsVal = tsClock(now);
                o.tsEcr = tsRecent;
            }
            if (sackOn && !rcv.outOfOrder.isEmpty()) {
                o.sackBlocks = rcv.outOfOrder.sackBlocks(o.sackLeft, o.sackRight,
                        tsOn ? 3 : TcpOptions.MAX_SACK_BLOCKS);
            }
        }
        int ack = (flags & TcpPacket.ACK) != 0 ? rcv.rcvNxt : 0;
        int window = rst ? 0 : rcv.windowField(syn);
        int hdr = TcpPacket.MIN_HEADER_LENGTH + o.writtenLength();
        ByteBuf payload = len >= UNCOPIED_PAYLOAD_MIN ? snd.buffer.retainedSlice(dataOffset, len) : null;
        ByteBuf frame = ctx.newIpv4Frame(payload == null ? hdr + len : hdr);
        int off = frame.writerIndex();
        TcpPacket.writeHeader(frame, off, remotePort, guestPort, seq, ack, hdr, flags, window);
        o.write(frame, off + TcpPacket.MIN_HEADER_LENGTH);
        if (payload != null) {
            stack.counters.increment(TcpCounter.SEGMENTS_UNCOPIED);
            frame.writerIndex(off + hdr);
            if (ctx.guestCompletesTcpChecksums()) {
                TcpPacket.writePartialChecksum(frame, off, hdr + len, remoteIp, guestIp);
            } else {
                TcpPacket.writeChecksum(frame, off, hdr, payload, payload.readerIndex(), len, remoteIp, guestIp);
            }
            frame = headersAndPayload(frame, payload);
        } else {
            if (len > 0) {
                snd.buffer.copyTo(dataOffset, frame, off + hdr, len);
            }
            frame.writerIndex(off + hdr + len);
            stack.writeChecksum(frame, off, hdr + len, remoteIp, guestIp);
        }
        ctx.sendIpv4(frame, remoteIp, guestIp, Ipv4Packet.PROTO_TCP, 0, true);
        if ((flags & TcpPacket.ACK) != 0) {
            rcv.ackSent();
        }
    }

    /**
     * One frame of the headers {@code frame} holds (from its first byte, headroom
     * included, so the frame keeps its headroom) and {@code payload} after them,
     * without copying either: a composite buffer whose reader index is the headers'.
     * Takes ownership of both; the caller owns the result.
     */
    private ByteBuf headersAndPayload(ByteBuf frame, ByteBuf payload) {
        int start = frame.readerIndex();
        frame.readerIndex(0);
        CompositeByteBuf whole = stack.ctx.alloc().compositeDirectBuffer(2);
        whole.addComponents(true, frame, payload);
        whole.readerIndex(start);
        return whole;
    }

    /**
     * True when our SYN answers the guest's (a SYN-ACK): then options mirror what the
     * guest offered. A forward's SYN (no SYN from the guest yet) offers everything.
     */
    private boolean forwardedAnswered() {
        return !(forwarded && state == TcpState.SYN_SENT);
    }

    @Override
    public String toString() {
        return Ipv4Address.toString(guestIp) + ":" + guestPort + (forwarded ? " <- " : " -> ")
                + Ipv4Address.toString(remoteIp) + ":" + remotePort;
    }
}
