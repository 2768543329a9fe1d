package dev.jslirp.bench.guest;

import dev.jslirp.guest.QemuGuest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One timed bulk transfer each way between a guest and a server on the host's
 * 127.0.0.1, which the guest reaches through the gateway 10.0.2.2. Times are taken on
 * the host socket, from accept to the guest's close, so they hold the whole transfer
 * and nothing of the guest console's latency.
 */
final class Transfers {
    private static final Duration TIMEOUT = Duration.ofMinutes(3);
    private static final int CHUNK = 1 << 16;

    private final QemuGuest guest;

    Transfers(QemuGuest guest) {
        this.guest = guest;
    }

    /**
     * Host to guest: the guest runs {@code wget} against a one-shot HTTP server here that
     * answers with {@code bytes} bytes, its output to {@code /dev/null} or piped into
     * {@code sink} (e.g. {@code sha256sum}, as a guest that uses the data).
     *
     * @return seconds from accept to the guest closing after the last byte
     */
    double download(long bytes, String sink) throws Exception {
        try (ServerSocket server = listen()) {
            CompletableFuture<Double> seconds = serve(server, s -> {
                long start = System.nanoTime();
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                byte[] request = new byte[4096];
                if (in.read(request) < 0) {
                    throw new IOException("no request");
                }
                out.write(("HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: " + bytes
                        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                byte[] chunk = pattern();
                for (long left = bytes; left > 0; left -= chunk.length) {
                    out.write(chunk, 0, (int) Math.min(chunk.length, left));
                }
                s.shutdownOutput();
                while (in.read(request) >= 0) {
                    // until the guest closes
                }
                return (System.nanoTime() - start) / 1e9;
            });
            String url = "http://10.0.2.2:" + server.getLocalPort() + "/blob";
            guest.runOk(sink.isBlank() ? "wget -q -O /dev/null " + url : "wget -q -O - " + url + " | " + sink,
                    TIMEOUT);
            return seconds.get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Guest to host: {@code dd if=/dev/zero bs=1M | nc 10.0.2.2 PORT} into a server here
     * that reads to EOF and checks the byte count.
     *
     * @return seconds from accept to EOF
     */
    double upload(long megabytes) throws Exception {
        try (ServerSocket server = listen()) {
            CompletableFuture<Double> seconds = serve(server, s -> {
                long start = System.nanoTime();
                InputStream in = s.getInputStream();
                byte[] buf = new byte[CHUNK];
                long total = 0;
                for (int n; (n = in.read(buf)) >= 0; ) {
                    total += n;
                }
                double secs = (System.nanoTime() - start) / 1e9;
                if (total != megabytes << 20) {
                    throw new IOException("upload got " + total + " bytes, expected " + (megabytes << 20));
                }
                return secs;
            });
            guest.runOk("dd if=/dev/zero bs=1M count=" + megabytes + " 2>/dev/null | nc 10.0.2.2 "
                    + server.getLocalPort(), TIMEOUT);
            return seconds.get(30, TimeUnit.SECONDS);
        }
    }

    private static ServerSocket listen() throws IOException {
        ServerSocket s = new ServerSocket();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        return s;
    }

    /** Accepts one connection on a daemon thread and runs {@code side} on it. */
    private static CompletableFuture<Double> serve(ServerSocket server, HostSide side) {
        CompletableFuture<Double> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try (Socket s = server.accept()) {
                result.complete(side.run(s));
            } catch (Exception e) {
                result.completeExceptionally(e);
            }
        }, "perf-host-side");
        t.setDaemon(true);
        t.start();
        return result;
    }

    private static byte[] pattern() {
        byte[] chunk = new byte[CHUNK];
        for (int i = 0; i < chunk.length; i++) {
            chunk[i] = (byte) (i * 31 + 7);
        }
        return chunk;
    }

    /** The host's end of a transfer. */
    private interface HostSide {
        double run(Socket s) throws Exception;
    }
}
