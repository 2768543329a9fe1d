package dev.jslirp.nat.tcp;

import static dev.jslirp.nat.tcp.FlowSchedule.NONE;

import dev.jslirp.core.seq.SeqNum;
import dev.jslirp.core.buffer.MemoryBudget;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.TcpOptions;
import dev.jslirp.core.wire.TcpPacket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One TCP connection of the guest, terminated here and continued on a host socket:
 * the RFC 9293 state machine towards the guest.
 *
 * <h2>Theory of operation</h2>
 * <p>Java offers neither MSG_PEEK nor the kernel's send window (passt's way of leaving
 * unacknowledged data in the host socket), so jslirp is the guest's TCP peer: the guest
 * sees an ordinary TCP endpoint at the address it connected to, and the bytes continue
 * on an ordinary host socket. The flow is family-neutral: its two endpoints are
 * {@link IpAddress}es of one family, and the core writes the IP header. Its parts:
 * <ul>
 *   <li>this class: the tuple, the state ({@link TcpState}, changed only by
 *       {@link #setState}), segment arrival in RFC 9293 3.10.7's order, and the
 *       endings;</li>
 *   <li>{@link NegotiatedOptions}: what the handshake settled;</li>
 *   <li>{@link TcpReceiver} (guest to host: acceptability, reassembly, window, ACKs)
 *       and {@link TcpSender} (host to guest: segmentation, retransmission, probes,
 *       congestion control); {@link TcpConnector} runs the handshakes;</li>
 *   <li>{@link HostHalf}: the host socket and what it did; guest data is written to it
 *       as it comes in order, host data is read only while the guest can take it;</li>
 *   <li>{@link SegmentWriter} (one per NAT) builds the segments;</li>
 *   <li>{@link FlowSchedule}: deadlines and the Netty layer's per-turn marks.</li>
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
final class TcpFlow {
    private static final Logger LOG = LoggerFactory.getLogger(TcpFlow.class);

    final TcpStack stack;
    /** The guest's address and port. */
    final IpAddress guest;
    final int guestPort;
    /** The address and port the guest talks to (replies come from here). */
    final IpAddress remote;
    final int remotePort;
    /** True if a port forward opened the flow (we sent the SYN). */
    final boolean forwarded;
    final NegotiatedOptions negotiated;
    /**
     * What this flow holds of the network's memory budget, both directions: host data
     * unacknowledged ({@link SendBuffer}), guest data out of order ({@link SegmentAssembler})
     * and not yet taken by the host socket ({@link HostHalf}). The flow is the unit the
     * budget shares memory between.
     */
    final MemoryBudget.Account memory;
    final TcpReceiver rcv;
    final TcpSender snd;
    final HostHalf host;
    final FlowSchedule schedule;
    /** The host connect of a guest SYN while it runs, else null. */
    PendingConnect pendingConnect;
    /**
     * The guest's port (which transport it is on): the flow pauses while that port is
     * not writable and ends when it detaches. From the guest's SYN; for a forward, the
     * port its address is bound to, else the port of its first segment.
     */
    GuestPort port;
    private TcpState state;
    private boolean removed;

    TcpFlow(TcpStack stack, IpAddress guest, int guestPort, IpAddress remote, int remotePort, boolean forwarded,
            TcpState initial, long now) {
        this.stack = stack;
        this.guest = guest;
        this.guestPort = guestPort;
        this.remote = remote;
        this.remotePort = remotePort;
        this.forwarded = forwarded;
        this.state = initial;
        this.negotiated = new NegotiatedOptions(stack.ourMss(guest.isIpv6()), stack.rcvWndShift);
        this.schedule = new FlowSchedule(now);
        this.memory = stack.ctx.memory().newAccount();
        this.host = new HostHalf(this, stack);
        this.rcv = new TcpReceiver(this);
        this.snd = new TcpSender(this);
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

    /**
     * True while the guest's port takes more frames (before the port is known, a
     * forward's SYN: true, the few frames of a handshake need no pause).
     */
    boolean guestWritable() {
        GuestPort p = port;
        return p == null || p.isWritable();
    }

    /** True once the flow left every table. */
    boolean isRemoved() {
        return removed;
    }

    /**
     * True while our SYN offers every option: a forward's SYN, which no guest SYN
     * preceded. A SYN-ACK mirrors what the guest offered.
     */
    boolean offersAllOptions() {
        return forwarded && state == TcpState.SYN_SENT;
    }

    /**
     * The most data one segment to the guest may carry; less room for SACK blocks if
     * {@code withSack} and we currently send them.
     */
    int maxPayload(boolean withSack) {
        int blocks = 0;
        if (withSack && negotiated.sackOn && !rcv.outOfOrder.isEmpty()) {
            blocks = Math.min(rcv.outOfOrder.blockCount(), negotiated.maxSackBlocks());
        }
        return negotiated.maxPayload(blocks);
    }

    /**
     * The most new data one segment to the guest may carry: {@link #maxPayload(boolean)
     * maxPayload(true)}, or, when the port's transport segments TCP for the guest
     * ({@link GuestPort#maxTcpSegment()}, a tap with offloads) and the guest's MSS is the
     * MTU's (so that the transport, cutting at the MTU, cuts at the guest's MSS), as many
     * whole segments as fit that limit: one super-segment instead of up to 45 frames, each
     * segment of it still within the guest's MSS once cut.
     */
    int maxSegment() {
        int mss = maxPayload(true);
        GuestPort p = port;
        int limit = p == null ? 0 : p.maxTcpSegment();
        if (limit <= mss || negotiated.sndMss != negotiated.ourMss) {
            return mss;
        }
        return limit / mss * mss;
    }

    // ---------------------------------------------------------------- segments from the guest

    /** A segment of this flow from the guest. The packet is valid during the call only. */
    void segment(GuestPacket p, long now) {
        if (port == null) {
            port = p.port();
        }
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
                    stack.writer.replyRst(p);
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
        NegotiatedOptions n = negotiated;
        int flags = t.flags();
        int seq = t.seq();
        int len = t.payloadLength();
        boolean fin = (flags & TcpPacket.FIN) != 0;
        schedule.lastActivity = now;
        if (state == TcpState.SYN_RECEIVED && (flags & (TcpPacket.SYN | TcpPacket.ACK)) == TcpPacket.SYN
                && seq == rcv.irs) {
            // The guest did not get our SYN-ACK: send it again now rather than on the RTO.
            stack.counters.increment(TcpCounter.SYN_ABSORBED);
            snd.sendSyn(TcpPacket.SYN | TcpPacket.ACK, now);
            return;
        }
        if (n.tsOn && o.hasTimestamp && (flags & TcpPacket.RST) == 0 && SeqNum.lt(o.tsVal, n.tsRecent)) {
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
                stack.counters.increment(TcpCounter.RST_FROM_GUEST);
                abort(now, false);
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
                stack.writer.sendRst(remote, remotePort, guest, guestPort, ack, 0, TcpPacket.RST);
                return;
            }
            stack.connector.established(this, seq, ack, t.window() << n.sndWndShift, o, now);
        }
        if (n.tsOn && o.hasTimestamp && SeqNum.le(seq, rcv.lastAckSent)) {
            n.tsRecent = o.tsVal;                                    // RFC 7323 section 4.3
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
                if (!host.closed()) {
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
            schedule.stateDeadline = now + stack.timeWait;
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
        host.shutdownOutput();
        if (host.eof()) {
            host.close();
        }
    }

    private void enterTimeWait(long now) {
        setState(TcpState.TIME_WAIT, "both FINs acknowledged");
        snd.clear();
        schedule.stateDeadline = now + stack.timeWait;
    }

    // ---------------------------------------------------------------- what the host half reports

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
        stack.connector.hostConnectFailed(this, cause, now);
        afterEvent(now);
    }

    /** A host read batch ended: send what arrived, read more if there is room. */
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
        schedule.lastActivity = now;
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
            host.close();
        }
        afterEvent(now);
    }

    /**
     * The handshake with the guest completed (state ESTABLISHED): a host EOF that came
     * during it takes effect now. What the host sent meanwhile goes out with the next
     * {@link TcpSender#output}, which the caller runs.
     */
    void handshakeDone() {
        if (host.eof()) {
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

    /**
     * The host socket closed.
     *
     * @param unasked true if nobody asked it to (a reset, for the guest)
     */
    void hostClosed(boolean unasked, long now) {
        if (removed) {
            return;
        }
        if (unasked && state != TcpState.CLOSED) {
            stack.counters.increment(TcpCounter.RST_FROM_HOST);
            abort(now, true);
            return;
        }
        if (state == TcpState.CLOSED) {
            finish();
        }
    }

    // ---------------------------------------------------------------- loop-level events

    /**
     * The network's memory budget freed room this flow waited for: offer the guest a
     * larger window if it can open, and read the host socket again.
     */
    void memoryFreed(long now) {
        if (removed) {
            return;
        }
        if (state.receivesFromGuest()) {
            rcv.maybeWindowUpdate(now);
        }
        afterEvent(now);
    }

    /** The guest transport is writable again: as after a host read, send what the windows allow. */
    void guestWritable(long now) {
        hostReadComplete(now);
    }

    /** End of the event-loop turn: flush host writes, and the ACK of what the turn brought. */
    void endOfTurn(long now) {
        if (!removed) {
            host.endOfTurn();
            rcv.endOfTurn(now);
        }
    }

    /** The delay of an ACK owed for a lone segment ran out: send it unless something carried it. */
    void delayedAckDue(long now) {
        if (!removed && rcv.ackPending()) {
            sendAck(now);
        }
    }

    /** The earliest deadline, or {@link FlowSchedule#NONE}. */
    long nextDeadline() {
        long d = Math.min(schedule.stateDeadline, schedule.lastActivity + stack.idleTimeout);
        return Math.min(d, Math.min(snd.rtoDeadline, snd.persistDeadline));
    }

    /** A deadline passed (or the timer fired early): runs what is due. */
    void timer(long now) {
        if (removed) {
            return;
        }
        if (schedule.stateDeadline <= now) {
            schedule.stateDeadline = NONE;
            if (state == TcpState.CONNECTING) {
                stack.connector.connectTimedOut(this, now);
            } else if (state == TcpState.TIME_WAIT) {
                stack.counters.increment(TcpCounter.TIME_WAIT_EXPIRED);
                closedNormally("TIME_WAIT expired");
            }
        }
        if (!removed && schedule.lastActivity + stack.idleTimeout <= now) {
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

    /** After every event: resumes host reads if there is room, and re-arms the timer. */
    void afterEvent(long now) {
        if (removed) {
            return;
        }
        host.readIfWanted();
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
        if (rstToGuest && (port != null ? port.isAttached() : stack.ctx.isGuestAttached())) {
            sendRst(now);
        }
        host.abort();
        setState(TcpState.CLOSED, "aborted");
        finish();
    }

    /** The guest side ended cleanly: the flow goes once the host socket closed too. */
    private void closedNormally(String why) {
        stack.counters.increment(TcpCounter.CLOSED_NORMALLY);
        setState(TcpState.CLOSED, why);
        snd.clear();
        rcv.clear();
        schedule.stateDeadline = NONE;
        if (host.closed()) {
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
        host.release();
        memory.releaseAll();
        stack.remove(this);
    }

    private void sendRst(long now) {
        switch (state) {
            case CONNECTING:
                // Our answer to the guest's SYN (RFC 9293 3.10.7.1).
                stack.writer.sendRst(remote, remotePort, guest, guestPort, 0, rcv.rcvNxt, TcpPacket.RST | TcpPacket.ACK);
                break;
            case SYN_SENT:
            case TIME_WAIT:
            case CLOSED:
                break;
            default:
                stack.writer.emit(this, snd.sndNxt, TcpPacket.RST | TcpPacket.ACK, 0, 0, now);
                break;
        }
    }

    /** Sends a pure ACK carrying the current window. */
    void sendAck(long now) {
        stack.writer.emit(this, snd.sndNxt, TcpPacket.ACK, 0, 0, now);
    }

    @Override
    public String toString() {
        return guest.toUriString() + ":" + guestPort + (forwarded ? " <- " : " -> ") + remote.toUriString() + ":"
                + remotePort;
    }
}
