package dev.jslirp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.QemuStreamPeer;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The real {@code main} in a process of its own, as a user runs it: it logs the QEMU
 * argument, serves a QEMU (played by the test), and shuts down cleanly on SIGTERM.
 */
class CliProcessTest extends JslirpProcessTest {
    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void listensOnAUnixSocketLogsTheQemuArgumentAndCleansUpOnSigterm() throws Exception {
        Path sock = dir.resolve("j.sock");
        jslirp = JslirpProcess.start("--listen", "unix:" + sock, "--hostfwd", "tcp:127.0.0.1:0-:22");
        String line = jslirp.awaitLine("start QEMU with");
        assertThat(line).contains("jslirp listening on unix:" + sock)
                .contains("-netdev stream,id=n0,server=off,addr.type=unix,addr.path=" + sock
                        + " -device virtio-net-pci,netdev=n0");
        jslirp.awaitLine("network: net=10.0.2.0/24");
        jslirp.awaitLine("hostfwd tcp:127.0.0.1:0-:22");

        try (QemuStreamPeer qemu = QemuStreamPeer.connect(new Endpoint.Unix(sock))) {
            qemu.assertArpRoundTrip();
        }
        jslirp.awaitLine("QEMU disconnected");

        int status = jslirp.terminate();
        assertThat(status).as("killed by SIGTERM after a clean shutdown").isEqualTo(128 + 15);
        assertThat(jslirp.output()).contains("stopped").doesNotContain("LEAK");
        assertThat(sock).as("socket file removed").doesNotExist();
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void listensOnAFreeTcpPortAndPrintsBothQemuForms() throws Exception {
        jslirp = JslirpProcess.start("--listen", "tcp:127.0.0.1:0", "--netdev-user", "user,id=net0,hostfwd=udp::0-:53");
        String line = jslirp.awaitLine("start QEMU with");
        Matcher m = Pattern.compile("addr\\.type=inet,addr\\.host=127\\.0\\.0\\.1,addr\\.port=(\\d+) ").matcher(line);
        assertThat(m.find()).as(line).isTrue();
        int port = Integer.parseInt(m.group(1));
        assertThat(port).isPositive();
        assertThat(line).contains("-netdev stream,id=net0,server=off,").contains("netdev=net0");
        assertThat(jslirp.awaitLine("legacy")).contains("-netdev socket,id=net0,connect=127.0.0.1:" + port);

        try (QemuStreamPeer qemu = QemuStreamPeer.connect(new Endpoint.Inet("tcp", "127.0.0.1", port))) {
            qemu.assertArpRoundTrip();
        }
        assertThat(jslirp.terminate()).isEqualTo(128 + 15);
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void addressInUseExitsWithStatus1AndTheReason() throws Exception {
        Path file = dir.resolve("taken");
        java.nio.file.Files.writeString(file, "x");
        jslirp = JslirpProcess.start("--listen", "unix:" + file);
        assertThat(jslirp.awaitExit()).isEqualTo(1);
        assertThat(jslirp.output()).contains("jslirp: " + file + " exists and is not a socket");
    }
}
