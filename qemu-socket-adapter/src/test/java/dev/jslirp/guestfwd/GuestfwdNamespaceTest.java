package dev.jslirp.guestfwd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.guestfwd.GuestfwdCounter;
import dev.jslirp.transport.tap.NamespaceGuest;
import dev.jslirp.transport.tap.TestNamespace;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guest forwards end to end with a namespace as the guest ({@code jslirp --netns}): busybox's
 * {@code nc} in the namespace connects to a forward's address and reaches a host service on
 * 127.0.0.1, a unix socket, or a command. Needs root.
 */
class GuestfwdNamespaceTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    private NamespaceGuest guest(NatConfig nat) throws Exception {
        return NamespaceGuest.start(getClass(), dir, NetworkConfig.defaults(), DnsConfig.builder(), nat);
    }

    /** {@code printf TEXT | nc ADDRESS PORT} in the namespace: nc half-closes at its input's end and prints the answer. */
    private static String nc(NamespaceGuest g, String address, int port, String text) throws Exception {
        TestNamespace.Result r = g.ns().exec(TIMEOUT, "sh", "-c",
                "printf '" + text + "' | busybox nc -w 10 " + address + " " + port);
        return r.output();
    }

    @Test
    void namespaceReachesAHostServiceThroughATcpGuestForward() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                    out.write(("host saw " + new String(in.readAllBytes(), StandardCharsets.US_ASCII)).getBytes());
                } catch (IOException ignored) {
                    // the assertion fails then
                }
            });
            t.start();
            try (NamespaceGuest g = guest(NatConfig.builder()
                    .addGuestForward("tcp:10.0.2.100:1234-tcp:127.0.0.1:" + server.getLocalPort()).build())) {
                assertThat(nc(g, "10.0.2.100", 1234, "ping")).isEqualTo("host saw ping");
            }
            t.join(5000);
        }
    }

    @Test
    void namespaceReachesAHostUnixSocketThroughAGuestForward() throws Exception {
        Path sock = dir.resolve("service.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread t = new Thread(() -> {
                try (SocketChannel c = server.accept()) {
                    ByteBuffer in = ByteBuffer.allocate(256);
                    while (c.read(in) >= 0) {
                        // up to the guest's FIN
                    }
                    in.flip();
                    c.write(StandardCharsets.US_ASCII.encode("unix saw " + StandardCharsets.US_ASCII.decode(in)));
                } catch (IOException ignored) {
                    // the assertion fails then
                }
            });
            t.start();
            try (NamespaceGuest g = guest(NatConfig.builder().addGuestForward("tcp::22-unix:" + sock).build())) {
                assertThat(nc(g, "10.0.2.4", 22, "ping")).isEqualTo("unix saw ping");
            }
            t.join(5000);
        }
    }

    @Test
    void eachConnectionToACommandForwardRunsTheCommandAnew() throws Exception {
        try (NamespaceGuest g = guest(NatConfig.builder().addGuestForward("tcp:10.0.2.100:5555-cmd:tr a-z A-Z").build())) {
            assertThat(nc(g, "10.0.2.100", 5555, "first")).isEqualTo("FIRST");
            assertThat(nc(g, "10.0.2.100", 5555, "second")).isEqualTo("SECOND");

            long started = g.jslirp().network().stats().service("nat.guestfwd", GuestfwdCounter.class)
                    .get(GuestfwdCounter.COMMANDS_STARTED);
            assertThat(started).isEqualTo(2);
        }
    }

    @Test
    void commandThatFloodsItsOutputIsReadAsTheGuestTakesItAndEndsWhenTheGuestLeaves() throws Exception {
        Path pidFile = dir.resolve("flood.pid");
        try (NamespaceGuest g = guest(NatConfig.builder().addGuestForward("tcp:10.0.2.100:6666-cmd:echo $$ > " + pidFile
                + "; exec yes flood").build())) {
            // The guest reads 4 MiB of an endless stream, then goes: the connection ends, the command with it.
            TestNamespace.Result r = g.ns().exec(TIMEOUT, "sh", "-c",
                    "busybox nc 10.0.2.100 6666 < /dev/null | head -c 4194304 | wc -c");

            assertThat(r.output().strip()).isEqualTo("4194304");
            Path proc = Path.of("/proc", Files.readString(pidFile).strip());
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (Files.exists(proc) && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertThat(proc).as("yes ended with its connection, and was reaped").doesNotExist();
            var counters = g.jslirp().network().stats().service("nat.guestfwd", GuestfwdCounter.class);
            // Ended by our signal, or by the broken connection just before it: either way, once.
            assertThat(counters.get(GuestfwdCounter.COMMANDS_KILLED) + counters.get(GuestfwdCounter.COMMANDS_EXITED))
                    .isEqualTo(1);
            assertThat(g.jslirp().network().nat().tcp().bufferedBytes()).as("nothing held for the gone guest")
                    .isZero();
        }
    }
}
