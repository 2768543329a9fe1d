package dev.jslirp.bench.soak;

import dev.jslirp.transport.tap.NetworkNamespace;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The soak's traffic threads: each repeats one operation at a rate (or back to back)
 * until {@link #stop}, counting what fails in the {@link Tally} under its name. A worker
 * of the guest's side runs inside the namespace: its thread enters it first
 * ({@link NetworkNamespace#call}), so every socket it opens is the namespace's, as a
 * program in the guest would open it.
 */
final class Workers {
    /** One operation of a worker; counts its own successes. */
    @FunctionalInterface
    interface Operation {
        void run() throws IOException;
    }

    /** After a failure a worker waits this long, so that a broken path does not spin. */
    private static final long BACKOFF_MS = 1000;

    private final Tally tally;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stopping;

    Workers(Tally tally) {
        this.tally = tally;
    }

    /** Starts worker {@code name} on the host's side: {@code op} {@code perSecond} times a second (0: back to back). */
    void start(String name, double perSecond, Operation op) {
        spawn(name, () -> loop(name, perSecond, op));
    }

    /** Starts worker {@code name} inside {@code ns}. */
    void startIn(NetworkNamespace ns, String name, double perSecond, Operation op) {
        spawn(name, () -> {
            try {
                ns.call(() -> {
                    loop(name, perSecond, op);
                    return null;
                });
            } catch (IOException | RuntimeException e) {
                tally.error(name, e);
            }
        });
    }

    private void spawn(String name, Runnable body) {
        Thread t = new Thread(body, "soak-" + name);
        t.setDaemon(true);
        synchronized (threads) {
            threads.add(t);
        }
        t.start();
    }

    private void loop(String name, double perSecond, Operation op) {
        long periodNanos = perSecond > 0 ? (long) (1e9 / perSecond) : 0;
        long next = System.nanoTime();
        while (!stopping) {
            try {
                op.run();
            } catch (Corrupt e) {
                tally.error(name + ".corrupt", e.getMessage());
                sleepMillis(BACKOFF_MS);
            } catch (IOException | RuntimeException e) {
                if (stopping) {
                    return;
                }
                tally.error(name, e);
                sleepMillis(BACKOFF_MS);
            }
            if (periodNanos > 0) {
                next += periodNanos;
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    sleepMillis(wait / 1_000_000);
                } else if (wait < -periodNanos * 10) {
                    next = System.nanoTime();   // fell far behind (a pause): do not burst to catch up
                }
            }
        }
    }

    private void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stopping = true;
        }
    }

    /**
     * Lets every worker finish its operation in progress and stop; waits up to
     * {@code wait} in all. Returns the names of workers still running after it.
     */
    List<String> stop(Duration wait) throws InterruptedException {
        stopping = true;
        long end = System.nanoTime() + wait.toNanos();
        List<String> late = new ArrayList<>();
        synchronized (threads) {
            for (Thread t : threads) {
                t.join(Math.max(1, (end - System.nanoTime()) / 1_000_000));
                if (t.isAlive()) {
                    late.add(t.getName());
                }
            }
        }
        return late;
    }
}
