package dev.jslirp.transport.tap;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * busybox httpd in a test namespace serving one page, and the host's client for it
 * through a TCP port forward: the "into the namespace" half of the tap tests. The
 * namespace's {@link TestNamespace#close()} stops the server.
 */
public final class NamespaceHttpd {
    /** How long the client keeps trying while httpd starts and the guest's neighbour is learnt. */
    private static final Duration READY = Duration.ofSeconds(15);

    private NamespaceHttpd() {
    }

    /** Starts httpd in {@code ns} on {@code listen} ({@code PORT} or {@code [::]:PORT}) serving {@code page} as /. */
    public static NamespaceHttpd start(TestNamespace ns, Path workDir, String listen, String page) throws IOException {
        Path www = Files.createDirectories(workDir.resolve("www-" + listen.replaceAll("[^0-9]", "")));
        Files.writeString(www.resolve("index.html"), page);
        ns.start("busybox", "httpd", "-f", "-p", listen, "-h", www.toString());
        return new NamespaceHttpd();
    }

    /**
     * GET / from {@code host:port} (the forward's host side) until a response comes or
     * {@link #READY} passed: the whole response, or null if none came.
     */
    public String getThroughForward(InetAddress host, int port) throws InterruptedException {
        long end = System.nanoTime() + READY.toNanos();
        String response = null;
        while (response == null && System.nanoTime() < end) {
            response = get(host, port);
            if (response == null) {
                Thread.sleep(200);                  // httpd may not listen yet
            }
        }
        return response;
    }

    /** One GET /: the whole response; null if refused, reset or empty. */
    private static String get(InetAddress host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2000);
            s.setSoTimeout(5000);
            s.getOutputStream().write("GET / HTTP/1.0\r\nHost: ns\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            String r = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            return r.isEmpty() ? null : r;
        } catch (IOException e) {
            return null;
        }
    }
}
