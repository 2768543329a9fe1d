package dev.jslirp.nat.tcp;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Waiting for what a real event loop does asynchronously. */
final class LoopbackTestSupport {
    private LoopbackTestSupport() {
    }

    /** Polls {@code cond} for up to 5 s. */
    static void waitFor(BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("condition not met in 5 s");
            }
            Thread.sleep(10);
        }
    }
}
