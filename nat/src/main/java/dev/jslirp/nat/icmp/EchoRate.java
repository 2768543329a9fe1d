package dev.jslirp.nat.icmp;

/**
 * A token bucket on the network's clock: up to {@code rate} echo requests per second, in
 * bursts of as many, so that a guest flooding other hosts with pings is held to a
 * bounded rate whatever it sends (one token per request; the bucket starts full).
 */
final class EchoRate {
    private static final long SECOND = 1_000_000_000L;
    private final long rate;
    /** Tokens scaled by a second (so whole nanoseconds refill exact fractions). */
    private long scaled;
    private long last;

    EchoRate(int rate, long now) {
        this.rate = rate;
        this.scaled = rate * SECOND;
        this.last = now;
    }

    /** Takes a token at {@code now}; false if none is left. */
    boolean take(long now) {
        long elapsed = Math.max(0, now - last);
        last = now;
        long max = rate * SECOND;
        // elapsed * rate cannot overflow before a full bucket: cap elapsed at one second first.
        scaled = Math.min(max, scaled + Math.min(elapsed, SECOND) * rate);
        if (scaled < SECOND) {
            return false;
        }
        scaled -= SECOND;
        return true;
    }
}
