package dev.jslirp.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.cli.JslirpCommand;
import dev.jslirp.transport.Endpoint;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jslirp --control} as a user runs it, in a process of its own: it says where
 * the control socket is, answers there with an owner-only socket, and removes the socket
 * file when stopped with SIGTERM.
 */
class ControlCliProcessTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path dir;

    private Process process;

    @AfterEach
    void killLeftover() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
        }
    }

    /** Waits for a line of the process's log holding {@code text}. */
    private String awaitLog(Path log, String text) throws IOException, InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < end) {
            for (String line : Files.readAllLines(log)) {
                if (line.contains(text)) {
                    return line;
                }
            }
            assertThat(process.isAlive()).as("jslirp is running: %s", Files.readString(log)).isTrue();
            Thread.sleep(100);
        }
        throw new AssertionError("no line with '" + text + "' in: " + Files.readString(log));
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void controlSocketOfARunningJslirpTakesForwardsAndGoesAwayOnSigterm() throws Exception {
        Path sock = dir.resolve("control.sock");
        Path log = dir.resolve("jslirp.log");
        process = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dio.netty.leakDetection.level=paranoid", "-cp", System.getProperty("java.class.path"),
                JslirpCommand.class.getName(), "--listen", "unix:" + dir.resolve("j.sock"),
                "--control", "unix:" + sock, "--dns-upstream", "127.0.0.1:9")
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();

        assertThat(awaitLog(log, "control: unix:")).contains("control: unix:" + sock + " (")
                .contains("jslirp control unix:" + sock + " help");
        assertThat(Files.getPosixFilePermissions(sock)).isEqualTo(PosixFilePermissions.fromString("rw-------"));

        Endpoint addr = new Endpoint.Unix(sock);
        try (ControlClient c = ControlClient.connect(addr, WAIT)) {
            assertThat(c.send("hostfwd_add n0 tcp:127.0.0.1:0-:22").lines()).singleElement().asString()
                    .startsWith("host forwarding rule for tcp:127.0.0.1:0-:22 added: listening on 127.0.0.1:");
            assertThat(c.send("info usernet").lines()).hasSize(3).element(2).asString().startsWith("  TCP[HOST_FORWARD]");
            assertThat(c.send("hostfwd_add n1 tcp:127.0.0.1:0-:23").error()).isEqualTo("unrecognized netdev id 'n1'");
        }

        process.toHandle().destroy(); // SIGTERM
        assertThat(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("exits on SIGTERM").isTrue();
        assertThat(process.exitValue()).as("killed by SIGTERM after a clean shutdown").isEqualTo(128 + 15);
        assertThat(sock).as("the socket file is removed").doesNotExist();
        List<String> out = Files.readAllLines(log);
        assertThat(out).anyMatch(l -> l.contains("stopped")).noneMatch(l -> l.contains("LEAK"))
                .noneMatch(l -> l.contains("Exception"));
    }
}
