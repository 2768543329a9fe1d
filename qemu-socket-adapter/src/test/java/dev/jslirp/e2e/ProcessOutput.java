package dev.jslirp.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The lines a child process (jslirp's CLI, a DNS server in a namespace) writes to its stdout,
 * collected by a daemon thread as they come, so a test can wait for a line without blocking on
 * the pipe.
 */
public final class ProcessOutput {
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    /** Set once the pipe reached its end: no more lines will come. */
    private volatile boolean ended;

    private ProcessOutput(Process process) {
        this.process = process;
    }

    /** Starts reading {@code process}'s stdout (with stderr, if the caller redirected it there). */
    public static ProcessOutput follow(Process process, String threadName) {
        ProcessOutput out = new ProcessOutput(process);
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    out.lines.add(line);
                }
            } catch (IOException e) {
                // the process is gone
            } finally {
                out.ended = true;
            }
        }, threadName);
        reader.setDaemon(true);
        reader.start();
        return out;
    }

    /** Every line so far. */
    public List<String> lines() {
        return new ArrayList<>(lines);
    }

    /**
     * Waits for the first line containing {@code text} after the first {@code skip} lines.
     *
     * @return the line
     * @throws AssertionError naming the output so far if none comes in time or the process ends
     */
    public String awaitLine(String text, int skip, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> now = lines();
            for (int i = skip; i < now.size(); i++) {
                if (now.get(i).contains(text)) {
                    return now.get(i);
                }
            }
            boolean done = ended && now.size() == lines.size();
            if (done || System.nanoTime() - end > 0) {
                throw new AssertionError("no line with '" + text + "' within " + timeout
                        + (done ? " (its output ended)" : "") + ": " + now);
            }
            GuestShell.sleep(50);
        }
    }

    /** Waits for the first line containing {@code text}. */
    public String awaitLine(String text, Duration timeout) {
        return awaitLine(text, 0, timeout);
    }
}
