package dev.jslirp.e2e.nat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP server that speaks first and closes at once, as an SMTP or FTP server greets, or any
 * server refusing a client with a message: it writes {@link #BANNER} the moment it accepts,
 * then closes. Its data and FIN can reach the NAT before the guest has finished its handshake.
 */
public final class BannerServer extends TestServer {
    /** What every connection receives. */
    public static final String BANNER = "220 jslirp e2e banner, closing\r\n";

    private final ServerSocket socket;
    private final AtomicInteger served = new AtomicInteger();

    private BannerServer(ServerSocket socket) {
        super(socket, "banner");
        this.socket = socket;
        startServing();
    }

    /** Serves on {@code socket} (bound already, wherever the caller made it). */
    public static BannerServer on(ServerSocket socket) {
        return new BannerServer(socket);
    }

    /** The port listened on. */
    public int port() {
        return socket.getLocalPort();
    }

    /** Connections greeted so far. */
    public int served() {
        return served.get();
    }

    @Override
    void serve() {
        acceptEach(socket, this::greet);
    }

    private void greet(Socket c) {
        try (c) {
            c.getOutputStream().write(BANNER.getBytes(StandardCharsets.US_ASCII));
            served.incrementAndGet();
        } catch (IOException e) {
            // a client gone already: its own check fails
        }
    }
}
