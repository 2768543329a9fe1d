package dev.jslirp.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A count that one thread (the event loop) raises and another (the benchmark thread)
 * waits on, without allocating: the hand-back of a benchmark operation that ran on a
 * real event loop.
 *
 * <p>The waiter spins briefly, then parks; the raiser unparks it only if it parked.
 * Both fields are volatile, so either the raiser sees the parked thread or the waiter
 * sees the new count before it parks: no lost wake-up.
 */
public final class Progress {
    /** Spins before parking: short, since the machine may have few cores to spare. */
    private static final int SPINS = 200;

    private volatile long count;
    private volatile Thread parked;

    /** Adds {@code n}; only one thread may call it (the event loop). */
    public void advance(long n) {
        count = count + n;
        Thread t = parked;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    /** The count so far. */
    public long get() {
        return count;
    }

    /**
     * Waits until the count reaches {@code target}.
     *
     * @throws IllegalStateException naming {@code what} if it does not within {@code timeoutMillis}
     */
    public void await(long target, long timeoutMillis, String what) {
        for (int i = 0; i < SPINS; i++) {
            if (count >= target) {
                return;
            }
            Thread.onSpinWait();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        parked = Thread.currentThread();
        try {
            while (count < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("timed out after " + timeoutMillis + " ms waiting for " + what
                            + " (" + count + " of " + target + ")");
                }
                LockSupport.parkNanos(this, left);
            }
        } finally {
            parked = null;
        }
    }
}
