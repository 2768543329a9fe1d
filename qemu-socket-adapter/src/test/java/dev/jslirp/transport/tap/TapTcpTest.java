package dev.jslirp.transport.tap;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.nat.NatConfig;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TCP through {@code jslirp --netns}: busybox wget in the namespace fetches a page
 * from an HTTP server on the host's 127.0.0.1 through the gateway, and the host
 * fetches a page from busybox httpd in the namespace through a TCP port forward.
 * Needs root (fails otherwise) and jslirp's TCP NAT.
 */
class TapTcpTest {
    /** busybox wget's own -T crashes (Debian 1.35 static build): this bounds it instead. */
    static final Duration COMMAND = Duration.ofSeconds(20);
    static final int GUEST_HTTP_PORT = 8080;
    static final String HOST_PAGE = "hello from the host's loopback\n";
    static final String GUEST_PAGE = "hello from inside the namespace\n";

    @TempDir
    static Path dir;

    static HttpServer http;
    static int forwardedPort;
    static NamespaceGuest guest;

    @BeforeAll
    static void setUp() throws Exception {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", exchange -> {
            byte[] body = HOST_PAGE.getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        http.start();
        // Port 0: the system picks the port as the forward binds, so no other process can take it first.
        guest = NamespaceGuest.start(TapTcpTest.class, dir, NetworkConfig.defaults(), DnsConfig.builder(),
                NatConfig.builder().addForward("tcp:127.0.0.1:0-:" + GUEST_HTTP_PORT).build());
        forwardedPort = guest.jslirp().network().nat().forwards().get(0).listening().getPort();
    }

    @AfterAll
    static void tearDown() throws Exception {
        NamespaceGuest.close(guest, http == null ? null : () -> http.stop(0));
    }

    @Test
    void wgetInTheNamespaceFetchesFromAnHttpServerOnTheHostsLoopback() throws Exception {
        int port = http.getAddress().getPort();
        String out = guest.ns().exec(COMMAND, "busybox", "wget", "-q", "-O", "-",
                "http://10.0.2.2:" + port + "/").ok("wget http://10.0.2.2:" + port + "/").output();
        assertThat(out).isEqualTo(HOST_PAGE);
    }

    @Test
    void tcpHostForwardReachesAnHttpServerInTheNamespace() throws Exception {
        String response = NamespaceHttpd.start(guest.ns(), dir, Integer.toString(GUEST_HTTP_PORT), GUEST_PAGE)
                .getThroughForward(InetAddress.getLoopbackAddress(), forwardedPort);
        assertThat(response).as("HTTP response through the forward").isNotNull()
                .startsWith("HTTP/1.").endsWith(GUEST_PAGE);
    }
}
