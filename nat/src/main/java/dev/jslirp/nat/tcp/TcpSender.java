package dev.jslirp.nat.tcp;

import static dev.jslirp.nat.tcp.FlowSchedule.NONE;

import dev.jslirp.core.seq.SeqNum;
import dev.jslirp.core.wire.TcpOptions;
import dev.jslirp.core.wire.TcpPacket;
import java.util.concurrent.TimeUnit;

/**
 * Host to guest: host data from {@code sndUna} on, what is in flight, and when to send,
 * retransmit or probe.
 *
 * <h2>Sending</h2>
 * <p>{@link #output} sends new data while the guest's window ({@code sndWnd}, scaled)
 * and the congestion window allow, in segments of at most the guest's MSS less our
 * options, copying each payload once from the host's read buffers into a frame
 * ({@link SendBuffer#copyTo}); where the guest's transport segments TCP itself (a tap
 * with offloads), in super-segments of many MSS ({@link TcpFlow#maxSegment()}), while
 * retransmissions and the congestion window still count in MSS. No Nagle (we relay what the host wrote; the host's own
 * stack already coalesced), but sender-side silly window avoidance (RFC 9293
 * 3.8.6.2.1): a window-limited runt goes out only when nothing is in flight or it is
 * at least half the largest window seen. The FIN follows the last byte, piggybacked
 * when it fits.
 *
 * <h2>Loss recovery</h2>
 * <ul>
 *   <li>RTO per RFC 6298 ({@link RtoEstimator}), restarted by every ACK that advances
 *       {@code sndUna}; on expiry the first unacknowledged segment is resent even into a
 *       closed window, the timeout backs off, the congestion window drops to one
 *       segment and sending resumes from {@code sndUna} (go-back-N, skipping what later
 *       SACKs report). After {@value #MAX_RETRANSMITS} expiries in a row the flow is
 *       reset.</li>
 *   <li>Fast retransmit on the third duplicate ACK and NewReno fast recovery (RFC 5681
 *       section 3.2, RFC 6582): partial ACKs retransmit the next hole; with SACK each
 *       further duplicate ACK may retransmit one more hole below the highest SACKed
 *       byte (a light form of RFC 6675).</li>
 *   <li>Zero window: while the guest offers no window and nothing is in flight, probes
 *       go out from the RTO on with exponential backoff up to 60 s (RFC 9293 3.8.6.1,
 *       RFC 1122 4.2.2.17). A probe is Linux's: an ACK with {@code seq = sndUna - 1},
 *       which any TCP answers with its current window, so no data goes beyond the
 *       window. The connection is kept as long as the guest answers.</li>
 * </ul>
 *
 * <h2>Congestion control</h2>
 * <p>Reno/NewReno with a 10-segment initial window (RFC 6928) and byte counting (slow
 * start grows by all bytes acknowledged, like Linux). The link is local and
 * lossless unless the guest's queue overflows, so this mostly stays out of the way;
 * it is there so a guest that does drop (a tiny receive queue, a stalled VM) sees a
 * sender that backs off rather than one that re-floods it.
 */
final class TcpSender {
    /** RTO expiries in a row before the flow is reset (Linux's tcp_retries2 is 15). */
    static final int MAX_RETRANSMITS = 12;
    /** Unanswered zero-window probes before the flow is reset. */
    static final int MAX_PROBES = 12;
    private static final long MAX_PERSIST = TimeUnit.SECONDS.toNanos(60);
    private static final int MAX_CWND = 1 << 30;

    private final TcpFlow flow;
    final SendBuffer buffer;
    final RtoEstimator rto = new RtoEstimator();
    private final SackScoreboard sacked = new SackScoreboard();
    /** ISS: our initial sequence number. */
    int iss;
    /** SND.UNA: the oldest unacknowledged sequence number. */
    int sndUna;
    /** SND.NXT: the next sequence number to send (moves back on an RTO). */
    int sndNxt;
    /** The highest sequence number sent so far, plus one. */
    int sndMax;
    /** SND.WND: the guest's window, scaled. */
    int sndWnd;
    /** SND.WL1, SND.WL2: the segment that last updated the window. */
    int sndWl1;
    int sndWl2;
    /** The largest window the guest offered (RFC 5961's MAX.SND.WND). */
    int maxSndWnd;
    private boolean finQueued;
    private boolean finAcked;
    private int finSeq;
    private int cwnd;
    private int ssthresh = Integer.MAX_VALUE / 2;
    private int dupAcks;
    private int recover;
    private int rexmitNxt;
    private boolean inRecovery;
    /** When the RTO fires, or {@link FlowSchedule#NONE}. */
    long rtoDeadline = NONE;
    /** RTO expiries since the last ACK that advanced {@code sndUna}. */
    int retransmits;
    /** When the next zero-window probe goes out, or {@link FlowSchedule#NONE}. */
    long persistDeadline = NONE;
    private long persistInterval;
    private int probes;
    private boolean rttTiming;
    private int rttSeq;
    private long rttStart;

    TcpSender(TcpFlow flow) {
        this.flow = flow;
        this.buffer = new SendBuffer(flow.memory);
    }

    /** Starts the send sequence space. */
    void init(int iss) {
        this.iss = iss;
        this.sndUna = iss;
        this.sndNxt = iss;
        this.sndMax = iss;
        this.recover = iss;
    }

    // ---------------------------------------------------------------- handshake

    /** Sends (or resends) our SYN or SYN-ACK, {@code flags} saying which. */
    void sendSyn(int flags, long now) {
        boolean first = sndMax == iss;
        flow.stack.writer.emit(flow, iss, flags, 0, 0, now);
        sndNxt = iss + 1;
        sndMax = iss + 1;
        rtoDeadline = now + rto.rto();
        if (first && !flow.negotiated.tsOn) {
            rttTiming = true;
            rttSeq = iss + 1;
            rttStart = now;
        } else if (!first) {
            rttTiming = false;
        }
    }

    /**
     * The guest acknowledged our SYN: the connection is synchronized. {@code window} is
     * already scaled as the segment that carried the ACK requires.
     */
    void synAcked(int seq, int ack, int window, TcpOptions options, long now) {
        boolean sampled = sampleRtt(options, ack, now);
        if (!sampled && retransmits > 0) {
            // RFC 6298 section 5.7: a SYN was lost and nothing was measured.
            rto.atLeast(RtoEstimator.AFTER_SYN_LOSS);
        }
        sndUna = iss + 1;
        sndNxt = sndUna;
        sndMax = sndUna;
        rtoDeadline = NONE;
        retransmits = 0;
        sndWnd = window;
        maxSndWnd = window;
        sndWl1 = seq;
        sndWl2 = ack;
        int mss = mss();
        cwnd = Math.min(10 * mss, Math.max(2 * mss, 14600));    // RFC 6928 section 2
    }

    // ---------------------------------------------------------------- host data and FIN

    /** The host sent EOF: a FIN follows the data queued so far. */
    void queueFin() {
        if (!finQueued) {
            finQueued = true;
            finSeq = dataEnd();
        }
    }

    /** True once the guest acknowledged our FIN. */
    boolean finAcked() {
        return finAcked;
    }

    private int dataEnd() {
        return sndUna + buffer.bytes();
    }

    private boolean finSent() {
        return finQueued && SeqNum.gt(sndMax, finSeq);
    }

    private int mss() {
        return flow.maxPayload(false);
    }

    private int flight() {
        return sndMax - sndUna;
    }

    // ---------------------------------------------------------------- ACKs from the guest

    /**
     * RFC 9293 section 3.10.7.4, fifth check, for a synchronized flow: takes the ACK
     * number, SACK blocks and window of an acceptable segment, then sends what the
     * window now allows.
     *
     * @param pure true if the segment carries no data, SYN or FIN (may be a duplicate ACK)
     * @return false if the segment must be dropped (its ACK is not acceptable)
     */
    boolean processAck(int seq, int ack, int rawWindow, boolean pure, TcpOptions options, long now) {
        if (SeqNum.gt(ack, sndMax)) {
            // Acknowledges something never sent: ACK and drop (RFC 9293 3.10.7.4).
            flow.stack.counters.increment(TcpCounter.BAD_ACK);
            flow.sendAck(now);
            return false;
        }
        if (SeqNum.lt(ack, sndUna - Math.max(maxSndWnd, 65535))) {
            // RFC 5961 section 5.2: too old to be anything but blind injection.
            flow.stack.counters.increment(TcpCounter.BAD_ACK);
            flow.sendAck(now);
            return false;
        }
        int wnd = rawWindow << flow.negotiated.sndWndShift;
        probes = 0;
        if (flow.negotiated.sackOn && options.sackBlocks > 0) {
            sacked.update(options, sndUna, sndMax);
        }
        if (SeqNum.gt(ack, sndUna)) {
            newAck(ack, options, now);
        } else if (ack == sndUna && pure && wnd == sndWnd && sndMax != sndUna) {
            duplicateAck(now);
        }
        if (SeqNum.lt(sndWl1, seq) || (sndWl1 == seq && SeqNum.le(sndWl2, ack))) {
            sndWnd = wnd;
            sndWl1 = seq;
            sndWl2 = ack;
            maxSndWnd = Math.max(maxSndWnd, wnd);
            if (wnd > 0 && persistDeadline != NONE) {
                persistDeadline = NONE;
            }
        }
        output(now);
        return true;
    }

    private void newAck(int ack, TcpOptions options, long now) {
        int acked = ack - sndUna;
        int dataAcked = acked;
        if (finQueued && !finAcked && SeqNum.gt(ack, finSeq)) {
            finAcked = true;
            dataAcked--;
        }
        buffer.ack(dataAcked);
        sndUna = ack;
        if (SeqNum.lt(sndNxt, sndUna)) {
            sndNxt = sndUna;
        }
        sacked.ackedTo(sndUna);
        sampleRtt(options, ack, now);
        retransmits = 0;
        int mss = mss();
        if (inRecovery) {
            if (SeqNum.ge(ack, recover)) {
                // Full ACK: leave recovery (RFC 6582 section 3.2, step 3, first option).
                inRecovery = false;
                cwnd = Math.min(ssthresh, Math.max(flight(), mss) + mss);
            } else {
                // Partial ACK: the next hole is lost too; deflate by what was acked.
                retransmitHole(false, now);
                cwnd = Math.max(cwnd - acked + mss, mss);
            }
        } else if (cwnd < ssthresh) {
            // Slow start counting every byte acknowledged, as Linux does: a guest with
            // receive offload acknowledges dozens of segments at once, and RFC 5681's
            // one-MSS-per-ACK (or RFC 3465's two) would starve such stretch ACKs.
            cwnd = (int) Math.min(MAX_CWND, (long) cwnd + acked);
        } else {
            // Congestion avoidance, byte counting (RFC 3465 section 2.1): one MSS per cwnd acknowledged.
            cwnd = (int) Math.min(MAX_CWND, cwnd + Math.max(1L, (long) mss * acked / cwnd));
        }
        dupAcks = 0;
        rtoDeadline = sndMax == sndUna ? NONE : now + rto.rto();                 // RFC 6298 5.2, 5.3
    }

    /** Takes a round-trip sample from an ACK that advanced {@code sndUna}; true if one was taken. */
    private boolean sampleRtt(TcpOptions options, int ack, long now) {
        if (flow.negotiated.tsOn && options.hasTimestamp) {
            // RFC 7323 section 4.2: TSecr echoes the TSval of the segment acknowledged.
            long ms = flow.negotiated.tsClock(now) - options.tsEcr;
            if (ms >= 0 && ms <= TimeUnit.NANOSECONDS.toMillis(RtoEstimator.MAX_RTO)) {
                rto.sample(TimeUnit.MILLISECONDS.toNanos(ms));
                return true;
            }
        } else if (rttTiming && SeqNum.ge(ack, rttSeq)) {
            rttTiming = false;
            rto.sample(now - rttStart);
            return true;
        }
        return false;
    }

    private void duplicateAck(long now) {
        dupAcks++;
        int mss = mss();
        if (inRecovery) {
            cwnd = Math.min(MAX_CWND, cwnd + mss);      // RFC 5681 section 3.2, step 4
            if (flow.negotiated.sackOn) {
                retransmitHole(true, now);
            }
        } else if (dupAcks == 3 && SeqNum.gt(sndUna, recover)) {
            flow.stack.counters.increment(TcpCounter.FAST_RETRANSMIT);
            ssthresh = Math.max(flight() / 2, 2 * mss);   // RFC 5681 eq. 4
            recover = sndMax;                             // RFC 6582 section 3.2, step 2
            inRecovery = true;
            rexmitNxt = sndUna;
            retransmitHole(false, now);
            cwnd = ssthresh + 3 * mss;
        }
    }

    /**
     * Retransmits the first segment not yet retransmitted in this recovery and not
     * SACKed. With {@code onlyBelowSacked}, only if the guest SACKed something above it
     * (evidence that it is lost rather than still in flight).
     */
    private void retransmitHole(boolean onlyBelowSacked, long now) {
        int from = SeqNum.max(rexmitNxt, sndUna);
        if (flow.negotiated.sackOn) {
            from = sacked.skipSacked(from);
        }
        if (!SeqNum.lt(from, sndMax) || (onlyBelowSacked && !SeqNum.lt(from, sacked.highest(sndUna)))) {
            return;
        }
        int n = retransmitAt(from, now);
        rexmitNxt = from + Math.max(n, 1);
    }

    /**
     * Resends one segment from {@code seq} (data up to the MSS, the next SACKed range
     * and what was sent before, the FIN if it follows), ignoring the windows. Never
     * more than was sent: data past {@code sndMax} is new and waits for the windows.
     *
     * @return the sequence space sent
     */
    private int retransmitAt(int seq, long now) {
        int end = dataEnd();
        int sentEnd = finSent() ? finSeq : sndMax;
        // Room for the SACK blocks the segment will carry, as new data leaves it: sized by
        // mss() alone, a resent full segment went out above the MTU (found by fuzzing).
        int len = Math.max(0, Math.min(flow.maxPayload(true), Math.min(end, sentEnd) - seq));
        if (flow.negotiated.sackOn) {
            len = Math.min(len, sacked.nextSackedAfter(seq, end) - seq);
        }
        boolean fin = finSent() && seq + len == finSeq;
        if (len == 0 && !fin) {
            return 0;
        }
        flow.stack.writer.emit(flow, seq, TcpPacket.ACK | (fin ? TcpPacket.FIN : 0) | (len > 0 && seq + len == end ? TcpPacket.PSH : 0),
                seq - sndUna, len, now);
        flow.stack.counters.increment(TcpCounter.RETRANSMITTED_SEGMENTS);
        rttTiming = false;   // Karn's rule
        return len + (fin ? 1 : 0);
    }

    // ---------------------------------------------------------------- sending

    /** Sends what the windows allow: new data, data after an RTO, the FIN. */
    void output(long now) {
        if (!flow.state().transmits()) {
            return;
        }
        int end = dataEnd();
        while (true) {
            if (!flow.guestWritable()) {
                flow.stack.blockedOnGuest(flow);
                break;
            }
            if (flow.negotiated.sackOn && SeqNum.lt(sndNxt, sndMax)) {
                sndNxt = sacked.skipSacked(sndNxt);
            }
            if (SeqNum.lt(sndNxt, end)) {
                int edge = sndUna + Math.min(sndWnd, cwnd);
                int usable = edge - sndNxt;
                int len = Math.min(flow.maxSegment(), end - sndNxt);
                if (usable < len) {
                    int mss = flow.maxPayload(true);
                    if (usable >= mss) {
                        len = usable / mss * mss;   // a super-segment cut to whole segments
                    } else if (usable <= 0 || (sndMax != sndUna && usable < maxSndWnd / 2)) {
                        break;
                    } else {
                        len = usable;
                    }
                }
                if (flow.negotiated.sackOn && SeqNum.lt(sndNxt, sndMax)) {
                    len = Math.min(len, sacked.nextSackedAfter(sndNxt, sndMax) - sndNxt);
                }
                boolean fin = finQueued && sndNxt + len == finSeq;
                send(len, fin, end, now);
            } else if (finQueued && sndNxt == finSeq) {
                send(0, true, end, now);
            } else {
                break;
            }
        }
        if (sndWnd == 0 && sndMax == sndUna && SeqNum.lt(sndNxt, end) && persistDeadline == NONE) {
            persistInterval = rto.rto();
            persistDeadline = now + persistInterval;
        }
    }

    private void send(int len, boolean fin, int end, long now) {
        int seq = sndNxt;
        int flags = TcpPacket.ACK | (fin ? TcpPacket.FIN : 0) | (len > 0 && seq + len == end ? TcpPacket.PSH : 0);
        flow.stack.writer.emit(flow, seq, flags, seq - sndUna, len, now);
        int next = seq + len + (fin ? 1 : 0);
        if (SeqNum.lt(seq, sndMax)) {
            flow.stack.counters.increment(TcpCounter.RETRANSMITTED_SEGMENTS);
            rttTiming = false;
        } else {
            flow.stack.counters.add(TcpCounter.BYTES_TO_GUEST, len);
            if (!rttTiming && !flow.negotiated.tsOn) {
                rttTiming = true;
                rttSeq = next;
                rttStart = now;
            }
        }
        sndNxt = next;
        if (SeqNum.gt(next, sndMax)) {
            sndMax = next;
        }
        if (rtoDeadline == NONE) {
            rtoDeadline = now + rto.rto();
        }
    }

    // ---------------------------------------------------------------- timers

    /** The RTO expired for data or FIN (RFC 6298 section 5.4 to 5.7, RFC 5681 eq. 4). */
    void onRto(long now) {
        rtoDeadline = NONE;
        if (sndMax == sndUna) {
            return;
        }
        flow.stack.counters.increment(TcpCounter.RTO_EXPIRED);
        if (++retransmits > MAX_RETRANSMITS) {
            flow.stack.counters.increment(TcpCounter.RETRANSMIT_GIVE_UP);
            flow.abort(now, true);
            return;
        }
        int mss = mss();
        ssthresh = Math.max(flight() / 2, 2 * mss);
        cwnd = mss;
        inRecovery = false;
        recover = sndMax;
        dupAcks = 0;
        sacked.clear();          // RFC 2018 section 8: the guest may have reneged
        rto.backoff();
        rttTiming = false;
        int n = retransmitAt(sndUna, now);
        sndNxt = sndUna + n;
        rtoDeadline = now + rto.rto();
        output(now);
    }

    /** A zero-window probe is due. */
    void onPersist(long now) {
        persistDeadline = NONE;
        if (sndWnd != 0 || sndMax != sndUna || !SeqNum.lt(sndNxt, dataEnd())) {
            return;
        }
        if (++probes > MAX_PROBES) {
            flow.stack.counters.increment(TcpCounter.RETRANSMIT_GIVE_UP);
            flow.abort(now, true);
            return;
        }
        flow.stack.counters.increment(TcpCounter.WINDOW_PROBES);
        flow.stack.writer.emit(flow, sndUna - 1, TcpPacket.ACK, 0, 0, now);
        persistInterval = Math.min(persistInterval * 2, MAX_PERSIST);
        persistDeadline = now + persistInterval;
    }

    /** Releases the buffered host data and stops the timers. */
    void clear() {
        buffer.clear();
        rtoDeadline = NONE;
        persistDeadline = NONE;
    }
}
