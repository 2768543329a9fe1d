package dev.jslirp.nat.tcp;

import dev.jslirp.core.seq.SeqNum;
import dev.jslirp.core.spi.GuestPacket;

/**
 * Guest to host: which guest segments are acceptable, where their data goes, the
 * window offered back and when to ACK.
 *
 * <h2>Window</h2>
 * <p>The window offered is the flow's buffer size less what the host socket has not
 * taken yet ({@link HostHalf#pendingBytes()}). Data from the guest is written to the
 * host socket as soon as it is in order, so "pending + offered window" never exceeds
 * the buffer: memory per flow stays bounded whatever the host peer does. When the
 * host stops reading, pending grows and the window closes; when the socket drains
 * (Netty's writability event) a window update goes out. The right edge offered never
 * moves left (RFC 7323 section 2.4, RFC 9293 3.8.6.2.2), and it only moves right by at
 * least min(buffer/2, MSS) at a time (receiver-side silly window avoidance, RFC 1122
 * 4.2.3.3).
 *
 * <h2>ACKs: one per batch</h2>
 * <p>jslirp relays what the guest sends to a host socket at once, so an ACK tells the
 * guest little beyond "it arrived"; each one still costs a frame built and written,
 * a copy in QEMU or the relay, and an interrupt and ACK processing in the guest. So
 * in-order data is acknowledged once per event-loop turn, for everything the turn's
 * read batch brought ({@link #endOfTurn}), not per two segments as RFC 1122 4.2.3.2
 * suggests for a stack that consumes data itself:
 * <ul>
 *   <li>at the end of the turn, if at least two full segments arrived since the last
 *       ACK (a batch, or a slow guest trickling one segment per turn: every second one,
 *       as RFC 1122's rule);</li>
 *   <li>at once, mid-batch, when the guest has used a quarter of the window offered by
 *       the last ACK, so its congestion window keeps growing and the window never runs
 *       dry behind a long batch;</li>
 *   <li>at the end of the turn for a segment with PSH after the guest was idle (more
 *       than {@link #IDLE_NANOS}): a small write after a pause is often a Nagle-held
 *       one whose successor waits for this ACK;</li>
 *   <li>otherwise after the delay of {@link DelayedAcks} (4 to 8 ms), unless data towards
 *       the guest carries it first (request/response);</li>
 *   <li>at once for out-of-order data, a segment filling a gap and a FIN (RFC 5681 4.2),
 *       and a window update when the window opens from below the silly-window
 *       threshold ({@link #maybeWindowUpdate}).</li>
 * </ul>
 * Every ACK carries the latest window and SACK blocks.
 *
 * <h2>Memory</h2>
 * <p>The window is also capped by the room the network's memory budget gives the flow
 * ({@link dev.jslirp.core.buffer.MemoryBudget}): under pressure the guest is offered a
 * smaller or a zero window, and a window update when memory frees. The right edge offered
 * never moves left, so several flows may have been offered the same room: in-order data
 * the budget cannot take when it arrives is dropped and counted
 * ({@link TcpCounter#MEMORY_LIMIT}) as data beyond the window is, and sent again by the
 * guest. The same idea as passt's, which
 * acknowledges per batch of frames from the guest.
 */
final class TcpReceiver {
    private final TcpFlow flow;
    final SegmentAssembler outOfOrder;
    /** The guest's initial sequence number. */
    int irs;
    /** RCV.NXT: the next guest sequence number expected. */
    int rcvNxt;
    /** The right edge of the window last offered: the guest may send up to here. */
    int rcvAdv;
    /** The last ACK number sent (RFC 7323's Last.ACK.sent). */
    int lastAckSent;
    /** True once the guest's FIN was consumed in order. */
    boolean finReceived;
    /** A pause of the guest's data longer than this makes its next PSH segment acknowledged at the turn's end. */
    static final long IDLE_NANOS = 2 * DelayedAcks.TICK_NANOS;
    private boolean ackPending;
    /** The ACK owed should go at the end of this turn, not after the delay. */
    private boolean ackThisTurn;
    /** When in-order data last arrived, for {@link #IDLE_NANOS}. */
    private long lastDataAt = Long.MIN_VALUE / 2;
    /** The largest segment the guest sent so far: what "a full segment" is (its MSS less options). */
    private int largestSegment;

    TcpReceiver(TcpFlow flow) {
        this.flow = flow;
        TcpStack stack = flow.stack;
        this.outOfOrder = new SegmentAssembler(TcpStack.MAX_OUT_OF_ORDER, stack.ctx.alloc(),
                TcpStack.outOfOrderChunk(stack.bufferBytes), 2L * stack.bufferBytes, flow.memory);
    }

    /** Starts the receive sequence space from the guest's SYN. */
    void init(int irs) {
        this.irs = irs;
        this.rcvNxt = irs + 1;
        this.lastAckSent = rcvNxt;
        this.rcvAdv = rcvNxt + Math.min(available(), 65535);
    }

    /**
     * Bytes the buffer has room for beside what the host socket holds, and the network's
     * memory budget too (a flow it holds back is woken when memory frees).
     */
    private int available() {
        long free = flow.stack.bufferBytes - flow.host.syncPending();
        long budget = flow.memory.room();
        if (budget < free) {
            free = budget;
            flow.stack.waitForMemory(flow);
        }
        return (int) Math.max(0, free);
    }

    /** The window currently offered, RCV.WND. */
    int window() {
        return Math.max(0, rcvAdv - rcvNxt);
    }

    /**
     * RFC 9293 section 3.10.7.4, first check: whether a segment of {@code len} data
     * bytes (plus a FIN) starting at {@code seq} overlaps the window. One leniency: a
     * bare FIN at exactly RCV.NXT is accepted with a zero window (it takes no buffer),
     * as Linux does, so a guest can close while the host is not reading.
     */
    boolean acceptable(int seq, int len, boolean fin) {
        int segLen = len + (fin ? 1 : 0);
        int wnd = window();
        if (segLen == 0) {
            return wnd == 0 ? seq == rcvNxt : SeqNum.inWindow(seq, rcvNxt, wnd);
        }
        if (wnd == 0) {
            return len == 0 && seq == rcvNxt;
        }
        return SeqNum.inWindow(seq, rcvNxt, wnd) || SeqNum.inWindow(seq + segLen - 1, rcvNxt, wnd);
    }

    /**
     * RFC 9293 section 3.10.7.4, seventh and eighth: takes the data and FIN of an
     * acceptable segment. In-order data goes to the host as a retained slice of the
     * guest's frame; data ahead of RCV.NXT waits in {@link #outOfOrder}; what lies
     * outside the window is trimmed off (a FIN beyond it is dropped with it).
     */
    void receive(GuestPacket p, int seq, int len, boolean fin, long now) {
        int off = p.tcp().payloadOffset();
        if (SeqNum.lt(seq, rcvNxt)) {
            int cut = rcvNxt - seq;
            if (cut > len) {
                // All old, FIN included: only our ACK was lost.
                flow.stack.counters.increment(TcpCounter.DUPLICATE_DATA);
                flow.sendAck(now);
                return;
            }
            if (len > 0) {
                flow.stack.counters.increment(TcpCounter.DUPLICATE_DATA);
            }
            off += cut;
            len -= cut;
            seq = rcvNxt;
        }
        int room = rcvAdv - seq;
        if (len > room) {
            len = Math.max(room, 0);
            fin = false;
        }
        if (seq != rcvNxt) {
            // Ahead of RCV.NXT: hold it and tell the guest at once (a duplicate ACK, with
            // SACK blocks, drives its fast retransmit).
            if (len > 0) {
                int kept = outOfOrder.add(seq, p.frame(), off, len);
                flow.stack.counters.increment(kept < 0 ? TcpCounter.OUT_OF_ORDER_LIMIT
                        : kept < len ? TcpCounter.DUPLICATE_DATA : TcpCounter.OUT_OF_ORDER);
            }
            if (fin) {
                outOfOrder.setFin(seq + len);
            }
            flow.sendAck(now);
            return;
        }
        if (len > 0 && !flow.memory.admits(len)) {
            // The window offered was within the budget's room when offered, but other flows
            // took it since: drop, as for data beyond the window; the guest sends it again.
            flow.stack.counters.increment(TcpCounter.MEMORY_LIMIT);
            flow.stack.waitForMemory(flow);
            flow.sendAck(now);
            return;
        }
        if (len >= HostHalf.COALESCE_BELOW) {
            flow.host.deliver(p.frame().retainedSlice(off, len));
            rcvNxt += len;
        } else if (len > 0) {
            flow.host.deliverSmall(p.frame(), off, len);
            rcvNxt += len;
        }
        boolean filledGap = false;
        if (!outOfOrder.isEmpty()) {
            int before = rcvNxt;
            rcvNxt = outOfOrder.drain(rcvNxt, flow.host);
            filledGap = rcvNxt != before;
        }
        if (fin || outOfOrder.finAt(rcvNxt)) {
            rcvNxt++;
            finReceived = true;
            outOfOrder.clear();
            flow.guestFin(now);
            flow.sendAck(now);
        } else if (filledGap || !outOfOrder.isEmpty()) {
            flow.sendAck(now);
        } else if (len > 0) {
            // A super-frame from a tap with offloads is many segments of at most our MSS.
            largestSegment = Math.max(largestSegment, Math.min(len, flow.negotiated.ourMss));
            boolean afterIdle = now - lastDataAt > IDLE_NANOS;
            lastDataAt = now;
            if (rcvNxt - lastAckSent >= quarterWindow()) {
                flow.sendAck(now);
            } else {
                ackPending = true;
                ackThisTurn |= afterIdle && p.tcp().has(dev.jslirp.core.wire.TcpPacket.PSH);
                flow.stack.scheduler.endOfTurn(flow);
            }
        }
    }

    /** A quarter of the window the last ACK offered, but at least two full segments. */
    private int quarterWindow() {
        return Math.max(2 * largestSegment, (rcvAdv - lastAckSent) / 4);
    }

    /** True if an ACK is owed (delayed, or due at the end of the turn). */
    boolean ackPending() {
        return ackPending;
    }

    /**
     * The event-loop turn ends: the ACK owed for what it brought goes now if two full
     * segments or more are unacknowledged (or the PSH-after-idle rule asked), else after
     * the delay (see the class comment).
     */
    void endOfTurn(long now) {
        if (!ackPending) {
            return;
        }
        if (ackThisTurn || rcvNxt - lastAckSent >= 2 * largestSegment) {
            flow.sendAck(now);
        } else {
            flow.stack.scheduler.ackLater(flow);
        }
    }

    /** Notes that a segment carrying ACK = RCV.NXT went out. */
    void ackSent() {
        lastAckSent = rcvNxt;
        ackPending = false;
        ackThisTurn = false;
    }

    /**
     * The window field for a segment being sent, and the new right edge remembered.
     * SYN segments carry the window unscaled (RFC 7323 section 2.2).
     */
    int windowField(boolean syn) {
        int avail = available();
        if (syn) {
            int w = Math.min(avail, 65535);
            rcvAdv = rcvNxt + w;
            return w;
        }
        int shift = flow.negotiated.rcvWndShift;
        int offered = window();
        int threshold = Math.min(flow.stack.bufferBytes / 2, flow.negotiated.ourMss);
        int field = avail - offered >= threshold ? Math.min(65535, avail >> shift) : 0;
        if (field == 0 || SeqNum.lt(rcvNxt + (field << shift), rcvAdv)) {
            // Keep the edge already offered, rounded up so scaling never shrinks it.
            field = (int) Math.min(65535, ((long) offered + (1 << shift) - 1) >> shift);
        }
        int edge = rcvNxt + (field << shift);
        if (SeqNum.gt(edge, rcvAdv)) {
            rcvAdv = edge;
        }
        return field;
    }

    /**
     * Sends a window update if the window could open by the silly-window threshold
     * (called when the host socket drained).
     */
    void maybeWindowUpdate(long now) {
        int threshold = Math.min(flow.stack.bufferBytes / 2, flow.negotiated.ourMss);
        if (available() - window() >= threshold) {
            flow.sendAck(now);
        }
    }

    /** Releases held segments. */
    void clear() {
        outOfOrder.clear();
    }
}
