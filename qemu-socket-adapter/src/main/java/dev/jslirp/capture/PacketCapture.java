package dev.jslirp.capture;

import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.stats.Counters;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Packet capture of one network: at most one capture at a time, started and stopped from
 * the command line ({@code --pcap}) or the control socket ({@code pcap start FILE},
 * {@code pcap stop}), each written by a {@link CaptureSession}.
 *
 * <p>Without a capture the network has no frame tap and the frame path pays one null
 * check. Methods may be called from any thread, the event loop included: none blocks
 * (except {@link #close()}); each answers with a future, completed by the capture's writer
 * thread. Counters are in the network's stats under {@value #COUNTER_SET}
 * ({@link CaptureCounter}).
 */
public final class PacketCapture implements AutoCloseable {
    /** The name of the capture's counter set in the network's stats. */
    public static final String COUNTER_SET = "capture";

    private final GuestNetwork network;
    private final CaptureLimits limits;
    private final Counters<CaptureCounter> counters;
    /** The running capture, or null; guarded by this. */
    private CaptureSession current;
    /** The last capture's end; a new one waits until its writer is done. Guarded by this. */
    private CompletableFuture<String> last = CompletableFuture.completedFuture("");

    /** Captures of {@code network} bounded by {@code limits}. */
    public PacketCapture(GuestNetwork network, CaptureLimits limits) {
        this.network = Objects.requireNonNull(network, "network");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.counters = network.stats().service(COUNTER_SET, CaptureCounter.class);
    }

    /** The bounds every capture gets. */
    public CaptureLimits limits() {
        return limits;
    }

    /**
     * Starts capturing to {@code file}.
     *
     * @return completes with a line saying where once the file is open and every frame
     *         from then on is captured; fails with an {@link IOException} saying why the
     *         file cannot be written, or an {@link IllegalStateException} if a capture runs
     */
    public synchronized CompletableFuture<String> start(Path file) {
        if (current != null) {
            return CompletableFuture.failedFuture(new IllegalStateException("a capture to " + current.path()
                    + " is running (pcap stop first)"));
        }
        if (!last.isDone()) {
            return CompletableFuture.failedFuture(new IllegalStateException(
                    "the last capture is still being written; try again"));
        }
        CaptureSession s = new CaptureSession(network, file, limits, counters, this::failed);
        current = s;
        return s.start().handle((ok, error) -> {
            if (error != null) {
                synchronized (this) {
                    if (current == s) {
                        current = null;
                    }
                }
                throw new CompletionException(unwrap(error));
            }
            synchronized (this) {
                if (current != s) {
                    throw new IllegalStateException("the capture to " + file + " was stopped as it started");
                }
                network.tap(s);
            }
            return "capturing to " + file + " (" + limits.describe() + ")";
        });
    }

    /**
     * Stops the capture: no frame is taken from now on, those queued are written and the
     * file is closed.
     *
     * @return completes with a summary once the file is closed; fails with an
     *         {@link IllegalStateException} if no capture runs, or the error that ended it
     */
    public synchronized CompletableFuture<String> stop() {
        CaptureSession s = current;
        if (s == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("no capture is running"));
        }
        current = null;
        network.tap(null);
        last = s.finish();
        return last;
    }

    /** The file being written, or null. */
    public synchronized Path file() {
        return current == null ? null : current.path();
    }

    /** The writer of {@code s} failed: its tap goes, if it is still the one. */
    private synchronized void failed(CaptureSession s) {
        if (current == s) {
            current = null;
            network.tap(null);
        }
    }

    /** Stops a running capture and waits (a few seconds at most) for its file to be closed. Not on the event loop. */
    @Override
    public void close() {
        CompletableFuture<String> f;
        synchronized (this) {
            if (current == null) {
                return;
            }
            f = stop();
        }
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            // Logged by the session, or given up on: the process is ending.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The cause inside a future's wrapper. */
    public static Throwable unwrap(Throwable t) {
        return (t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null
                ? t.getCause() : t;
    }
}
