package dev.jslirp.autoconf;

import static dev.jslirp.core.testkit.GuestFrames.GUEST_MAC;
import static dev.jslirp.core.testkit.GuestFrames6.ALL_NODES;
import static dev.jslirp.core.testkit.GuestFrames6.ALL_ROUTERS;
import static dev.jslirp.core.testkit.GuestFrames6.GUEST6_LL;
import static dev.jslirp.core.testkit.GuestFrames6.ROUTER_LL;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.dhcp.DhcpConfig;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * Router advertisements through the whole network on a deterministic loop: what one says
 * (decoded by pcap4j), when they are sent (RFC 4861 sections 6.2.4 and 6.2.6), and which
 * solicitations are dropped (section 6.1.1).
 */
class RouterAdvertiserTest {
    static final DhcpConfig SEARCH = DhcpConfig.builder().addDnsSearch("corp.example").addDnsSearch("lab.test")
            .build();

    static VirtualGuest guest(NetworkConfig net, DhcpConfig dhcp, RandomGenerator random) {
        return VirtualGuest.embedded(net, new RouterAdvertiser(dhcp, random));
    }

    static VirtualGuest guest() {
        return guest(NetworkConfig.defaults(), SEARCH, FixedRandom.largest());
    }

    static Counters<RaCounter> counters(VirtualGuest g) {
        return g.network().stats().service("ra", RaCounter.class);
    }

    /** A solicitation with {@code body} after the ICMPv6 header (reserved word, then options). */
    static ByteBuf solicitation(IpAddress src, IpAddress dst, int hopLimit, int code, byte[] body) {
        return GuestFrames6.icmpv6(src, dst, hopLimit, 133, code, body);
    }

    @Test
    void solicitationIsAnsweredByAnAdvertisementToAllNodesFromTheLinkLocalRouter() throws Exception {
        try (VirtualGuest g = guest()) {
            g.send(GuestFrames6.routerSolicitation());
            g.expectNothing();          // MAX_RA_DELAY_TIME: not at once
            g.advance(Duration.ofMillis(500));
            ReceivedAdvertisement ra = ReceivedAdvertisement.decode(g.expectFrame());
            g.expectNothing();

            assertThat(ra.ethSource()).isEqualTo("52:55:0a:00:02:02");
            assertThat(ra.ethDestination()).isEqualTo("33:33:00:00:00:01");
            assertThat(ra.ipSource()).isEqualTo("fe80:0:0:0:0:0:0:2");
            assertThat(ra.ipDestination()).isEqualTo("ff02:0:0:0:0:0:0:1");
            assertThat(ra.hopLimit()).as("RFC 4861 section 6.1.2").isEqualTo(255);
            assertThat(ra.checksumValid()).isTrue();
            assertThat(ra.curHopLimit()).isEqualTo(64);
            assertThat(ra.managed()).isFalse();
            assertThat(ra.other()).as("stateless DHCPv6 is served").isTrue();
            assertThat(ra.routerLifetime()).isEqualTo(1800);
            assertThat(ra.reachableTime()).isZero();
            assertThat(ra.retransTimer()).isZero();
            assertThat(ra.sourceLinkLayer()).isEqualTo("52:55:0a:00:02:02");
            assertThat(ra.mtu()).isEqualTo(1500);
            assertThat(ra.prefix()).isEqualTo("fec0:0:0:0:0:0:0:0");
            assertThat(ra.prefixLength()).isEqualTo(64);
            assertThat(ra.onLink()).isTrue();
            assertThat(ra.autonomous()).isTrue();
            assertThat(ra.validLifetime()).isEqualTo(86400);
            assertThat(ra.preferredLifetime()).isEqualTo(14400);
            assertThat(ra.rdnss()).containsExactly("fec0:0:0:0:0:0:0:3");
            assertThat(ra.rdnssLifetime()).isEqualTo(1800);
            assertThat(ra.dnssl()).containsExactly("corp.example", "lab.test");
            assertThat(ra.dnsslLifetime()).isEqualTo(1800);
            assertThat(ra.optionCounts()).isEqualTo(Map.of(1, 1, 3, 1, 5, 1, 25, 1, 31, 1));
            assertThat(counters(g).get(RaCounter.SOLICITATIONS)).isEqualTo(1);
            assertThat(counters(g).get(RaCounter.SOLICITED_SENT)).isEqualTo(1);
        }
    }

    @Test
    void theSolicitorsLinkLayerAddressIsLearnt() {
        try (VirtualGuest g = guest()) {
            g.send(GuestFrames6.routerSolicitation());
            assertThat(g.network().neighbor(GUEST6_LL)).isEqualTo(GUEST_MAC);
            g.advance(Duration.ofMillis(500));
            g.expectFrame().release();
        }
    }

    @Test
    void solicitationFromTheUnspecifiedAddressAndToTheRoutersOwnAddressAreAnswered() {
        try (VirtualGuest g = guest()) {
            g.send(solicitation(IpAddress.V6_ANY, ALL_ROUTERS, 255, 0, new byte[4]));
            g.advance(Duration.ofMillis(500));
            g.expectFrame().release();
            g.advance(Duration.ofSeconds(3));
            g.send(solicitation(GUEST6_LL, ROUTER_LL, 255, 0, new byte[4]));
            g.advance(Duration.ofMillis(500));
            g.expectFrame().release();
            assertThat(counters(g).get(RaCounter.SOLICITED_SENT)).isEqualTo(2);
            assertThat(g.network().stats().drops().total()).isZero();
        }
    }

    @Test
    void aFloodOfSolicitationsGetsOneAdvertisementPerThreeSeconds() {
        try (VirtualGuest g = guest()) {
            List<Long> sentAtMillis = new ArrayList<>();
            for (int ms = 0; ms < 10_000; ms += 10) {
                g.send(GuestFrames6.routerSolicitation());
                ByteBuf f = g.sink().poll();
                if (f != null) {
                    sentAtMillis.add((long) ms);
                    f.release();
                }
                g.advance(Duration.ofMillis(10));
            }
            // With the largest random delay: 0.5 s, then 3 s + 0.5 s after each one before.
            assertThat(sentAtMillis).containsExactly(500L, 4000L, 7500L);
            assertThat(counters(g).get(RaCounter.SOLICITATIONS)).isEqualTo(1000);
            assertThat(counters(g).get(RaCounter.SOLICITATIONS_COALESCED)).isEqualTo(1000 - 4);
        }
    }

    @Test
    void afterTheGuestAttachesThreeAdvertisementsComeSixteenSecondsApartThenEveryTwoToTenMinutes() {
        for (RandomGenerator r : List.of(FixedRandom.largest(), FixedRandom.smallest())) {
            try (VirtualGuest g = guest(NetworkConfig.defaults(), SEARCH, r)) {
                List<Long> sentAt = new ArrayList<>();
                for (int s = 1; s <= 1300; s++) {
                    g.advance(Duration.ofSeconds(1));
                    ByteBuf f = g.sink().poll();
                    if (f != null) {
                        sentAt.add((long) s);
                        f.release();
                    }
                }
                long interval = r.nextLong(200, 601);
                List<Long> expected = new ArrayList<>(List.of(16L, 32L, 48L));
                for (long t = 48 + interval; t <= 1300; t += interval) {
                    expected.add(t);
                }
                assertThat(sentAt).as("intervals of %d s after the first three", interval).isEqualTo(expected);
                assertThat(counters(g).get(RaCounter.UNSOLICITED_SENT)).isEqualTo(sentAt.size());
            }
        }
    }

    @Test
    void aSolicitedAdvertisementRestartsThePeriodicTimer() {
        try (VirtualGuest g = guest()) {
            g.advance(Duration.ofSeconds(10));
            g.send(GuestFrames6.routerSolicitation());
            g.advance(Duration.ofMillis(500));
            g.expectFrame().release();          // at 10.5 s
            g.advance(Duration.ofSeconds(15));
            g.expectNothing();                  // not at 16 s: the timer started again at 10.5
            g.advance(Duration.ofSeconds(1));
            g.expectFrame().release();          // at 26.5 s
        }
    }

    @Test
    void nothingIsSentWhileNoGuestIsAttached() {
        try (VirtualGuest g = guest()) {
            g.send(GuestFrames6.routerSolicitation());
            g.network().detach();
            g.advance(Duration.ofHours(1));
            assertThat(g.sink().poll()).isNull();
            assertThat(counters(g).get(RaCounter.UNSOLICITED_SENT) + counters(g).get(RaCounter.SOLICITED_SENT))
                    .isZero();
            assertThat(g.network().stats().drops().get(DropReason.NO_TRANSPORT)).isZero();
            g.network().attach(g.sink());
            g.advance(Duration.ofSeconds(16));
            g.expectFrame().release();
        }
    }

    @Test
    void invalidSolicitationsAreDroppedAndCounted() {
        try (VirtualGuest g = guest()) {
            byte[] sll = {0, 0, 0, 0, 1, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56};
            g.send(solicitation(GUEST6_LL, ALL_ROUTERS, 64, 0, new byte[4]));            // forwarded
            g.send(solicitation(GUEST6_LL, ALL_ROUTERS, 255, 1, new byte[4]));           // code 1
            g.send(solicitation(GUEST6_LL, ALL_ROUTERS, 255, 0, new byte[] {0, 0, 0, 0, 1, 0, 0, 0}));  // length 0
            g.send(solicitation(GUEST6_LL, ALL_ROUTERS, 255, 0, new byte[] {0, 0, 0, 0, 1, 2, 0, 0}));  // past the end
            g.send(solicitation(GUEST6_LL, ALL_ROUTERS, 255, 0, new byte[] {0, 0, 0, 0, 1}));  // half a header
            g.send(solicitation(IpAddress.V6_ANY, ALL_ROUTERS, 255, 0, sll));            // :: with a link-layer address
            g.advance(Duration.ofSeconds(1));
            g.expectNothing();
            Counters<RaCounter> c = counters(g);
            assertThat(c.get(RaCounter.INVALID_HOP_LIMIT)).isEqualTo(1);
            assertThat(c.get(RaCounter.INVALID_CODE)).isEqualTo(1);
            assertThat(c.get(RaCounter.INVALID_OPTIONS)).isEqualTo(3);
            assertThat(c.get(RaCounter.UNSPECIFIED_SOURCE_WITH_LINK_LAYER)).isEqualTo(1);
            assertThat(c.get(RaCounter.SOLICITATIONS)).isZero();
        }
    }

    @Test
    void solicitationsToAnotherAddressAreNotTaken() {
        try (VirtualGuest g = guest()) {
            g.send(solicitation(GUEST6_LL, IpAddress.parse("fec0::99"), 255, 0, new byte[4]));
            g.send(solicitation(GUEST6_LL, ALL_NODES, 255, 0, new byte[4]));
            g.advance(Duration.ofSeconds(1));
            g.expectNothing();
            assertThat(counters(g).total()).isZero();
            assertThat(g.network().stats().drops().get(DropReason.ICMPV6_UNSUPPORTED)).isEqualTo(1);
        }
    }

    @Test
    void restrictOnAdvertisesThePrefixButNoRouterAndNoDns() throws Exception {
        try (VirtualGuest g = guest(NetworkConfig.builder().restrict(true).build(), SEARCH, FixedRandom.largest())) {
            g.send(GuestFrames6.routerSolicitation());
            g.advance(Duration.ofMillis(500));
            ReceivedAdvertisement ra = ReceivedAdvertisement.decode(g.expectFrame());
            assertThat(ra.routerLifetime()).isZero();
            assertThat(ra.prefix()).isEqualTo("fec0:0:0:0:0:0:0:0");
            assertThat(ra.autonomous()).isTrue();
            assertThat(ra.optionCounts()).isEqualTo(Map.of(1, 1, 3, 1, 5, 1));
        }
    }

    @Test
    void theMtuOptionCarriesTheLinkMtuAndIsLeftOutBelowIpv6sMinimum() throws Exception {
        try (VirtualGuest g = guest(NetworkConfig.builder().mtu(65520).ipv6Net("fd00:1:2:3::/64").build(), SEARCH,
                FixedRandom.largest())) {
            g.send(GuestFrames6.routerSolicitation());
            g.advance(Duration.ofMillis(500));
            ReceivedAdvertisement ra = ReceivedAdvertisement.decode(g.expectFrame());
            assertThat(ra.mtu()).isEqualTo(65520);
            assertThat(ra.prefix()).isEqualTo("fd00:1:2:3:0:0:0:0");
            assertThat(ra.rdnss()).containsExactly("fd00:1:2:3:0:0:0:3");
        }
        try (VirtualGuest g = guest(NetworkConfig.builder().mtu(1000).build(), SEARCH, FixedRandom.largest())) {
            assertThat(advertisementOf(g).optionCounts()).doesNotContainKey(5);
        }
    }

    @Test
    void searchDomainsThatDoNotFitTheOptionAreLeftOutAndCounted() throws Exception {
        DhcpConfig.Builder many = DhcpConfig.builder();
        for (int i = 0; i < 40; i++) {
            many.addDnsSearch("d" + i + "." + "x".repeat(60) + ".example");
        }
        try (VirtualGuest g = guest(NetworkConfig.defaults(), many.build(), FixedRandom.largest())) {
            ReceivedAdvertisement ra = advertisementOf(g);
            // 73 bytes a name; the advertisement must fit 1500 - 40 bytes.
            assertThat(ra.dnssl()).hasSize((1500 - 40 - 16 - 8 - 8 - 32 - 24 - 8) / 73);
            assertThat(ra.checksumValid()).isTrue();
            assertThat(ra.dnssl().get(0)).startsWith("d0.");
            assertThat(counters(g).get(RaCounter.SEARCH_DOMAINS_LEFT_OUT)).isEqualTo(40 - ra.dnssl().size());
        }
    }

    @Test
    void withoutSearchDomainsThereIsNoDnsslOption() throws Exception {
        try (VirtualGuest g = guest(NetworkConfig.defaults(), DhcpConfig.defaults(), FixedRandom.largest())) {
            assertThat(advertisementOf(g).optionCounts()).isEqualTo(Map.of(1, 1, 3, 1, 5, 1, 25, 1));
        }
    }

    private static ReceivedAdvertisement advertisementOf(VirtualGuest g) throws Exception {
        g.send(GuestFrames6.routerSolicitation());
        g.advance(Duration.ofMillis(500));
        return ReceivedAdvertisement.decode(g.expectFrame());
    }
}
