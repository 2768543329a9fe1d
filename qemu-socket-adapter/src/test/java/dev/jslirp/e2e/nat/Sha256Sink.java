package dev.jslirp.e2e.nat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP server that reads each connection to its end (the client's FIN) and only then answers
 * {@code SHA256 BYTES\n} over the same connection and closes it: the guest's uploads are checked
 * byte for byte, and every answer travels on a half-closed connection (RFC 9293 section 3.6:
 * the side that closed first keeps receiving).
 */
public final class Sha256Sink extends TestServer {
    /** One connection's content as received. */
    public record Upload(String sha256, long bytes, String client) {
        /** The line sent back: {@code SHA256 BYTES}. */
        public String answer() {
            return sha256 + " " + bytes;
        }
    }

    private final ServerSocket socket;
    private final List<Upload> uploads = new CopyOnWriteArrayList<>();

    private Sha256Sink(ServerSocket socket) {
        super(socket, "sha-sink");
        this.socket = socket;
        startServing();
    }

    /** Serves on {@code socket} (bound already, wherever the caller made it). */
    public static Sha256Sink on(ServerSocket socket) {
        return new Sha256Sink(socket);
    }

    /** The port listened on. */
    public int port() {
        return socket.getLocalPort();
    }

    /** The uploads answered so far, in order of their ends. */
    public List<Upload> uploads() {
        return List.copyOf(uploads);
    }

    @Override
    void serve() {
        acceptEach(socket, this::handle);
    }

    private void handle(Socket c) {
        try (c) {
            Upload u = digestToEnd(c.getInputStream(), c.getRemoteSocketAddress().toString());
            uploads.add(u);
            OutputStream out = c.getOutputStream();
            out.write((u.answer() + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            // reset by the client: its own check fails
        }
    }

    /** Reads {@code in} to its end and returns what came. */
    static Upload digestToEnd(InputStream in, String client) throws IOException {
        MessageDigest d = Blob.newDigest();
        byte[] buf = new byte[64 << 10];
        long total = 0;
        for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
            d.update(buf, 0, n);
            total += n;
        }
        return new Upload(HexFormat.of().formatHex(d.digest()), total, client);
    }
}
