package dev.jslirp.transport.tap;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.nat.NatConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A download through {@code jslirp --netns} at MTU 65520, checked by the namespace's
 * own kernel: at that MTU jslirp sends the guest segments of up to 64 KiB whose payload
 * is a slice of the host read buffer, not a copy (one writev(2) of headers and data to
 * the tap), and whose checksum the namespace's kernel completes (virtio-net header
 * NEEDS_CSUM). A wrong checksum or a frame the tap split would stall the transfer or
 * corrupt the file; the SHA-256 the guest computes must match, and jslirp's counter must
 * show the uncopied path was taken. Over both families: the namespace has its addresses
 * from {@code --netns-static} (10.0.2.15, fec0::15), and the host's server listens on
 * 127.0.0.1 and on ::1. Needs root (fails otherwise).
 */
class TapJumboTcpTest {
    static final int MTU = 65520;
    static final int SIZE = 8 << 20;
    static final Duration COMMAND = Duration.ofSeconds(60);

    static HttpServer http4;
    static HttpServer http6;
    static NamespaceGuest guest;
    static String sha256;

    @BeforeAll
    static void setUp() throws Exception {
        byte[] body = new byte[SIZE];
        new Random(65520).nextBytes(body);
        sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body));
        http4 = serve(InetAddress.getLoopbackAddress(), body);
        http6 = serve(InetAddress.getByName("::1"), body);
        guest = NamespaceGuest.startStatic(TapJumboTcpTest.class, NetworkConfig.builder().mtu(MTU).build(),
                DnsConfig.builder(), NatConfig.defaults());
    }

    /** An HTTP server on {@code address} answering every request with {@code body}. */
    private static HttpServer serve(InetAddress address, byte[] body) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(address, 0), 0);
        http.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        http.start();
        return http;
    }

    @AfterAll
    static void tearDown() throws Exception {
        try {
            NamespaceGuest.close(guest, http4 == null ? null : () -> http4.stop(0));
        } finally {
            if (http6 != null) {
                http6.stop(0);
            }
        }
    }

    /** From the host address of the family: 10.0.2.2 reaches the host's 127.0.0.1, fec0::2 its ::1. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"IPv4", "IPv6"})
    void largeSegmentsFromTheHostReachTheNamespaceIntact(String family) throws Exception {
        String url = family.equals("IPv4") ? "http://10.0.2.2:" + http4.getAddress().getPort() + "/"
                : "http://[fec0::2]:" + http6.getAddress().getPort() + "/";
        long uncopiedBefore = uncopiedSegments();
        // busybox wget's -T crashes (Debian's static build); exec's timeout bounds it.
        String out = guest.ns().exec(COMMAND, "sh", "-c", "busybox wget -q -O - " + url + " | busybox sha256sum")
                .ok("wget " + url + " | sha256sum").output();
        assertThat(out.trim()).startsWith(sha256);
        assertThat(uncopiedSegments() - uncopiedBefore)
                .as("segments sent uncopied: %s", guest.jslirp().network().stats().snapshot())
                .isPositive();
    }

    private static long uncopiedSegments() {
        Long n = guest.jslirp().network().stats().snapshot().get("nat.tcp.SEGMENTS_UNCOPIED");
        return n == null ? 0 : n;
    }
}
