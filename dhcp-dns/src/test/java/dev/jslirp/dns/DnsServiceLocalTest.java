package dev.jslirp.dns;

import static dev.jslirp.dns.GuestDns.TYPE_A;
import static dev.jslirp.dns.GuestDns.TYPE_AAAA;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.IpAddress;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the service answers itself, on the deterministic embedded loop: local names,
 * restrict=on, malformed and unsupported queries. A real test server is configured as
 * the upstream so the tests can prove it was never asked.
 */
class DnsServiceLocalTest {
    private TestDnsServer upstream;

    @BeforeEach
    void startUpstream() {
        upstream = TestDnsServer.start().answer("example.test", "192.0.2.1");
    }

    @AfterEach
    void stopUpstream() {
        upstream.close();
    }

    private DnsConfig.Builder config() {
        return DnsConfig.builder().addUpstream(upstream.address());
    }

    private static Counters<DnsCounter> counters(VirtualGuest g) {
        return g.network().stats().service("dns", DnsCounter.class);
    }

    @Test
    void hostNameResolvesToTheGatewayWithoutAskingUpstream() {
        try (VirtualGuest g = VirtualGuest.embedded(new DnsService(config().build()))) {
            GuestDns.send(g, GuestDns.query(0x1234, "host.jslirp.internal", TYPE_A));
            GuestDns.Reply r = GuestDns.expectReply(g);
            assertThat(r.id()).isEqualTo(0x1234);
            assertThat(r.rcode()).isZero();
            assertThat(r.authoritative()).isTrue();
            assertThat(r.recursionDesired()).isTrue();
            assertThat(r.questionName()).isEqualTo("host.jslirp.internal.");
            assertThat(r.addresses()).containsExactly("10.0.2.2");
            assertThat(counters(g).get(DnsCounter.ANSWERED_LOCALLY)).isEqualTo(1);
            assertThat(counters(g).get(DnsCounter.FORWARDED)).isZero();
            g.expectNothing();
        }
        assertThat(upstream.received()).isEmpty();
    }

    @Test
    void localNamesMatchCaseInsensitivelyAndTheQuestionIsEchoedAsSent() {
        try (VirtualGuest g = VirtualGuest.embedded(new DnsService(config().build()))) {
            GuestDns.send(g, GuestDns.query(7, "HoSt.JsLiRp.InTeRnAl.", TYPE_A));
            GuestDns.Reply r = GuestDns.expectReply(g);
            assertThat(r.questionName()).isEqualTo("HoSt.JsLiRp.InTeRnAl.");
            assertThat(r.addresses()).containsExactly("10.0.2.2");
        }
        assertThat(upstream.received()).isEmpty();
    }

    @Test
    void dnsRecordsAreAnsweredLocally() {
        DnsConfig cfg = config().addRecord("printer.lan=192.168.7.7").addRecord("Blocked.Example=0.0.0.0").build();
        try (VirtualGuest g = VirtualGuest.embedded(new DnsService(cfg))) {
            GuestDns.send(g, GuestDns.query(1, "printer.lan", TYPE_A));
            assertThat(GuestDns.expectReply(g).addresses()).containsExactly("192.168.7.7");
            GuestDns.send(g, GuestDns.query(2, "blocked.example", TYPE_A));
            assertThat(GuestDns.expectReply(g).addresses()).containsExactly("0.0.0.0");
            assertThat(counters(g).get(DnsCounter.ANSWERED_LOCALLY)).isEqualTo(2);
        }
        assertThat(upstream.received()).isEmpty();
    }

    @Test
    void aRecordForTheHostNameOverridesTheGateway() {
        DnsConfig cfg = config().addRecord("host.jslirp.internal=10.0.2.99").build();
        try (VirtualGuest g = VirtualGuest.embedded(new DnsService(cfg))) {
            GuestDns.send(g, GuestDns.query(1, "host.jslirp.internal", TYPE_A));
            assertThat(GuestDns.expectReply(g).addresses()).containsExactly("10.0.2.99");
        }
    }

    @Test
    void aaaaForALocalNameWithoutAnIpv6AddressIsNoDataNotNxdomain() {
        DnsConfig cfg = config().addRecord("printer.lan=192.168.7.7").build();
        try (VirtualGuest g = VirtualGuest.embedded(new DnsService(cfg))) {
            GuestDns.send(g, GuestDns.query(9, "printer.lan", TYPE_AAAA));
            GuestDns.Reply r = GuestDns.expectReply(g);
            assertThat(r.id()).isEqualTo(9);
            assertThat(r.rcode()).isZero();
            assertThat(r.answerCount()).isZero();
            assertThat(r.authoritative()).isTrue();
            assertThat(r.questionType()).isEqualTo(TYPE_AAAA);
        }
        assertThat(upstream.received()).isEmpty();
    }

    @Test
    void theHostNameHasAnAaaaRecordOfTheIpv6HostAddressAndAnyGetsBoth() {
        try (VirtualGuest g = VirtualGuest.embedded(new DnsService(config().build()))) {
            GuestDns.send(g, GuestDns.query(1, "host.jslirp.internal", TYPE_AAAA));
            GuestDns.Reply r = GuestDns.expectReply(g);
            assertThat(r.addresses()).containsExactly("fec0::2");
            assertThat(r.authoritative()).isTrue();
            GuestDns.send(g, GuestDns.query(2, "host.jslirp.internal", 255));
            assertThat(GuestDns.expectReply(g).addresses()).containsExactly("10.0.2.2", "fec0::2");
        }
        assertThat(upstream.received()).isEmpty();
    }

    @Test
    void theHostNameHasOnlyTheRecordsOfTheFamiliesTheNetworkServes() {
        NetworkConfig v4only = NetworkConfig.builder().ipv6(false).build();
        try (VirtualGuest g = VirtualGuest.embedded(v4only, new DnsService(config().build()))) {
            GuestDns.send(g, GuestDns.query(1, "host.jslirp.internal", TYPE_AAAA));
            GuestDns.Reply r = GuestDns.expectReply(g);
            assertThat(r.rcode()).isZero();
            assertThat(r.answerCount()).isZero();
        }
        NetworkConfig v6only = NetworkConfig.builder().ipv4(false).ipv6Net("fd00:7::/64").build();
        try (VirtualGuest g = VirtualGuest.embedded(v6only, new DnsService(config().build()))) {
            GuestDns.send6(g, GuestFrames6.GUEST6_LL, IpAddress.parse("fd00:7::3"),
                    GuestDns.query(2, "host.jslirp.internal", 255));
            GuestDns.Reply r = GuestDns.expectReply6(g, IpAddress.parse("fd00:7::3"), GuestFrames6.GUEST6_LL);
            assertThat(r.addresses()).containsExactly("fd00:7::2");
        }
    }

    @Test
    void anIpv6DnsRecordIsAnAaaaRecordAndANameMayHaveBoth() {
        DnsConfig cfg = config().addRecord("v6.lan=fec0::50").addRecord("both.lan=10.0.2.60")
                .addRecord("both.lan=fd00::60").build();
        try (VirtualGuest g = VirtualGuest.embedded(new DnsService(cfg))) {
            GuestDns.send(g, GuestDns.query(1, "v6.lan", TYPE_AAAA));
            assertThat(GuestDns.expectReply(g).addresses()).containsExactly("fec0::50");
            GuestDns.send(g, GuestDns.query(2, "v6.lan", TYPE_A));
            GuestDns.Reply noA = GuestDns.expectReply(g);
            assertThat(noA.rcode()).isZero();
            assertThat(noA.answerCount()).isZero();
            GuestDns.send(g, GuestDns.query(3, "both.lan", TYPE_A));
            assertThat(GuestDns.expectReply(g).addresses()).containsExactly("10.0.2.60");
            GuestDns.send(g, GuestDns.query(4, "both.lan", TYPE_AAAA));
            assertThat(GuestDns.expectReply(g).addresses()).containsExactly("fd00::60");
        }
        assertThat(upstream.received()).isEmpty();
    }

    @Test
    void queriesToTheIpv6DnsAddressesAreAnsweredFromTheAddressAsked() {
        try (VirtualGuest g = VirtualGuest.embedded(new DnsService(config().build()))) {
            for (IpAddress[] pair : new IpAddress[][] {{GuestFrames6.GUEST6, GuestFrames6.DNS6},
                {GuestFrames6.GUEST6_LL, IpAddress.parse("fe80::3")}}) {
                GuestDns.send6(g, pair[0], pair[1], GuestDns.query(5, "host.jslirp.internal", TYPE_AAAA));
                GuestDns.Reply r = GuestDns.expectReply6(g, pair[1], pair[0]);
                assertThat(r.id()).isEqualTo(5);
                assertThat(r.addresses()).containsExactly("fec0::2");
            }
            assertThat(counters(g).get(DnsCounter.ANSWERED_LOCALLY)).isEqualTo(2);
        }
    }

    @Test
    void restrictOnRefusesOtherNamesButStillAnswersLocalOnes() {
        NetworkConfig restricted = NetworkConfig.builder().restrict(true).build();
        try (VirtualGuest g = VirtualGuest.embedded(restricted, new DnsService(config().build()))) {
            GuestDns.send(g, GuestDns.query(3, "example.test", TYPE_A));
            GuestDns.Reply refused = GuestDns.expectReply(g);
            assertThat(refused.id()).isEqualTo(3);
            assertThat(refused.rcode()).isEqualTo(5);
            assertThat(refused.questionName()).isEqualTo("example.test.");
            GuestDns.send(g, GuestDns.query(4, "host.jslirp.internal", TYPE_A));
            assertThat(GuestDns.expectReply(g).addresses()).containsExactly("10.0.2.2");
            assertThat(counters(g).get(DnsCounter.REFUSED_SENT)).isEqualTo(1);
        }
        assertThat(upstream.received()).isEmpty();
    }

    @Test
    void anOpcodeOtherThanQueryGetsNotImp() {
        try (VirtualGuest g = VirtualGuest.embedded(new DnsService(config().build()))) {
            GuestDns.send(g, GuestDns.message(5, 2 << 11, "example.test", TYPE_A, 0));   // STATUS
            GuestDns.Reply r = GuestDns.expectReply(g);
            assertThat(r.rcode()).isEqualTo(4);
            assertThat(counters(g).get(DnsCounter.NOTIMP_SENT)).isEqualTo(1);
        }
        assertThat(upstream.received()).isEmpty();
    }

    @Test
    void udpToAnotherPortOfTheDnsAddressIsNotTaken() {
        try (VirtualGuest g = VirtualGuest.embedded(new DnsService(config().build()))) {
            g.send(GuestFrames.udp(GuestDns.GUEST_PORT, GuestFrames.DNS, 54, GuestDns.query(1, "a.test", TYPE_A)));
            g.expectNothing();
            assertThat(counters(g).get(DnsCounter.QUERIES)).isZero();
            assertThat(g.network().stats().drops().get(DropReason.NO_SERVICE)).isEqualTo(1);
        }
    }

    // ------------------------------------------------------------ malformed queries

    private static byte[] header(int id, int flags, int qdcount) {
        return new byte[] {(byte) (id >> 8), (byte) id, (byte) (flags >> 8), (byte) flags,
            0, (byte) qdcount, 0, 0, 0, 0, 0, 0};
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static byte[] typeAndClass() {
        return new byte[] {0, 1, 0, 1};
    }

    private static byte[] label(int length) {
        byte[] l = new byte[length + 1];
        l[0] = (byte) length;
        Arrays.fill(l, 1, l.length, (byte) 'a');
        return l;
    }

    static Stream<Arguments> malformedWithFormerr() {
        byte[] good = GuestDns.query(0x4242, "example.test", TYPE_A);
        return Stream.of(
                Arguments.of("truncated question", Arrays.copyOf(good, good.length - 3)),
                Arguments.of("name cut in a label", Arrays.copyOf(good, 12 + 4)),
                Arguments.of("compression loop", concat(header(0x4242, 0x0100, 1), new byte[] {(byte) 0xc0, 12},
                        typeAndClass())),
                Arguments.of("pointer into the header", concat(header(0x4242, 0x0100, 1), new byte[] {(byte) 0xc0, 2},
                        typeAndClass())),
                Arguments.of("label over 63", concat(header(0x4242, 0x0100, 1), label(64), new byte[] {0},
                        typeAndClass())),
                Arguments.of("name over 255", concat(header(0x4242, 0x0100, 1), label(63), label(63), label(63),
                        label(63), new byte[] {0}, typeAndClass())),
                Arguments.of("no question", header(0x4242, 0x0100, 0)),
                Arguments.of("two questions", concat(header(0x4242, 0x0100, 2), Arrays.copyOfRange(good, 12,
                        good.length), Arrays.copyOfRange(good, 12, good.length))),
                Arguments.of("over 4096 bytes", concat(
                        header(0x4242, 0x0100, 1), GuestDns.wireName("example.test"), typeAndClass(), new byte[5000])));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedWithFormerr")
    void aQueryWithABadQuestionGetsFormerrAndIsCounted(String what, byte[] query) {
        try (VirtualGuest g = VirtualGuest.embedded(new DnsService(config().build()))) {
            GuestDns.send(g, query);
            GuestDns.Reply r = GuestDns.expectReply(g);
            assertThat(r.id()).isEqualTo(0x4242);
            assertThat(r.rcode()).isEqualTo(1);
            assertThat(counters(g).get(DnsCounter.MALFORMED_QUERIES)).isEqualTo(1);
            assertThat(counters(g).get(DnsCounter.FORMERR_SENT)).isEqualTo(1);
            g.expectNothing();
        }
        assertThat(upstream.received()).isEmpty();
    }

    static List<Arguments> malformedDropped() {
        return List.of(
                Arguments.of("empty", new byte[0]),
                Arguments.of("truncated header", new byte[] {0x42, 0x42, 1, 0, 0}),
                Arguments.of("a response", GuestDns.message(0x4242, 0x8180, "example.test", TYPE_A, 0)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformedDropped")
    void aMessageWithNothingToAnswerIsDroppedAndCounted(String what, byte[] message) {
        try (VirtualGuest g = VirtualGuest.embedded(new DnsService(config().build()))) {
            GuestDns.send(g, message);
            g.expectNothing();
            assertThat(counters(g).get(DnsCounter.MALFORMED_DROPPED)).isEqualTo(1);
        }
        assertThat(upstream.received()).isEmpty();
    }

    @Test
    void aQueryFromSourcePortZeroIsDropped() {
        try (VirtualGuest g = VirtualGuest.embedded(new DnsService(config().build()))) {
            GuestDns.send(g, 0, GuestDns.query(1, "host.jslirp.internal", TYPE_A));
            g.expectNothing();
            assertThat(counters(g).get(DnsCounter.MALFORMED_DROPPED)).isEqualTo(1);
        }
    }
}
