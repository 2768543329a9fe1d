package dev.jslirp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.QemuStreamPeer;
import dev.jslirp.transport.UnixDatagramPeer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * jslirp under a supervisor, as a process: the pid file, the ready descriptor (read by
 * the test through a FIFO the shell opens as descriptor 3), systemd's notify socket (an
 * epoll unix datagram socket the test binds), the log file, and the exit on SIGTERM with
 * the counters in the log.
 */
class SupervisionProcessTest extends JslirpProcessTest {
    private static void awaitFile(Path p) throws InterruptedException {
        long end = System.nanoTime() + JslirpProcess.WAIT.toNanos();
        while (!Files.exists(p) && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertThat(p).exists();
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void pidFileAppearsOnceServingAndGoesAtExitWithTheCountersLogged() throws Exception {
        Path sock = dir.resolve("j.sock");
        Path pid = dir.resolve("jslirp.pid");
        jslirp = JslirpProcess.start("--listen", "unix:" + sock, "--pid-file", pid.toString());
        jslirp.awaitLine("start QEMU with");
        awaitFile(pid);
        assertThat(Files.readString(pid)).isEqualTo(jslirp.process().pid() + "\n");
        assertThat(sock).as("serving when the pid file appears").exists();

        try (QemuStreamPeer qemu = QemuStreamPeer.connect(new Endpoint.Unix(sock))) {
            qemu.assertArpRoundTrip();
        }
        jslirp.awaitLine("QEMU disconnected");
        assertThat(jslirp.terminate()).isEqualTo(128 + 15);
        assertThat(pid).as("removed at exit").doesNotExist();
        assertThat(jslirp.output()).contains("stopping").contains("stopped; counters: {")
                .contains("traffic.FRAMES_FROM_GUEST=1").contains("traffic.ARP_REPLIES=1");
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void readyFdGetsAOneAndIsClosedOnceServing() throws Exception {
        Path sock = dir.resolve("j.sock");
        Path fifo = dir.resolve("ready");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        // The shell opens the FIFO as descriptor 3 and becomes jslirp, as rootlesskit passes a pipe.
        jslirp = JslirpProcess.start(List.of("sh", "-c", "exec \"$0\" \"$@\" 3>\"$READY_FIFO\""),
                Map.of("READY_FIFO", fifo.toString()), List.of("--listen", "unix:" + sock, "--ready-fd", "3"));
        CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = Files.newInputStream(fifo)) {
                return in.readAllBytes(); // up to EOF: jslirp closed its end
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        byte[] got = read.get(JslirpProcess.WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo("1");
        assertThat(sock).as("serving when ready").exists();
        assertThat(jslirp.process().isAlive()).isTrue();
        assertThat(jslirp.terminate()).isEqualTo(128 + 15);
    }

    private static String received(UnixDatagramPeer systemd) throws InterruptedException {
        byte[] m = systemd.receive(JslirpProcess.WAIT);
        assertThat(m).as("a notify message within %s", JslirpProcess.WAIT).isNotNull();
        return new String(m, StandardCharsets.UTF_8);
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void systemdHearsReadyAndStopping() throws Exception {
        Path notify = dir.resolve("notify");
        Path sock = dir.resolve("j.sock");
        try (UnixDatagramPeer systemd = new UnixDatagramPeer(notify)) {
            jslirp = JslirpProcess.start(List.of(), Map.of("NOTIFY_SOCKET", notify.toString()),
                    List.of("--listen", "unix:" + sock));
            String ready = received(systemd);
            assertThat(ready).startsWith("READY=1\n").contains("MAINPID=" + jslirp.process().pid() + "\n")
                    .contains("STATUS=jslirp listening on unix:" + sock);
            assertThat(sock).as("serving when ready").exists();
            assertThat(jslirp.terminate()).isEqualTo(128 + 15);
            assertThat(received(systemd)).isEqualTo("STOPPING=1\n");
        }
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void logFileTakesTheLogAppending() throws Exception {
        Path sock = dir.resolve("j.sock");
        Path log = dir.resolve("jslirp.log");
        Files.writeString(log, "earlier line\n");
        Path pid = dir.resolve("jslirp.pid");
        jslirp = JslirpProcess.start("--listen", "unix:" + sock, "--log-file", log.toString(),
                "--pid-file", pid.toString());
        awaitFile(pid);
        assertThat(jslirp.terminate()).isEqualTo(128 + 15);
        String written = Files.readString(log);
        assertThat(written).startsWith("earlier line\n").contains("start QEMU with").contains("stopped; counters");
        assertThat(jslirp.output()).as("nothing on standard error").doesNotContain("start QEMU with");
    }
}
