package dev.jslirp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.QueueSink;
import dev.jslirp.e2e.InProcessJslirp;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Starting the assembled network and its transport in-process, as the command does, and what it logs. */
class JslirpStartTest {
    @TempDir
    Path dir;

    private static Jslirp.Plan plan(String... args) {
        JslirpCommand cmd = new JslirpCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.plan();
    }

    @Test
    void connectModeTellsQemuToListen() throws Exception {
        Path sock = dir.resolve("qemu.sock");
        try (Jslirp j = Jslirp.start(plan("--connect", "unix:" + sock, "--reconnect-delay", "250ms"))) {
            List<String> lines = j.startupLines();
            assertThat(lines.get(0)).contains("jslirp connecting to QEMU at unix:" + sock)
                    .contains("retrying every 250 ms")
                    .contains("start QEMU with: -netdev stream,id=n0,server=on,addr.type=unix,addr.path=" + sock
                            + " -device virtio-net-pci,netdev=n0");
        }
    }

    @Test
    void dgramModeTellsQemuBothAddresses() throws Exception {
        int qemuPort;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            qemuPort = s.getLocalPort();
        }
        try (Jslirp j = Jslirp.start(plan("--dgram", "udp:127.0.0.1:0,remote=127.0.0.1:" + qemuPort,
                "--netdev-user", "id=u1,hostname=vm1"))) {
            List<String> lines = j.startupLines();
            String mine = j.transport().endpoint().toString();
            int port = Integer.parseInt(mine.substring(mine.lastIndexOf(':') + 1));
            assertThat(lines.get(0)).contains("jslirp bound to udp:127.0.0.1:" + port)
                    .contains("sending to QEMU at udp:127.0.0.1:" + qemuPort)
                    .contains("-netdev dgram,id=u1,local.type=inet,local.host=127.0.0.1,local.port=" + qemuPort
                            + ",remote.type=inet,remote.host=127.0.0.1,remote.port=" + port);
            assertThat(lines.get(1)).contains("-netdev socket,id=u1,udp=127.0.0.1:" + port
                    + ",localaddr=127.0.0.1:" + qemuPort);
            assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("dhcp: ").contains("hostname=vm1"));
        }
    }

    @Test
    void tftpDirectoryIsServedAtTheHostAddress() throws Exception {
        Path served = Files.createDirectory(dir.resolve("tftp"));
        try (Jslirp j = Jslirp.start(plan("--listen", "unix:" + dir.resolve("j.sock"), "--tftp", served.toString()))) {
            assertThat(j.startupLines()).contains("tftp: " + served.toRealPath() + " at the host address, port 69");
            // A read request from a guest reaches the TFTP server, not the NAT.
            QueueSink guest = new QueueSink();
            GuestPort port = j.network().attach(guest);
            byte[] rrq = {0, 1, 'f', 0, 'o', 'c', 't', 'e', 't', 0};
            j.network().receiveFromGuest(port, GuestFrames.udp(40000, GuestFrames.GATEWAY, 69, rrq));
            assertThat(InProcessJslirp.await(Duration.ofSeconds(5),
                    () -> j.network().stats().snapshot().getOrDefault("tftp.READ_REQUESTS", 0L) == 1)).isTrue();
            j.network().detach(port);
            guest.releaseAll();
        }
    }

    @Test
    void failingToBindLeavesNothingRunning() throws Exception {
        Path file = dir.resolve("in-the-way");
        Files.writeString(file, "x");
        long threadsBefore = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("jslirp-io")
                && t.isAlive()).count();
        assertThatThrownBy(() -> Jslirp.start(plan("--listen", "unix:" + file))).isInstanceOf(IOException.class)
                .hasMessageContaining("not a socket");
        long threadsAfter = Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("jslirp-io")
                && t.isAlive()).count();
        assertThat(threadsAfter).isLessThanOrEqualTo(threadsBefore);
    }
}
