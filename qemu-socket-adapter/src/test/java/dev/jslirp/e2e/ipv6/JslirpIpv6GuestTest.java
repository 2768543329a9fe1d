package dev.jslirp.e2e.ipv6;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.e2e.InProcessJslirp;
import dev.jslirp.e2e.InProcessNetworks;
import dev.jslirp.e2e.UserOptions;
import dev.jslirp.e2e.nat.HostSide;
import dev.jslirp.e2e.nat.NatShell;
import dev.jslirp.transport.IoTransport;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The IPv6 checks against jslirp running in the test JVM ({@link InProcessJslirp}), with its
 * upstream DNS server on 127.0.0.1: the guest's AAAA queries to fec0::3 go out over IPv4.
 * Each card's network also has an IPv6 port forward, {@code hostfwd=tcp:[::1]:PORT-[SLAAC
 * address]:8080}, jslirp's extension of QEMU's syntax.
 */
class JslirpIpv6GuestTest extends Ipv6GuestComparison {
    /**
     * Drops the core may count while the guest runs these tests, and why. Router solicitations
     * are answered now, so an unanswered ICMPv6 message would show as ICMPV6_UNSUPPORTED.
     */
    static final Set<String> EXPECTED_DROPS = Set.of(
            // The guest kernel's MLD reports, sent on every IPv6 link.
            "MLD_IGNORED");
    private InProcessNetworks jslirp;
    private final Map<Card, Integer> forwards = new EnumMap<>(Card.class);

    @Override
    HostSide startBackend(Map<String, String> answers) {
        jslirp = InProcessNetworks.start(answers, IoTransport.best());
        return HostSide.thisProcess();
    }

    @Override
    String netdev(Card card) {
        int port = freeIpv6LoopbackTcpPort();
        forwards.put(card, port);
        UserOptions o = card.options()
                .withHostForward("tcp:[::1]:" + port + "-[" + card.slaacAddress() + "]:" + NatShell.GUEST_HTTP_PORT);
        return jslirp.netdev(card.id(), o, dns -> { });
    }

    private static int freeIpv6LoopbackTcpPort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.bind(new java.net.InetSocketAddress(ipv6Loopback(), 0));
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    String qemuBinary() {
        return null;
    }

    @Override
    List<String> upstreamQueries() {
        return jslirp.upstream().received().stream().map(q -> q.name() + " " + q.type()).toList();
    }

    @Override
    void stopBackend() {
        if (jslirp != null) {
            jslirp.all().forEach((id, n) -> System.out.printf("%s: counters of network %s: %s%n",
                    getClass().getSimpleName(), id, n.counters()));
            jslirp.close();
        }
    }

    @Override
    OptionalInt ipv6ForwardPort(Card card) {
        return OptionalInt.of(forwards.get(card));
    }

    /**
     * {@code ok}: jslirp reassembles the guest's IPv6 fragments (three of a 4000-byte datagram
     * at MTU 1500) and fragments the host's reply (RFC 8200 section 4.5, as the datagram's
     * source on the guest's link).
     */
    @Override
    String expectedFragmentedUdpResult() {
        return "ok 4000";
    }

    /** true: {@code hostfwd=tcp:[::1]:PORT-[GUEST]:PORT} is jslirp's extension of QEMU's syntax. */
    @Override
    boolean expectedIpv6PortForwards() {
        return true;
    }

    // ------------------------------------------------------------------ jslirp's own checks

    /** Every network's core counted only the drops a real guest is expected to cause. */
    @AfterEach
    void onlyExpectedDrops() {
        for (Map.Entry<String, InProcessJslirp> n : jslirp.all().entrySet()) {
            assertThat(n.getValue().drops().keySet()).as("drops of network %s: %s", n.getKey(),
                    n.getValue().counters()).isSubsetOf(EXPECTED_DROPS);
        }
    }

    @Test
    void theGuestsSolicitationsWereAnsweredByTheRouterAdvertisementService() {
        for (Card c : Card.values()) {
            awaitSlaac(c);
            Map<String, Long> counters = jslirp.get(c.id()).counters();
            assertThat(counters.getOrDefault("ra.SOLICITATIONS", 0L)).as("%s", counters).isPositive();
            assertThat(counters.getOrDefault("ra.SOLICITED_SENT", 0L)).as("%s", counters).isPositive();
            assertThat(counters).as("nothing invalid").doesNotContainKeys("ra.INVALID_HOP_LIMIT", "ra.INVALID_CODE",
                    "ra.TRUNCATED", "ra.INVALID_OPTIONS", "ra.UNSPECIFIED_SOURCE_WITH_LINK_LAYER");
        }
    }

    @Test
    void theHostNameHasAnAaaaRecordOfTheHostAddress() {
        for (Card c : Card.values()) {
            awaitSlaac(c);
            String out = guest.run("nslookup -type=AAAA host.jslirp.internal " + c.dns(),
                    dev.jslirp.e2e.GuestShell.NET_TIMEOUT).output();
            assertThat(out).as(out).containsPattern("(?m)^Address: *" + java.util.regex.Pattern.quote(c.host()) + "$");
        }
        assertThat(upstreamQueries()).noneMatch(q -> q.startsWith("host.jslirp.internal"));
    }
}
