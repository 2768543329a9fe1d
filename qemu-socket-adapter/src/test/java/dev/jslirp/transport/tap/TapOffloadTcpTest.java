package dev.jslirp.transport.tap;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.nat.NatConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Segmentation offload on the tap at MTU 1500 ({@code --tap-offload on}, the default),
 * through {@code jslirp --netns} over both families: an 8 MiB download, which jslirp
 * sends as TCP super-frames for the namespace's kernel (GSO), and an 8 MiB upload,
 * which the namespace's kernel hands jslirp as super-frames with partial checksums.
 * The SHA-256 of what arrived is checked at the far end each way (the namespace's
 * sha256sum, the host's digest of the POST body), and the tap's counters must show
 * that super-frames crossed in the direction under test: without them the test would
 * pass on one-by-one frames. Needs root (fails otherwise).
 */
class TapOffloadTcpTest {
    static final int SIZE = 8 << 20;
    static final Duration COMMAND = Duration.ofSeconds(90);

    @TempDir
    static Path dir;

    static byte[] body;
    static String sha256;
    static Path upload;
    static String uploadSha256;
    static HttpServer http4;
    static HttpServer http6;
    static NamespaceGuest guest;

    @BeforeAll
    static void setUp() throws Exception {
        body = new byte[SIZE];
        new Random(1500).nextBytes(body);
        sha256 = hex(body);
        // busybox wget reads --post-file as a C string: the upload has no zero bytes.
        byte[] up = body.clone();
        for (int i = 0; i < up.length; i++) {
            up[i] |= 1;
        }
        uploadSha256 = hex(up);
        upload = dir.resolve("upload.bin");
        Files.write(upload, up);
        http4 = serve(InetAddress.getLoopbackAddress());
        http6 = serve(InetAddress.getByName("::1"));
        guest = NamespaceGuest.startStatic(TapOffloadTcpTest.class, NetworkConfig.defaults(), DnsConfig.builder(),
                NatConfig.defaults());
    }

    /** GET answers with {@link #body}; POST answers with the SHA-256 of what it received. */
    private static HttpServer serve(InetAddress address) throws IOException {
        HttpServer http = HttpServer.create(new InetSocketAddress(address, 0), 0);
        http.createContext("/", exchange -> {
            byte[] answer;
            if (exchange.getRequestMethod().equals("POST")) {
                try (InputStream in = exchange.getRequestBody()) {
                    answer = (hex(in.readAllBytes()) + "\n").getBytes(StandardCharsets.US_ASCII);
                }
            } else {
                answer = body;
            }
            exchange.sendResponseHeaders(200, answer.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(answer);
            }
        });
        http.start();
        return http;
    }

    private static String hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
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

    private static String url(String family) {
        return family.equals("IPv4") ? "http://10.0.2.2:" + http4.getAddress().getPort() + "/"
                : "http://[fec0::2]:" + http6.getAddress().getPort() + "/";
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"IPv4", "IPv6"})
    void downloadReachesTheNamespaceIntactAsSuperFrames(String family) throws Exception {
        long before = guest.jslirp().tapCounter(TapCounter.GSO_FRAMES_OUT);
        // busybox wget's -T crashes (Debian's static build); exec's timeout bounds it.
        String out = guest.ns().exec(COMMAND, "sh", "-c", "busybox wget -q -O - " + url(family)
                + " | busybox sha256sum").ok("wget " + url(family) + " | sha256sum").output();
        assertThat(out.trim()).startsWith(sha256);
        assertThat(guest.jslirp().tapCounter(TapCounter.GSO_FRAMES_OUT) - before)
                .as("super-frames written to the tap: %s", guest.jslirp().network().stats().snapshot())
                .isPositive();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"IPv4", "IPv6"})
    void uploadReachesTheHostIntactFromSuperFrames(String family) throws Exception {
        long before = guest.jslirp().tapCounter(TapCounter.GSO_FRAMES_IN);
        String out = guest.ns().exec(COMMAND, "busybox", "wget", "-q", "-O", "-", "--post-file=" + upload,
                url(family)).ok("wget --post-file " + url(family)).output();
        assertThat(out.trim()).isEqualTo(uploadSha256);
        assertThat(guest.jslirp().tapCounter(TapCounter.GSO_FRAMES_IN) - before)
                .as("super-frames read from the tap: %s", guest.jslirp().network().stats().snapshot())
                .isPositive();
    }
}
