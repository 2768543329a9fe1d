package dev.jslirp.core.stats;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How long something took, counted in fixed buckets from 100 µs to 10 s (the classic
 * Prometheus layout: 1, 2.5, 5 per decade), plus the count and sum. As {@link Counters}:
 * recorded on the network's event loop only, read from any thread (monitoring), so plain
 * stores with release semantics and no contention; a reader may see a bucket one
 * observation ahead of the sum.
 */
public final class LatencyHistogram {
    /** Upper bounds of the buckets, inclusive, in nanoseconds; a last, unbounded bucket follows. */
    private static final long[] BOUNDS_NANOS = {
        100_000L, 250_000L, 500_000L,
        1_000_000L, 2_500_000L, 5_000_000L,
        10_000_000L, 25_000_000L, 50_000_000L,
        100_000_000L, 250_000_000L, 500_000_000L,
        1_000_000_000L, 2_500_000_000L, 5_000_000_000L,
        10_000_000_000L,
    };

    /** Observations per bucket (not cumulative); the last is above every bound. */
    private final AtomicLongArray buckets = new AtomicLongArray(BOUNDS_NANOS.length + 1);
    private final AtomicLong sumNanos = new AtomicLong();

    /** The buckets' upper bounds in nanoseconds, without the unbounded last one. */
    public static long[] boundsNanos() {
        return BOUNDS_NANOS.clone();
    }

    /** Records one observation of {@code nanos} (negative counts as 0). On the event loop. */
    public void record(long nanos) {
        long n = Math.max(0, nanos);
        int i = 0;
        while (i < BOUNDS_NANOS.length && n > BOUNDS_NANOS[i]) {
            i++;
        }
        buckets.lazySet(i, buckets.get(i) + 1);
        sumNanos.lazySet(sumNanos.get() + n);
    }

    /** Observations per bucket, not cumulative, the unbounded bucket last; from any thread. */
    public long[] counts() {
        long[] c = new long[buckets.length()];
        for (int i = 0; i < c.length; i++) {
            c[i] = buckets.get(i);
        }
        return c;
    }

    /** The sum of all observations in nanoseconds. */
    public long sumNanos() {
        return sumNanos.get();
    }

    /** The number of observations. */
    public long count() {
        long n = 0;
        for (int i = 0; i < buckets.length(); i++) {
            n += buckets.get(i);
        }
        return n;
    }
}
