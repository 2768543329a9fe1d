package dev.jslirp.nat.tcp;

import java.util.concurrent.TimeUnit;

/**
 * The retransmission timeout of one flow towards the guest, per RFC 6298.
 *
 * <p>Constants and where they deviate:
 * <ul>
 *   <li>initial RTO 1 s (RFC 6298 section 2.1);</li>
 *   <li>minimum RTO 200 ms instead of RFC 6298's 1 s (section 2.4 lets "a lower
 *       value" be chosen): the guest is one hop away on a virtual link, so round trips
 *       are sub-millisecond and a 1 s floor would only slow loss recovery. 200 ms is
 *       Linux's TCP_RTO_MIN and covers the guest's delayed ACK (at most 200 ms on Linux)
 *       and a scheduler hiccup of the VM;</li>
 *   <li>maximum RTO 60 s (section 2.5);</li>
 *   <li>clock granularity G = 1 ms, the resolution of our timestamp clock.</li>
 * </ul>
 * Samples come from timestamps (RFC 7323 section 4) or from one timed segment at a
 * time under Karn's rule; {@link #backoff()} doubles the timeout (section 5.5) until the
 * next sample recomputes it.
 */
final class RtoEstimator {
    static final long INITIAL_RTO = TimeUnit.SECONDS.toNanos(1);
    static final long MIN_RTO = TimeUnit.MILLISECONDS.toNanos(200);
    static final long MAX_RTO = TimeUnit.SECONDS.toNanos(60);
    /** RFC 6298 section 5.7: the RTO data starts with after a SYN was retransmitted. */
    static final long AFTER_SYN_LOSS = TimeUnit.SECONDS.toNanos(3);
    private static final long GRANULARITY = TimeUnit.MILLISECONDS.toNanos(1);

    private long srtt;
    private long rttvar;
    private long rto = INITIAL_RTO;
    private boolean measured;

    /** Feeds one round-trip sample in nanoseconds (RFC 6298 sections 2.2 and 2.3). */
    void sample(long rtt) {
        if (rtt < 0) {
            return;
        }
        if (!measured) {
            measured = true;
            srtt = rtt;
            rttvar = rtt / 2;
        } else {
            long delta = Math.abs(srtt - rtt);
            rttvar = (3 * rttvar + delta) / 4;      // beta = 1/4
            srtt = (7 * srtt + rtt) / 8;            // alpha = 1/8
        }
        rto = clamp(srtt + Math.max(GRANULARITY, 4 * rttvar));
    }

    /** Doubles the timeout after it expired (RFC 6298 section 5.5), up to the maximum. */
    void backoff() {
        rto = Math.min(MAX_RTO, rto * 2);
    }

    /** Raises the timeout to at least {@code floor}. */
    void atLeast(long floor) {
        rto = Math.max(rto, Math.min(MAX_RTO, floor));
    }

    /** The current timeout in nanoseconds. */
    long rto() {
        return rto;
    }

    /** The smoothed round-trip time, or -1 before the first sample. */
    long srtt() {
        return measured ? srtt : -1;
    }

    private static long clamp(long v) {
        return Math.max(MIN_RTO, Math.min(MAX_RTO, v));
    }
}
