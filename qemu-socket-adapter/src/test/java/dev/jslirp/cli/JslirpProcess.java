package dev.jslirp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * jslirp's real {@code main} in a process of its own (this JVM's class path, the leak
 * detector at paranoid level), with its standard output and error followed line by line.
 * {@link #close()} kills it if a test left it running.
 */
final class JslirpProcess implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(30);

    private final Process process;
    private final Thread reader;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> output = new ArrayList<>();

    private JslirpProcess(Process process) {
        this.process = process;
        this.reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (Exception e) {
                // process gone
            }
        }, "jslirp-output");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts {@code jslirp ARGS}. */
    static JslirpProcess start(String... args) throws Exception {
        return start(List.of(), Map.of(), List.of(args));
    }

    /**
     * Starts {@code jslirp ARGS} with {@code env} added to the environment, run through
     * {@code wrapper} if not empty (e.g. {@code sh -c 'exec "$0" "$@" 3>FIFO'}, which gets
     * the java command and its arguments as {@code $0 $@}).
     */
    static JslirpProcess start(List<String> wrapper, Map<String, String> env, List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(wrapper);
        cmd.addAll(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dio.netty.leakDetection.level=paranoid", "-cp", System.getProperty("java.class.path"),
                JslirpCommand.class.getName()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(env);
        return new JslirpProcess(pb.start());
    }

    /** The process. */
    Process process() {
        return process;
    }

    /** The first output line containing {@code text}, waiting for it. */
    String awaitLine(String text) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end) {
            String l = lines.poll(100, TimeUnit.MILLISECONDS);
            if (l != null) {
                output.add(l);
                if (l.contains(text)) {
                    return l;
                }
            }
        }
        throw new AssertionError("no line with '" + text + "' in: " + output);
    }

    /** Sends SIGTERM and waits for the exit; returns the status. */
    int terminate() throws InterruptedException {
        // ProcessHandle.destroy sends SIGTERM as Process.destroy does, without closing
        // the pipe the last log lines come through.
        process.toHandle().destroy();
        return awaitExit();
    }

    /** Waits for the process to exit by itself; returns the status. */
    int awaitExit() throws InterruptedException {
        assertThat(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("exits").isTrue();
        reader.join(WAIT.toMillis());
        lines.drainTo(output);
        return process.exitValue();
    }

    /** Every line read so far (all of them once the process has exited). */
    String output() {
        lines.drainTo(output);
        return String.join("\n", output);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
