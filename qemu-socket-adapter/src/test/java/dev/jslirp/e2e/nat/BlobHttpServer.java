package dev.jslirp.e2e.nat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small HTTP/1.0 server for the guest's busybox {@code wget}: one response per connection,
 * then close. Paths:
 * <ul>
 *   <li>{@code /blob}: the {@link Blob}, for the multi-megabyte download;</li>
 *   <li>{@code /part/N}: the blob's first N bytes;</li>
 *   <li>{@code /reset/N}: announces the whole blob, sends its first N bytes, then resets the
 *       connection (SO_LINGER 0: a RST, RFC 9293 section 3.10.7.1, instead of a FIN);</li>
 *   <li>{@code /small}: {@value #SMALL}, for many short connections;</li>
 *   <li>{@code /together/N}: held until N such requests are open at once (or
 *       {@link #TOGETHER_TIMEOUT_SECONDS} passed), then answered {@code together K}, K being how
 *       many were open when they were let go: proof that N connections were up at the same
 *       time, not merely in quick succession;</li>
 *   <li>{@code /whoami}: {@code you are ADDRESS:PORT}, the client as this server sees it (the
 *       NAT's outside address).</li>
 * </ul>
 */
public final class BlobHttpServer extends TestServer {
    /** The body of {@code /small}. */
    public static final String SMALL = "small\n";
    static final int TOGETHER_TIMEOUT_SECONDS = 30;
    private static final int MAX_HEAD = 8192;
    private static final int CHUNK = 64 << 10;

    private final ServerSocket socket;
    private final Blob blob;
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger maxOpen = new AtomicInteger();
    private final Object togetherLock = new Object();
    /** Requests to /together open now; guarded by togetherLock. */
    private int togetherOpen;
    /** Bumped each time a group of /together requests is let go; guarded by togetherLock. */
    private long togetherGeneration;
    private final AtomicInteger open = new AtomicInteger();
    private final List<String> failedResponses = new CopyOnWriteArrayList<>();

    private BlobHttpServer(ServerSocket socket, Blob blob) {
        super(socket, "http");
        this.socket = socket;
        this.blob = blob;
        startServing();
    }

    /** Serves {@code blob} on {@code socket} (bound already, wherever the caller made it). */
    public static BlobHttpServer on(ServerSocket socket, Blob blob) {
        return new BlobHttpServer(socket, blob);
    }

    /** The port listened on. */
    public int port() {
        return socket.getLocalPort();
    }

    /** The blob served at {@code /blob}. */
    public Blob blob() {
        return blob;
    }

    /** Every request so far as {@code PATH from ADDRESS:PORT}, in arrival order. */
    public List<String> requests() {
        return List.copyOf(requests);
    }

    /** How many requests for {@code path} arrived so far. */
    public long requestCount(String path) {
        return requests.stream().filter(r -> r.startsWith(path + " from ")).count();
    }

    /**
     * Responses that could not be sent whole because the connection failed under them (the
     * client reset it), as {@code PATH: error}.
     */
    public List<String> failedResponses() {
        return List.copyOf(failedResponses);
    }

    /** The most connections that were open at once. */
    public int maxOpenConnections() {
        return maxOpen.get();
    }

    @Override
    void serve() {
        acceptEach(socket, this::handle);
    }

    private void handle(Socket c) {
        maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
        String path = "?";
        try (c) {
            path = requestPath(c.getInputStream());
            InetSocketAddress from = (InetSocketAddress) c.getRemoteSocketAddress();
            String client = from.getAddress().getHostAddress() + ":" + from.getPort();
            requests.add(path + " from " + client);
            OutputStream out = c.getOutputStream();
            if (path.equals("/blob")) {
                respond(out, blob.bytes());
            } else if (path.startsWith("/part/")) {
                respond(out, Arrays.copyOf(blob.bytes(), Integer.parseInt(path.substring("/part/".length()))));
            } else if (path.startsWith("/reset/")) {
                int n = Integer.parseInt(path.substring("/reset/".length()));
                head(out, blob.size());
                out.write(blob.bytes(), 0, n);
                out.flush();
                c.setSoLinger(true, 0);
            } else if (path.equals("/small")) {
                respond(out, SMALL.getBytes(StandardCharsets.US_ASCII));
            } else if (path.startsWith("/together/")) {
                int released = together(Integer.parseInt(path.substring("/together/".length())));
                respond(out, ("together " + released + "\n").getBytes(StandardCharsets.US_ASCII));
            } else if (path.equals("/whoami")) {
                respond(out, ("you are " + client + "\n").getBytes(StandardCharsets.US_ASCII));
            } else {
                out.write("HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
            }
            out.flush();
        } catch (IOException | RuntimeException e) {
            // The client went away or sent nonsense: its own check fails, the server goes on.
            failedResponses.add(path + ": " + e);
        } finally {
            open.decrementAndGet();
        }
    }

    /** Waits until {@code n} requests are in here at once; returns how many were when let go. */
    private int together(int n) {
        synchronized (togetherLock) {
            togetherOpen++;
            long generation = togetherGeneration;
            try {
                if (togetherOpen >= n) {
                    togetherGeneration++;
                    togetherLock.notifyAll();
                    return togetherOpen;
                }
                long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(TOGETHER_TIMEOUT_SECONDS);
                while (togetherGeneration == generation) {
                    long left = end - System.nanoTime();
                    if (left <= 0) {
                        return togetherOpen;
                    }
                    togetherLock.wait(TimeUnit.NANOSECONDS.toMillis(left) + 1);
                }
                return n;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            } finally {
                togetherOpen--;
            }
        }
    }

    private static void respond(OutputStream out, byte[] body) throws IOException {
        head(out, body.length);
        for (int off = 0; off < body.length; off += CHUNK) {
            out.write(body, off, Math.min(CHUNK, body.length - off));
        }
    }

    private static void head(OutputStream out, int contentLength) throws IOException {
        out.write(("HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + contentLength
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    }

    /** Reads the request head and returns the path of its request line. */
    private static String requestPath(InputStream in) throws IOException {
        byte[] head = new byte[MAX_HEAD];
        int n = 0;
        while (n < 4 || !(head[n - 4] == '\r' && head[n - 3] == '\n' && head[n - 2] == '\r' && head[n - 1] == '\n')) {
            int b = in.read();
            if (b < 0 || n == head.length) {
                throw new IOException("incomplete request head: " + new String(head, 0, n, StandardCharsets.US_ASCII));
            }
            head[n++] = (byte) b;
        }
        String[] requestLine = new String(head, 0, n, StandardCharsets.US_ASCII).split("\r\n", 2)[0].split(" ");
        if (requestLine.length != 3 || !requestLine[0].equals("GET")) {
            throw new IOException("not a GET request: " + String.join(" ", requestLine));
        }
        return requestLine[1];
    }
}
