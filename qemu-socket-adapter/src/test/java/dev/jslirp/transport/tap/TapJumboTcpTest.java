package dev.jslirp.transport.tap;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.nat.NatConfig;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A download through {@code jslirp --netns} at MTU 65520, checked by the namespace's
 * own kernel: at that MTU jslirp sends the guest segments of up to 64 KiB whose payload
 * is a slice of the host read buffer, not a copy (one writev(2) of headers and data to
 * the tap), with a checksum computed over the two parts. A wrong checksum or a frame
 * the tap split would stall the transfer or corrupt the file; the SHA-256 the guest
 * computes must match, and jslirp's counter must show the uncopied path was taken.
 * Needs root (fails otherwise).
 */
class TapJumboTcpTest {
    static final int MTU = 65520;
    static final int SIZE = 8 << 20;
    static final Duration COMMAND = Duration.ofSeconds(60);

    @TempDir
    static Path dir;

    static HttpServer http;
    static NamespaceGuest guest;
    static String sha256;

    @BeforeAll
    static void setUp() throws Exception {
        byte[] body = new byte[SIZE];
        new Random(65520).nextBytes(body);
        sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        http.start();
        guest = NamespaceGuest.start(TapJumboTcpTest.class, dir, NetworkConfig.builder().mtu(MTU).build(),
                DnsConfig.builder(), NatConfig.defaults());
    }

    @AfterAll
    static void tearDown() throws Exception {
        NamespaceGuest.close(guest, http == null ? null : () -> http.stop(0));
    }

    @Test
    void largeSegmentsFromTheHostReachTheNamespaceIntact() throws Exception {
        String url = "http://10.0.2.2:" + http.getAddress().getPort() + "/";
        // busybox wget's -T crashes (Debian's static build); exec's timeout bounds it.
        String out = guest.ns().exec(COMMAND, "sh", "-c", "busybox wget -q -O - " + url + " | busybox sha256sum")
                .ok("wget " + url + " | sha256sum").output();
        assertThat(out.trim()).startsWith(sha256);
        assertThat(guest.jslirp().network().stats().snapshot().get("nat.tcp.SEGMENTS_UNCOPIED"))
                .as("segments sent uncopied: %s", guest.jslirp().network().stats().snapshot())
                .isPositive();
    }
}
