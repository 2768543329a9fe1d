package dev.jslirp.dns;

import static dev.jslirp.core.testkit.GuestFrames.DNS;
import static dev.jslirp.dns.GuestDns.TYPE_A;
import static dev.jslirp.dns.GuestDns.TYPE_AAAA;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.fuzz.FrameScript;
import dev.jslirp.core.testkit.fuzz.FuzzNetwork;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes the DNS service with what a guest sends to 10.0.2.3:53 and [fec0::3]:53: the
 * message view (header, names with compression pointers, EDNS), the local answers
 * (configured records, the host name, AAAA and other types) and the forwarder's
 * decision. The network runs on the embedded loop, which holds no sockets: the
 * forwarder cannot open its upstream socket there and answers as it does when that
 * fails (its socket side is covered by the real-loop tests, DnsForwardingTest). Beyond
 * {@link FuzzNetwork}'s invariants: queries in flight never exceed the configured bound.
 */
class DnsFuzzTest {
    private static final int MAX_IN_FLIGHT = 8;

    static {
        // Each input's network says once that it has no sockets on the embedded loop;
        // thousands of such lines a second would slow the fuzzer down (these two classes
        // log no "bug:" lines, so BugLog misses nothing).
        System.setProperty("org.slf4j.simpleLogger.log.dev.jslirp.dns.DnsTcpServer", "error");
        System.setProperty("org.slf4j.simpleLogger.log.dev.jslirp.dns.UdpForwarder", "error");
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "10m")
    void queriesFromTheGuest(byte[] script) {
        DnsConfig config = DnsConfig.builder()
                .addUpstream("127.0.0.1:9")
                .addRecord("files.example.test=10.0.2.77").hostName("host.example.test")
                .upstreamTimeout(Duration.ofSeconds(2)).maxInFlight(MAX_IN_FLIGHT).build();
        DnsService service = new DnsService(config);
        FuzzNetwork.of(NetworkConfig.defaults(), service)
                .check("queries in flight within the bound", () -> service.udpInFlight() <= MAX_IN_FLIGHT
                        ? null : service.udpInFlight() + " in flight")
                .run(script);
    }

    static Stream<Arguments> seeds() {
        return Stream.of(
                seed("a for the host name", query(GuestDns.query(1, "host.example.test", TYPE_A))),
                seed("aaaa for a configured record", query(GuestDns.query(2, "files.example.test", TYPE_AAAA))),
                seed("a for the built-in name, edns", query(GuestDns.queryWithEdns(3, "host.jslirp.internal",
                        TYPE_A, 1232))),
                seed("mx for a name to forward", query(GuestDns.query(4, "example.org", 15))),
                seed("forwarded queries time out", FrameScript.builder()
                        .frame(GuestFrames.udp(1000, DNS, 53, GuestDns.query(5, "a.example.org", TYPE_A)))
                        .frame(GuestFrames.udp(1001, DNS, 53, GuestDns.query(6, "b.example.org", TYPE_A)))
                        .advance(30)),
                seed("over ipv6", FrameScript.builder().frame(GuestFrames6.udp(1000, GuestFrames6.DNS6, 53,
                        GuestDns.query(7, "host.example.test", TYPE_AAAA)))),
                seed("a compression pointer to itself", query(pointerLoop())),
                seed("two questions", query(twoQuestions())),
                seed("a response, not a query", query(GuestDns.message(8, 0x8180, "example.org", TYPE_A, 0))));
    }

    private static FrameScript.Builder query(byte[] message) {
        return FrameScript.builder().frame(GuestFrames.udp(1000, DNS, 53, message));
    }

    /** A question whose name is a pointer to offset 12, itself. */
    private static byte[] pointerLoop() {
        return new byte[] {0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xc0, 12, 0, 1, 0, 1};
    }

    /** Two questions, the second's name a pointer into the first's. */
    private static byte[] twoQuestions() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0, 10, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0});
        out.writeBytes(GuestDns.wireName("www.example.org"));
        out.writeBytes(new byte[] {0, 1, 0, 1, 3, 'f', 't', 'p', (byte) 0xc0, 16, 0, 1, 0, 1});
        return out.toByteArray();
    }

    private static Arguments seed(String name, FrameScript.Builder script) {
        return Arguments.of(Named.of(name, script.build()));
    }
}
