package dev.jslirp.e2e.nat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP server that answers what it reads at once, upper-cased, until the client's EOF: the
 * host service of the guest forward tests. It answers as data comes, not at the EOF, so it also
 * serves QEMU's guestfwd, whose character device is one connection opened at start-up that no
 * guest FIN ever ends.
 */
public final class ShoutServer extends TestServer {
    private final ServerSocket socket;
    private final AtomicInteger accepted = new AtomicInteger();

    private ShoutServer(ServerSocket socket) {
        super(socket, "shout");
        this.socket = socket;
        startServing();
    }

    /** Serves on {@code socket} (bound already, wherever the caller made it). */
    public static ShoutServer on(ServerSocket socket) {
        return new ShoutServer(socket);
    }

    /** The port listened on. */
    public int port() {
        return socket.getLocalPort();
    }

    /** Connections accepted so far. */
    public int accepted() {
        return accepted.get();
    }

    @Override
    void serve() {
        acceptEach(socket, this::shout);
    }

    private void shout(Socket c) {
        accepted.incrementAndGet();
        try (c; InputStream in = c.getInputStream(); OutputStream out = c.getOutputStream()) {
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(new String(buf, 0, n, StandardCharsets.US_ASCII).toUpperCase(Locale.ROOT)
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
            }
        } catch (IOException e) {
            // the client went: nothing to answer
        }
    }
}
