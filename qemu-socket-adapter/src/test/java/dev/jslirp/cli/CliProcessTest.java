package dev.jslirp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.QemuStreamPeer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code main} in a process of its own, as a user runs it: it logs the QEMU
 * argument, serves a QEMU (played by the test), and shuts down cleanly on SIGTERM.
 */
class CliProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private Process process;
    private Thread reader;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> output = new ArrayList<>();

    private void start(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dio.netty.leakDetection.level=paranoid", "-cp", System.getProperty("java.class.path"),
                JslirpCommand.class.getName()));
        cmd.addAll(List.of(args));
        process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        reader = new Thread(() -> {
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

    /** The first output line containing {@code text}, waiting for it. */
    private String awaitLine(String text) throws InterruptedException {
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
    private int terminate() throws InterruptedException {
        // ProcessHandle.destroy sends SIGTERM as Process.destroy does, without closing
        // the pipe the last log lines come through.
        process.toHandle().destroy();
        assertThat(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("exits on SIGTERM").isTrue();
        reader.join(WAIT.toMillis());
        lines.drainTo(output);
        return process.exitValue();
    }

    @AfterEach
    void killLeftovers() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }


    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void listensOnAUnixSocketLogsTheQemuArgumentAndCleansUpOnSigterm() throws Exception {
        Path sock = dir.resolve("j.sock");
        start("--listen", "unix:" + sock, "--hostfwd", "tcp:127.0.0.1:0-:22");
        String line = awaitLine("start QEMU with");
        assertThat(line).contains("jslirp listening on unix:" + sock)
                .contains("-netdev stream,id=n0,server=off,addr.type=unix,addr.path=" + sock
                        + " -device virtio-net-pci,netdev=n0");
        awaitLine("network: net=10.0.2.0/24");
        awaitLine("hostfwd tcp:127.0.0.1:0-:22");

        try (QemuStreamPeer qemu = QemuStreamPeer.connect(new Endpoint.Unix(sock))) {
            qemu.assertArpRoundTrip();
        }
        awaitLine("QEMU disconnected");

        int status = terminate();
        assertThat(status).as("killed by SIGTERM after a clean shutdown").isEqualTo(128 + 15);
        assertThat(String.join("\n", output)).contains("stopped").doesNotContain("LEAK");
        assertThat(sock).as("socket file removed").doesNotExist();
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void listensOnAFreeTcpPortAndPrintsBothQemuForms() throws Exception {
        start("--listen", "tcp:127.0.0.1:0", "--netdev-user", "user,id=net0,hostfwd=udp::0-:53");
        String line = awaitLine("start QEMU with");
        Matcher m = Pattern.compile("addr\\.type=inet,addr\\.host=127\\.0\\.0\\.1,addr\\.port=(\\d+) ").matcher(line);
        assertThat(m.find()).as(line).isTrue();
        int port = Integer.parseInt(m.group(1));
        assertThat(port).isPositive();
        assertThat(line).contains("-netdev stream,id=net0,server=off,").contains("netdev=net0");
        assertThat(awaitLine("legacy")).contains("-netdev socket,id=net0,connect=127.0.0.1:" + port);

        try (QemuStreamPeer qemu = QemuStreamPeer.connect(new Endpoint.Inet("tcp", "127.0.0.1", port))) {
            qemu.assertArpRoundTrip();
        }
        assertThat(terminate()).isEqualTo(128 + 15);
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void addressInUseExitsWithStatus1AndTheReason() throws Exception {
        Path file = dir.resolve("taken");
        java.nio.file.Files.writeString(file, "x");
        start("--listen", "unix:" + file);
        assertThat(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        reader.join(WAIT.toMillis());
        lines.drainTo(output);
        assertThat(process.exitValue()).isEqualTo(1);
        assertThat(String.join("\n", output)).contains("jslirp: " + file + " exists and is not a socket");
    }
}
