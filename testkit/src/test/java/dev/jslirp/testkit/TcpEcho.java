package dev.jslirp.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Random;

/** A megabyte echoed through the NAT by a real server on the host's loopback, for either family's test. */
final class TcpEcho {
    private TcpEcho() {
    }

    /**
     * Connects {@code guest} to an echo server on {@code loopback} (at {@code hostAddress}
     * from the guest), writes a megabyte, checks it comes back whole and in order, closes,
     * and checks the echo's FIN came.
     *
     * @return the address the server saw the connection come from
     */
    static InetAddress megabyte(Guest guest, String hostAddress, InetAddress loopback) throws Exception {
        byte[] data = new byte[1 << 20];
        new Random(7).nextBytes(data);
        try (ServerSocket server = new ServerSocket(0, 1, loopback)) {
            TcpConnection c = guest.tcp(hostAddress, server.getLocalPort());
            try (Socket peer = server.accept()) {
                Thread echo = new Thread(() -> copy(peer));
                echo.start();
                c.write(data);
                assertThat(c.read(data.length)).isEqualTo(data);
                c.close();
                // The echo's FIN crosses the NAT after the thread ends: wait for it, not for the thread.
                assertThat(c.readAll()).as("nothing after the echo").isEmpty();
                assertThat(c.isPeerClosed()).as("the echo closed after our FIN").isTrue();
                echo.join(5000);
                return peer.getInetAddress();
            }
        }
    }

    /** A TCP port on {@code loopback} that nothing listens on (just closed). */
    static int closedPort(InetAddress loopback) throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, loopback)) {
            return s.getLocalPort();
        }
    }

    private static void copy(Socket peer) {
        try (InputStream in = peer.getInputStream(); OutputStream out = peer.getOutputStream()) {
            in.transferTo(out);
            peer.shutdownOutput();
        } catch (IOException e) {
            // The test fails on the guest's side.
        }
    }
}
