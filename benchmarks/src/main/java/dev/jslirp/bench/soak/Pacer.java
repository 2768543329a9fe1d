package dev.jslirp.bench.soak;

import java.io.InterruptedIOException;

/**
 * Keeps a transfer at a rate: after each chunk, sleeps until the bytes so far are not
 * ahead of {@code bytesPerSecond} since the start. One per transfer; not thread-safe.
 */
final class Pacer {
    private final double bytesPerSecond;
    private final long start = System.nanoTime();
    private long bytes;

    Pacer(double bytesPerSecond) {
        this.bytesPerSecond = bytesPerSecond;
    }

    /** Counts {@code n} bytes done and sleeps while ahead of the rate. */
    void advance(long n) throws InterruptedIOException {
        bytes += n;
        long dueNanos = (long) (bytes / bytesPerSecond * 1e9);
        long ahead = dueNanos - (System.nanoTime() - start);
        if (ahead > 1_000_000) {
            try {
                Thread.sleep(ahead / 1_000_000, (int) (ahead % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("stopped");
            }
        }
    }
}
