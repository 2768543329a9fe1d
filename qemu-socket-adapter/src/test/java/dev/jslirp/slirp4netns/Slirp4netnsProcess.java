package dev.jslirp.slirp4netns;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The repository's {@code jslirp-slirp4netns} executable run as rootlesskit and podman run
 * slirp4netns: its ready descriptor (3) is a pipe whose other end this fixture reads, its
 * exit descriptor (4) a pipe whose write end this fixture holds and closes to stop it.
 * Java cannot hand a child extra descriptors, so named pipes in {@code workDir} stand in
 * for the pipes and a {@code bash} line opens them as 3 and 4 before exec'ing the
 * executable (bash and the launchers exec in place, so the process is the JVM itself).
 * jslirp runs from this test's class path ({@code JSLIRP_CLASSPATH}), with the leak
 * detector at paranoid level. {@link #close()} stops it and its descendants by PID.
 */
final class Slirp4netnsProcess implements AutoCloseable {
    private final Process process;
    private final Path log;
    private final CompletableFuture<String> ready;
    private final CompletableFuture<OutputStream> exitWriter;
    private final Path readyPipe;
    private final Path exitPipe;

    private Slirp4netnsProcess(Process process, Path log, CompletableFuture<String> ready,
                               CompletableFuture<OutputStream> exitWriter, Path readyPipe, Path exitPipe) {
        this.process = process;
        this.log = log;
        this.ready = ready;
        this.exitWriter = exitWriter;
        this.readyPipe = readyPipe;
        this.exitPipe = exitPipe;
    }

    /** Runs {@code task} on a daemon thread of its own: opening a named pipe blocks until the other side opens. */
    private static final Executor OWN_THREAD = task -> {
        Thread t = new Thread(task, "slirp4netns-test-pipe");
        t.setDaemon(true);
        t.start();
    };

    /** The repository's root: the module's parent (Maven runs tests in the module). */
    static Path repositoryRoot() {
        Path root = Path.of("").toAbsolutePath().getParent();
        assertThat(root.resolve("jslirp-slirp4netns")).as("the drop-in executable in the repository").isExecutable();
        return root;
    }

    /**
     * Starts {@code jslirp-slirp4netns -r 3 [-e 4] ARGS}, with 3 and 4 the pipes.
     *
     * @param exitFd whether to pass {@code -e 4}
     */
    static Slirp4netnsProcess start(Path workDir, boolean exitFd, String... args) throws Exception {
        Path readyPipe = workDir.resolve("ready");
        Path exitPipe = workDir.resolve("exit");
        mkfifo(readyPipe);
        String open = "exec 3>\"$0\"";
        if (exitFd) {
            mkfifo(exitPipe);
            open += " 4<\"$1\"";
        }
        List<String> cmd = new ArrayList<>(List.of("bash", "-c", open + "; shift; exec \"$@\"",
                readyPipe.toString(), exitPipe.toString(), repositoryRoot().resolve("jslirp-slirp4netns").toString(),
                "-r", "3"));
        if (exitFd) {
            cmd.addAll(List.of("-e", "4"));
        }
        cmd.addAll(List.of(args));
        Path log = workDir.resolve("slirp4netns.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("JSLIRP_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().put("JSLIRP_JAVA_OPTS", "-Dio.netty.leakDetection.level=paranoid");
        Process p = pb.start();
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
            // Not readAllBytes: JDK 17's FileInputStream asks a pipe for its position ("Illegal seek").
            try (InputStream in = new FileInputStream(readyPipe.toFile())) {
                StringBuilder said = new StringBuilder();
                byte[] b = new byte[16];
                for (int n; (n = in.read(b)) >= 0; ) {
                    said.append(new String(b, 0, n, StandardCharsets.US_ASCII));
                }
                return said.toString();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, OWN_THREAD);
        CompletableFuture<OutputStream> writer = !exitFd ? null : CompletableFuture.supplyAsync(() -> {
            try {
                return new FileOutputStream(exitPipe.toFile());
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, OWN_THREAD);
        return new Slirp4netnsProcess(p, log, ready, writer, readyPipe, exitPipe);
    }

    private static void mkfifo(Path p) throws Exception {
        Process mk = new ProcessBuilder("mkfifo", "-m", "600", p.toString()).inheritIO().start();
        assertThat(mk.waitFor()).as("mkfifo " + p).isZero();
    }

    /**
     * Waits for the ready descriptor to say {@code "1"} and be closed, as rootlesskit's
     * {@code waitForReadyFD} does; fails with the log if the process ended instead.
     */
    void awaitReady(Duration timeout) throws Exception {
        long end = System.nanoTime() + timeout.toNanos();
        while (!ready.isDone()) {
            if (!process.isAlive()) {
                throw new AssertionError("jslirp-slirp4netns exited " + process.exitValue() + " before ready:\n" + log());
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("jslirp-slirp4netns not ready within " + timeout + ":\n" + log());
            }
            Thread.sleep(50);
        }
        assertThat(ready.get()).as("what the ready descriptor said before it was closed").isEqualTo("1");
    }

    /** Closes this side of the exit pipe: jslirp sees the hang-up. */
    void closeExitFd() throws Exception {
        exitWriter.get(10, TimeUnit.SECONDS).close();
    }

    /** Waits for the process to end; its exit status. */
    int awaitExit(Duration timeout) throws Exception {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("jslirp-slirp4netns still running after " + timeout + ":\n" + log());
        }
        return process.exitValue();
    }

    /** Sends SIGTERM. */
    void terminate() {
        process.destroy();
    }

    /** The process's output so far (stdout and stderr). */
    String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    /** The process. */
    Process process() {
        return process;
    }

    /** Stops the process and its descendants by PID if still running; releases the pipes. */
    @Override
    public void close() throws Exception {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        // A pipe the process never opened still blocks this side's open: open the other end to release it.
        if (!ready.isDone()) {
            new FileOutputStream(readyPipe.toFile()).close();
        }
        if (exitWriter != null) {
            if (!exitWriter.isDone()) {
                new FileInputStream(exitPipe.toFile()).close();
            }
            exitWriter.get(10, TimeUnit.SECONDS).close();
        }
    }
}
