package dev.jslirp.dns;

import static dev.jslirp.dns.GuestDns.TYPE_A;
import static dev.jslirp.dns.GuestDns.TYPE_AAAA;
import static dev.jslirp.dns.DnsTestBed.counters;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.dns.TestDnsServer.Behaviour;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Forwarding over UDP, on a real event loop, to DNS servers the test runs on
 * 127.0.0.1: IDs, failover, SERVFAIL, TC, large answers, bounds, spoofing.
 */
class DnsForwardingTest {
    private final DnsTestBed bed = new DnsTestBed();

    @AfterEach
    void closeAll() throws Exception {
        bed.close();
    }

    @Test
    void aQueryIsForwardedAndTheAnswerCarriesTheGuestsId() throws Exception {
        TestDnsServer up = bed.server().answer("example.test", "192.0.2.1");
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(up.address()).build());
        GuestDns.send(g, GuestDns.query(0xbeef, "example.test", TYPE_A));
        GuestDns.Reply r = GuestDns.expectReply(g);
        assertThat(r.id()).isEqualTo(0xbeef);
        assertThat(r.rcode()).isZero();
        assertThat(r.addresses()).containsExactly("192.0.2.1");
        assertThat(r.questionName()).isEqualTo("example.test.");
        List<TestDnsServer.Received> seen = up.received();
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).transport()).isEqualTo("udp");
        assertThat(seen.get(0).from().getAddress().isLoopbackAddress()).isTrue();
        assertThat(counters(g).get(DnsCounter.FORWARDED)).isEqualTo(1);
        assertThat(counters(g).get(DnsCounter.ANSWERS_RELAYED)).isEqualTo(1);
    }

    @Test
    void aQueryOverIpv6IsForwardedToAnIpv4UpstreamAndAnsweredFromTheAddressAsked() {
        TestDnsServer up = bed.server().answer("example.test", "2001:db8::1");
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(up.address()).build());
        GuestDns.send6(g, GuestFrames6.GUEST6, GuestFrames6.DNS6, GuestDns.query(0x6006, "example.test", TYPE_AAAA));
        GuestDns.Reply r = GuestDns.expectReply6(g, GuestFrames6.DNS6, GuestFrames6.GUEST6);
        assertThat(r.id()).isEqualTo(0x6006);
        assertThat(r.addresses()).containsExactly("2001:db8::1");
        assertThat(up.received()).extracting(TestDnsServer.Received::transport).containsExactly("udp");
    }

    @Test
    void anIpv6UpstreamOnLoopbackIsAskedAndBothFamiliesFailOverToEachOther() throws Exception {
        TestDnsServer v6 = bed.closeLater(TestDnsServer.start(InetAddress.getByName("::1"), 0))
                .answer("example.test", "192.0.2.6");
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(v6.address()).build());
        GuestDns.send(g, GuestDns.query(1, "example.test", TYPE_A));
        assertThat(GuestDns.expectReply(g).addresses()).containsExactly("192.0.2.6");
        assertThat(v6.received()).hasSize(1);
        assertThat(v6.received().get(0).from().getAddress()).isInstanceOf(Inet6Address.class);

        TestDnsServer silentV6 = bed.closeLater(TestDnsServer.start(InetAddress.getByName("::1"), 0))
                .behaviour(Behaviour.SILENT);
        TestDnsServer v4 = bed.server().answer("example.test", "192.0.2.4");
        TestDnsServer servfailV4 = bed.server().behaviour(Behaviour.SERVFAIL);
        VirtualGuest g2 = bed.guest(DnsConfig.builder().addUpstream(servfailV4.address())
                .addUpstream(silentV6.address()).addUpstream(v4.address()).upstreamTimeout(Duration.ofMillis(300))
                .build());
        GuestDns.send(g2, GuestDns.query(2, "example.test", TYPE_A));
        assertThat(GuestDns.expectReply(g2).addresses()).containsExactly("192.0.2.4");
        assertThat(silentV6.received()).hasSize(1);
        assertThat(counters(g2).get(DnsCounter.UPSTREAM_TIMEOUTS)).isEqualTo(1);
    }

    @Test
    void twoGuestQueriesWithTheSameIdInFlightAreEachAnsweredRight() throws Exception {
        TestDnsServer up = bed.server().answer("one.test", "192.0.2.1").answer("two.test", "192.0.2.2")
                .delay(Duration.ofMillis(200));
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(up.address()).build());
        GuestDns.send(g, 40001, GuestDns.query(77, "one.test", TYPE_A));
        GuestDns.send(g, 40002, GuestDns.query(77, "two.test", TYPE_A));
        List<TestDnsServer.Received> seen = up.awaitReceived(2);
        assertThat(seen).hasSize(2);
        assertThat(seen.get(0).id()).isNotEqualTo(seen.get(1).id());
        GuestDns.Datagram first = GuestDns.expectDatagram(g);
        GuestDns.Datagram second = GuestDns.expectDatagram(g);
        for (GuestDns.Datagram d : List.of(first, second)) {
            GuestDns.Reply r = GuestDns.decode(d.payload());
            assertThat(r.id()).isEqualTo(77);
            if (d.dstPort() == 40001) {
                assertThat(r.addresses()).containsExactly("192.0.2.1");
            } else {
                assertThat(d.dstPort()).isEqualTo(40002);
                assertThat(r.addresses()).containsExactly("192.0.2.2");
            }
        }
        assertThat(first.dstPort()).isNotEqualTo(second.dstPort());
    }

    @Test
    void aSilentFirstUpstreamTimesOutAndTheSecondAnswers() {
        TestDnsServer silent = bed.server().behaviour(Behaviour.SILENT);
        TestDnsServer good = bed.server().answer("example.test", "192.0.2.9");
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(silent.address()).addUpstream(good.address())
                .upstreamTimeout(Duration.ofMillis(300)).build());
        GuestDns.send(g, GuestDns.query(5, "example.test", TYPE_A));
        GuestDns.Reply r = GuestDns.expectReply(g);
        assertThat(r.id()).isEqualTo(5);
        assertThat(r.addresses()).containsExactly("192.0.2.9");
        assertThat(silent.received()).hasSize(1);
        assertThat(good.received()).hasSize(1);
        assertThat(good.received().get(0).id()).isEqualTo(silent.received().get(0).id());
        assertThat(counters(g).get(DnsCounter.UPSTREAM_TIMEOUTS)).isEqualTo(1);
    }

    @Test
    void whenEveryUpstreamIsSilentTheGuestGetsServfail() {
        TestDnsServer a = bed.server().behaviour(Behaviour.SILENT);
        TestDnsServer b = bed.server().behaviour(Behaviour.SILENT);
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(a.address()).addUpstream(b.address())
                .upstreamTimeout(Duration.ofMillis(200)).build());
        long start = System.nanoTime();
        GuestDns.send(g, GuestDns.query(6, "example.test", TYPE_A));
        GuestDns.Reply r = GuestDns.expectReply(g);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        assertThat(r.id()).isEqualTo(6);
        assertThat(r.rcode()).isEqualTo(2);
        assertThat(r.questionName()).isEqualTo("example.test.");
        assertThat(counters(g).get(DnsCounter.UPSTREAM_TIMEOUTS)).isEqualTo(2);
        assertThat(counters(g).get(DnsCounter.SERVFAIL_SENT)).isEqualTo(1);
        g.onLoop(() -> { });
        assertThat(inFlight(g)).isZero();
    }

    @Test
    void aServfailFromTheFirstUpstreamMovesOnToTheNext() {
        TestDnsServer failing = bed.server().behaviour(Behaviour.SERVFAIL);
        TestDnsServer good = bed.server().answer("example.test", "192.0.2.3");
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(failing.address()).addUpstream(good.address())
                .build());
        GuestDns.send(g, GuestDns.query(8, "example.test", TYPE_A));
        assertThat(GuestDns.expectReply(g).addresses()).containsExactly("192.0.2.3");
        assertThat(counters(g).get(DnsCounter.UPSTREAM_ERRORS)).isEqualTo(1);
        assertThat(counters(g).get(DnsCounter.UPSTREAM_TIMEOUTS)).isZero();
    }

    @Test
    void theLastUpstreamsErrorIsRelayedAsItIs() {
        TestDnsServer failing = bed.server().behaviour(Behaviour.SERVFAIL);
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(failing.address()).build());
        GuestDns.send(g, GuestDns.query(8, "example.test", TYPE_A));
        GuestDns.Reply r = GuestDns.expectReply(g);
        assertThat(r.rcode()).isEqualTo(2);
        assertThat(counters(g).get(DnsCounter.ANSWERS_RELAYED)).isEqualTo(1);
        assertThat(counters(g).get(DnsCounter.SERVFAIL_SENT)).isZero();
    }

    @Test
    void aTruncatedAnswerIsPassedThroughSoTheGuestRetriesOverTcp() {
        TestDnsServer up = bed.server().behaviour(Behaviour.TRUNCATE);
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(up.address()).build());
        GuestDns.send(g, GuestDns.query(10, "big.test", TYPE_A));
        GuestDns.Reply r = GuestDns.expectReply(g);
        assertThat(r.id()).isEqualTo(10);
        assertThat(r.truncated()).isTrue();
        assertThat(r.answerCount()).isZero();
    }

    @Test
    void anAnswerLargerThanTheMtuReachesTheGuestInFragmentsWithEdnsIntact() {
        TestDnsServer up = bed.server().behaviour(Behaviour.LARGE);
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(up.address()).build());
        GuestDns.send(g, GuestDns.queryWithEdns(11, "large.test", TYPE_A, 4096));
        GuestDns.Datagram d = GuestDns.expectDatagram(g);
        assertThat(d.payload().length).isGreaterThan(1500);
        assertThat(d.fragments()).isGreaterThan(1);
        GuestDns.Reply r = GuestDns.decode(d.payload());
        assertThat(r.id()).isEqualTo(11);
        assertThat(r.answerCount()).isEqualTo(TestDnsServer.LARGE_RECORDS);
        assertThat(up.received().get(0).hasOpt()).as("the guest's OPT record went upstream").isTrue();
    }

    @Test
    void queriesBeyondTheInFlightBoundGetServfailAtOnce() throws Exception {
        TestDnsServer silent = bed.server().behaviour(Behaviour.SILENT);
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(silent.address()).maxInFlight(2)
                .upstreamTimeout(Duration.ofSeconds(5)).build());
        GuestDns.send(g, 40001, GuestDns.query(1, "a.test", TYPE_A));
        GuestDns.send(g, 40002, GuestDns.query(2, "b.test", TYPE_A));
        GuestDns.send(g, 40003, GuestDns.query(3, "c.test", TYPE_A));
        GuestDns.Reply r = GuestDns.expectReply(g, 40003);
        assertThat(r.id()).isEqualTo(3);
        assertThat(r.rcode()).isEqualTo(2);
        assertThat(counters(g).get(DnsCounter.IN_FLIGHT_LIMIT)).isEqualTo(1);
        assertThat(inFlight(g)).isEqualTo(2);
        assertThat(silent.awaitReceived(2)).hasSize(2);
        g.expectNothing();
    }

    @Test
    void spoofedAndUnmatchedUpstreamAnswersAreIgnored() {
        TestDnsServer up = bed.server().answer("example.test", "192.0.2.7").behaviour(Behaviour.SPOOF_FIRST);
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(up.address()).build());
        GuestDns.send(g, GuestDns.query(12, "example.test", TYPE_A));
        GuestDns.Reply r = GuestDns.expectReply(g);
        assertThat(r.id()).isEqualTo(12);
        assertThat(r.addresses()).containsExactly("192.0.2.7");
        assertThat(counters(g).get(DnsCounter.UNMATCHED_ANSWERS)).isEqualTo(3);
        g.expectNothing();
    }

    @Test
    void anAnswerAfterTheQueryEndedIsCountedAsUnmatched() {
        TestDnsServer slow = bed.server().answer("example.test", "192.0.2.1").delay(Duration.ofMillis(600));
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(slow.address())
                .upstreamTimeout(Duration.ofMillis(200)).build());
        GuestDns.send(g, GuestDns.query(13, "example.test", TYPE_A));
        assertThat(GuestDns.expectReply(g).rcode()).isEqualTo(2);
        g.expectNothing(Duration.ofMillis(800));
        assertThat(counters(g).get(DnsCounter.UNMATCHED_ANSWERS)).isEqualTo(1);
    }

    @Test
    void localNamesAreNotForwardedOnARealLoopEither() {
        TestDnsServer up = bed.server();
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(up.address()).addRecord("nas.home=10.0.2.50")
                .build());
        GuestDns.send(g, GuestDns.query(14, "NAS.home", TYPE_A));
        assertThat(GuestDns.expectReply(g).addresses()).containsExactly("10.0.2.50");
        g.expectNothing();
        assertThat(up.received()).isEmpty();
    }

    @Test
    void restrictOnSendsNothingUpstream() {
        TestDnsServer up = bed.server().answer("example.test", "192.0.2.1");
        VirtualGuest g = bed.guest(NetworkConfig.builder().restrict(true).build(),
                DnsConfig.builder().addUpstream(up.address()).build());
        GuestDns.send(g, GuestDns.query(15, "example.test", TYPE_A));
        assertThat(GuestDns.expectReply(g).rcode()).isEqualTo(5);
        g.expectNothing();
        assertThat(up.received()).isEmpty();
    }

    @Test
    void manyQueriesAreAllAnsweredAndNothingStaysInFlight() {
        TestDnsServer up = bed.server().answer("example.test", "192.0.2.1");
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(up.address()).build());
        int n = 200;
        for (int i = 0; i < n; i++) {
            GuestDns.send(g, 20000 + i, GuestDns.query(i, "example.test", TYPE_A));
        }
        AtomicInteger answered = new AtomicInteger();
        for (int i = 0; i < n; i++) {
            GuestDns.Datagram d = GuestDns.expectDatagram(g);
            assertThat(GuestDns.decode(d.payload()).id()).isEqualTo(d.dstPort() - 20000);
            answered.incrementAndGet();
        }
        assertThat(answered).hasValue(n);
        assertThat(inFlight(g)).isZero();
    }

    @Test
    void queriesInFlightAreForgottenWhenTheGuestDetaches() throws Exception {
        TestDnsServer silent = bed.server().behaviour(Behaviour.SILENT);
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(silent.address()).build());
        GuestDns.send(g, GuestDns.query(1, "a.test", TYPE_A));
        silent.awaitReceived(1);
        assertThat(inFlight(g)).isEqualTo(1);
        g.network().detach();
        assertThat(inFlight(g)).isZero();
    }

    private int inFlight(VirtualGuest g) {
        int[] n = new int[1];
        g.onLoop(() -> n[0] = bed.service().udpInFlight());
        return n[0];
    }
}
