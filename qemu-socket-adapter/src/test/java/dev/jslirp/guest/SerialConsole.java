package dev.jslirp.guest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * QEMU's serial console (its stdout) and its stderr, read by two daemon threads.
 *
 * <p>Everything read goes to the transcript file as it arrives (host notes and QEMU's stderr
 * interleaved, marked as such), and console bytes also to an in-memory buffer that callers
 * search with {@link #await} and trim with {@link #discard}. QEMU blocks on a full stdout pipe,
 * so the pump never stops reading while QEMU runs.
 */
final class SerialConsole implements AutoCloseable {
    private static final int STDERR_TAIL_CHARS = 8192;

    private final Path transcriptPath;
    private final OutputStream transcript;
    private final long startNanos = System.nanoTime();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Console text since the last discard, one char per byte (ISO-8859-1); guarded by lock. */
    private final StringBuilder pending = new StringBuilder();
    /** Last part of QEMU's stderr, for error messages; guarded by lock. */
    private final StringBuilder stderrTail = new StringBuilder();
    /** The console stream ended (QEMU exited or closed it); guarded by lock. */
    private boolean ended;
    private final String name;
    private Thread stdoutPump;
    private Thread stderrPump;

    /**
     * Opens the transcript.
     *
     * @param transcriptPath file to write the transcript to (created or truncated)
     * @param name thread name suffix
     * @throws IOException if the transcript cannot be created
     */
    SerialConsole(Path transcriptPath, String name) throws IOException {
        this.transcriptPath = transcriptPath;
        this.name = name;
        Files.createDirectories(transcriptPath.toAbsolutePath().getParent());
        this.transcript = Files.newOutputStream(transcriptPath);
    }

    /**
     * Starts reading QEMU's output.
     *
     * @param stdout QEMU's stdout, where {@code -serial stdio} sends the guest console
     * @param stderr QEMU's stderr
     */
    void start(InputStream stdout, InputStream stderr) {
        stdoutPump = new Thread(() -> pump(stdout, false), "qemu-console-" + name);
        stderrPump = new Thread(() -> pump(stderr, true), "qemu-stderr-" + name);
        stdoutPump.setDaemon(true);
        stderrPump.setDaemon(true);
        stdoutPump.start();
        stderrPump.start();
    }

    /** @return the transcript file */
    Path transcriptPath() {
        return transcriptPath;
    }

    /**
     * Writes a host-side note into the transcript, on a line of its own.
     *
     * @param text the note
     */
    void note(String text) {
        double t = (System.nanoTime() - startNanos) / 1e9;
        writeTranscript(String.format("%n[host %8.3fs] %s%n", t, text).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Waits until {@code matcher} finds something in the console text, the stream ends, or the
     * deadline passes.
     *
     * @param matcher looks at the pending console text; returns null while not satisfied. It runs
     *     under the console's lock, so it must not block.
     * @param timeout how long to wait
     * @param <T> what the matcher finds
     * @return the match, or null on timeout or end of stream (see {@link #ended()})
     */
    <T> T await(Function<CharSequence, T> matcher, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        lock.lock();
        try {
            while (true) {
                T found = matcher.apply(pending);
                if (found != null || ended) {
                    return found;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                changed.awaitNanos(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GuestException("interrupted while waiting for the guest console; transcript: " + transcriptPath, e);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Drops console text that has been answered.
     *
     * @param chars how many chars to drop from the start of the pending text
     */
    void discard(int chars) {
        lock.lock();
        try {
            pending.delete(0, Math.min(chars, pending.length()));
        } finally {
            lock.unlock();
        }
    }

    /** @return true once QEMU's console stream has ended */
    boolean ended() {
        lock.lock();
        try {
            return ended;
        } finally {
            lock.unlock();
        }
    }

    /**
     * @param maxChars at most this many chars, from the end
     * @return the end of the console text not yet discarded, decoded, for error messages
     */
    String pendingTail(int maxChars) {
        lock.lock();
        try {
            return ConsoleProtocol.decode(pending.substring(Math.max(0, pending.length() - maxChars)));
        } finally {
            lock.unlock();
        }
    }

    /** @return the last few KiB QEMU wrote to stderr */
    String stderrTail() {
        lock.lock();
        try {
            return stderrTail.toString();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits for both pumps to see the end of their streams (QEMU has exited, or its pipes were
     * closed), writes a last note and closes the transcript.
     *
     * @param finalNote the last line of the transcript
     */
    void close(String finalNote) {
        try {
            for (Thread pump : new Thread[] {stdoutPump, stderrPump}) {
                if (pump != null) {
                    pump.join(TimeUnit.SECONDS.toMillis(5));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        note(finalNote);
        close();
    }

    /** Closes the transcript; output arriving later is no longer recorded. */
    @Override
    public void close() {
        synchronized (transcript) {
            try {
                transcript.close();
            } catch (IOException ignored) {
                // best effort: the transcript is a debugging aid
            }
        }
    }

    private void pump(InputStream in, boolean isStderr) {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                if (isStderr) {
                    note("qemu stderr: " + new String(buf, 0, n, StandardCharsets.UTF_8).stripTrailing());
                } else {
                    writeTranscript(buf, 0, n);
                }
                lock.lock();
                try {
                    StringBuilder target = isStderr ? stderrTail : pending;
                    target.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                    if (isStderr && target.length() > STDERR_TAIL_CHARS) {
                        target.delete(0, target.length() - STDERR_TAIL_CHARS);
                    }
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        } catch (IOException e) {
            // The pipe closed under us (process destroyed): same as end of stream.
        } finally {
            if (!isStderr) {
                lock.lock();
                try {
                    ended = true;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }
    }

    private void writeTranscript(byte[] bytes) {
        writeTranscript(bytes, 0, bytes.length);
    }

    private void writeTranscript(byte[] bytes, int off, int len) {
        synchronized (transcript) {
            try {
                transcript.write(bytes, off, len);
                transcript.flush();
            } catch (IOException ignored) {
                // best effort: a closed or full transcript must not stop the console pump
            }
        }
    }
}
