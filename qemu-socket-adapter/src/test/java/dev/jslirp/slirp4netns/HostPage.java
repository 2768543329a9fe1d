package dev.jslirp.slirp4netns;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A web page on the host's 127.0.0.1 (the JDK's HTTP server on a free port) that a
 * namespace reaches through the gateway, recording the address each request came from;
 * and {@link #fetch} for pages published from a namespace.
 */
final class HostPage implements AutoCloseable {
    private final HttpServer server;
    private final List<String> clients = new CopyOnWriteArrayList<>();

    /** Serves {@code body} at every path, on 127.0.0.1. */
    HostPage(String body) throws IOException {
        this(body, InetAddress.getLoopbackAddress());
    }

    /** Serves {@code body} at every path, on {@code address} (a loopback address). */
    HostPage(String body, InetAddress address) throws IOException {
        server = HttpServer.create(new InetSocketAddress(address, 0), 8);
        server.createContext("/", ex -> {
            clients.add(ex.getRemoteAddress().getAddress().getHostAddress());
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
    }

    /** The port it listens on. */
    int port() {
        return server.getAddress().getPort();
    }

    /** The addresses the requests came from, in order. */
    List<String> clients() {
        return clients;
    }

    /** The page at {@code http://127.0.0.1:PORT/}, white space stripped. */
    static String fetch(int port) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + "/").openConnection();
        c.setConnectTimeout(3000);
        c.setReadTimeout(5000);
        try (InputStream in = c.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
