package dev.jslirp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.guest.NicModel;
import dev.jslirp.guest.QemuGuest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The checks a real Linux guest runs against a user-mode network, written once and run against
 * both jslirp ({@link JslirpUserNetworkTest}) and QEMU's own {@code -netdev user}, libslirp
 * ({@link LibslirpUserNetworkTest}), with the same options. Where the two are meant to differ,
 * the subclass states its expectation through the {@code expected...} methods, each explained
 * there; everything else must match.
 *
 * <h2>One boot, several networks</h2>
 * <p>The guest has one card per option set, each on a network of its own (for jslirp, one
 * in-process network per card; for libslirp, one {@code -netdev user} per card):
 * <ul>
 *   <li>{@link #MAIN} (virtio-net, recorded in a pcap): host name, domain name and a search list
 *       of three domains;</li>
 *   <li>{@link #RESTRICTED} (e1000): {@code restrict=on};</li>
 *   <li>{@link #OTHER_NET} (e1000): {@code net=192.168.76.0/24}.</li>
 * </ul>
 * Two cards share 10.0.2.0/24, so every test starts from unconfigured interfaces
 * ({@link GuestShell#reset}) and binds its pings to one interface.
 *
 * <h2>DNS</h2>
 * <p>Both networks forward the guest's queries to an {@link E2eDnsServer} the test started:
 * jslirp as its configured upstream on 127.0.0.1, libslirp through the resolv.conf of the
 * network namespace it runs in ({@link NetnsSandbox}). It knows {@link #DNS_ANSWERS}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class UserNetworkComparison {
    /** The main card's options: everything DHCP can say about names. */
    static final UserOptions MAIN = UserOptions.DEFAULTS.withHostname("e2e-guest").withDomainName("e2e.test")
            .withDnsSearch("a.e2e.test", "b.e2e.test", "c.e2e.example");
    /** {@code restrict=on}. */
    static final UserOptions RESTRICTED = UserOptions.DEFAULTS.restricted();
    /** A network other than QEMU's default. */
    static final UserOptions OTHER_NET = UserOptions.DEFAULTS.withNet("192.168.76.0/24");
    /**
     * What the upstream DNS server knows. {@code svc} exists only under the second search
     * domain, so resolving the bare name proves the guest walked the DHCP search list.
     */
    static final Map<String, String> DNS_ANSWERS = Map.of(
            "www.e2e.test", "10.0.2.2",
            "svc.b.e2e.test", "10.0.2.2");
    static final Duration EVENT_TIMEOUT = Duration.ofSeconds(20);
    /**
     * What both servers put in an ACK for {@link #MAIN} (RFC 2132 codes): message type (53),
     * server identifier (54), subnet mask (1), router (3), DNS (6), lease time (51), host name
     * (12), domain name (15) and the search list (119, RFC 3397).
     */
    static final Set<Integer> COMMON_ACK_OPTIONS = Set.of(53, 54, 1, 3, 6, 51, 12, 15, 119);

    QemuGuest guest;
    GuestShell sh;
    Path pcap;
    String mainIf;
    String restrictedIf;
    String otherIf;
    final List<String> allIfs = new ArrayList<>();

    // ------------------------------------------------------------------ what a backend provides

    /** Starts whatever must run before QEMU (networks, DNS server, namespace). */
    abstract void startBackend() throws Exception;

    /** The {@code -netdev} value for a card with {@code options}, netdev id {@code id}. */
    abstract String netdev(String id, UserOptions options);

    /** The QEMU executable (e.g. a wrapper entering a namespace), or null for the default. */
    abstract String qemuBinary();

    /** Cards beyond the three shared ones (jslirp-only options); called after {@link #startBackend}. */
    List<GuestNic> additionalNics() {
        return List.of();
    }

    /** The queries the test's upstream DNS server received so far. */
    abstract List<E2eDnsServer.Query> upstreamQueries();

    /** Stops what {@link #startBackend} started; QEMU is gone already. */
    abstract void stopBackend();

    // ------------------------------------------------------------------ expected differences

    /** The TTL of the echo replies from the gateway and DNS addresses. */
    abstract int expectedEchoReplyTtl();

    /** True if the server sends its OFFER and ACK to the Ethernet broadcast address. */
    abstract boolean expectedDhcpRepliesBroadcast();

    /** The MTU the lease carries (option 26), or null if the server sends none. */
    abstract String expectedLeaseMtu();

    /**
     * The options an ACK carries beyond those both servers send ({@link #COMMON_ACK_OPTIONS}),
     * by code.
     */
    abstract Set<Integer> expectedExtraAckOptions();

    /** True if the gateway answers pings on a {@code restrict=on} network. */
    abstract boolean expectedRestrictedGatewayAnswersPing();

    // ------------------------------------------------------------------ lifecycle

    @BeforeAll
    void boot() throws Exception {
        startBackend();
        // Kept beside the console transcripts for Wireshark when a check fails.
        Path logs = Path.of(System.getProperty("jslirp.guest.logDir", "target/guest-logs"));
        Files.createDirectories(logs);
        pcap = logs.resolve(getClass().getSimpleName() + "-main.pcap").toAbsolutePath();
        Files.deleteIfExists(pcap);
        List<GuestNic> nics = new ArrayList<>(List.of(
                new GuestNic("main", NicModel.VIRTIO_NET_PCI, GuestNic.mac(1), netdev("main", MAIN)),
                new GuestNic("restricted", NicModel.E1000, GuestNic.mac(2), netdev("restricted", RESTRICTED)),
                new GuestNic("othernet", NicModel.E1000, GuestNic.mac(3), netdev("othernet", OTHER_NET))));
        nics.addAll(additionalNics());
        guest = GuestNic.boot(getClass().getSimpleName(), nics, pcap, qemuBinary());
        sh = new GuestShell(guest);
        System.out.printf("%s: booted in %d ms (%s), transcript %s%n", getClass().getSimpleName(),
                guest.bootDuration().toMillis(), guest.accelerator(), guest.transcriptPath());
        mainIf = sh.interfaceWithMac(GuestNic.mac(1));
        restrictedIf = sh.interfaceWithMac(GuestNic.mac(2));
        otherIf = sh.interfaceWithMac(GuestNic.mac(3));
        for (GuestNic n : nics) {
            allIfs.add(sh.interfaceWithMac(n.mac()));
        }
    }

    @AfterAll
    void shutDown() throws Exception {
        try {
            GuestNic.stop(guest);
        } finally {
            stopBackend();
        }
    }

    @BeforeEach
    void unconfigureInterfaces() {
        sh.reset(allIfs);
    }

    // ------------------------------------------------------------------ link layer and ICMP

    @Test
    void staticGuestResolvesGatewayAndDnsMacsByArp() {
        sh.configureStatically(mainIf, "10.0.2.15");

        assertThat(sh.arpingMac(mainIf, "10.0.2.2")).isEqualTo("52:55:0a:00:02:02");
        assertThat(sh.arpingMac(mainIf, "10.0.2.3")).isEqualTo("52:55:0a:00:02:03");
        // Nobody holds .99: neither network answers ARP for addresses it does not own.
        assertThat(sh.arpingMac(mainIf, "10.0.2.99")).isNull();
    }

    @Test
    void staticGuestPingsGatewayAndDnsAddress() {
        sh.configureStatically(mainIf, "10.0.2.15");

        for (String address : List.of("10.0.2.2", "10.0.2.3")) {
            GuestShell.Ping ping = sh.ping(mainIf, address, 3, 56);
            assertThat(ping.allAnswered()).as(ping.output()).isTrue();
            assertThat(ping.ttls()).as("TTL of %s's echo replies", address).containsOnly(expectedEchoReplyTtl());
        }
        assertThat(guest.runOk("ip neigh show 10.0.2.2 dev " + mainIf)).contains("lladdr 52:55:0a:00:02:02");
    }

    @Test
    void pingLargerThanTheMtuIsFragmentedAndReassembledBothWays() {
        sh.configureStatically(mainIf, "10.0.2.15");

        GuestShell.Ping ping = sh.ping(mainIf, "10.0.2.2", 2, 4000);
        assertThat(ping.allAnswered()).as(ping.output()).isTrue();
        assertThat(ping.output()).contains("4008 bytes from 10.0.2.2");
    }

    @Test
    void pingToAnAddressNobodyHoldsGetsNoReply() {
        sh.configureStatically(mainIf, "10.0.2.15");

        GuestShell.Ping ping = sh.ping(mainIf, "10.0.2.99", 1, 56);
        assertThat(ping.received()).as(ping.output()).isZero();
    }

    // ------------------------------------------------------------------ DHCP

    @Test
    void dhcpLeaseCarriesEveryConfiguredOption() {
        Map<String, String> lease = sh.dhcp(mainIf);

        assertThat(lease).containsEntry("ip", "10.0.2.15")
                .containsEntry("subnet", "255.255.255.0")
                .containsEntry("router", "10.0.2.2")
                .containsEntry("dns", "10.0.2.3")
                .containsEntry("serverid", "10.0.2.2")
                .containsEntry("lease", "86400")
                .containsEntry("hostname", "e2e-guest")
                .containsEntry("domain", "e2e.test")
                .containsEntry("search", "a.e2e.test b.e2e.test c.e2e.example");
        assertThat(lease.get("mtu")).as("option 26").isEqualTo(expectedLeaseMtu());
        assertThat(sh.dhcpEvents(mainIf)).containsExactly("deconfig", "bound 10.0.2.15");
        assertThat(guest.runOk("ip -4 addr show dev " + mainIf)).contains("inet 10.0.2.15/24");
        assertThat(guest.runOk("ip route")).contains("default via 10.0.2.2 dev " + mainIf);
        assertThat(sh.resolvConf()).isEqualTo("search a.e2e.test b.e2e.test c.e2e.example\nnameserver 10.0.2.3\n");
    }

    @Test
    void dhcpRepliesAreAddressedAsEachServerDoes() {
        int before = DhcpCapture.read(pcap).size();
        sh.dhcp(mainIf);

        List<DhcpCapture.Message> exchange = awaitCaptured(before, "ACK");
        List<String> types = exchange.stream().map(DhcpCapture.Message::type).toList();
        assertThat(types).as("%s", exchange).containsExactly("DISCOVER", "OFFER", "REQUEST", "ACK");
        for (DhcpCapture.Message m : exchange) {
            if (m.fromServer()) {
                assertThat(m.srcIp()).as("%s", m).isEqualTo("10.0.2.2");
                assertThat(m.broadcast()).as("%s", m).isEqualTo(expectedDhcpRepliesBroadcast());
                assertThat(m.dstIp()).as("%s", m).isEqualTo(expectedDhcpRepliesBroadcast() ? "255.255.255.255" : "10.0.2.15");
            } else {
                assertThat(m.broadcast()).as("client messages while unconfigured are broadcast: %s", m).isTrue();
            }
        }
        Set<Integer> expected = new java.util.HashSet<>(COMMON_ACK_OPTIONS);
        expected.addAll(expectedExtraAckOptions());
        assertThat(exchange.get(3).options().keySet()).as("options of %s", exchange.get(3)).isEqualTo(expected);
    }

    @Test
    void clientAskingForBroadcastRepliesGetsThem() {
        int before = DhcpCapture.read(pcap).size();
        assertThat(sh.dhcp(mainIf, "-B")).containsEntry("ip", "10.0.2.15");

        List<DhcpCapture.Message> exchange = awaitCaptured(before, "ACK");
        // RFC 2131 section 4.1: the BROADCAST bit makes the server broadcast OFFER and ACK.
        assertThat(exchange).filteredOn(DhcpCapture.Message::fromServer).hasSize(2)
                .allSatisfy(m -> assertThat(m.broadcast()).as("%s", m).isTrue())
                .allSatisfy(m -> assertThat(m.dstIp()).as("%s", m).isEqualTo("255.255.255.255"));
    }

    @Test
    void sigusr1RenewsWithAUnicastRequestThatIsAcked() {
        sh.startDhcpDaemon(mainIf);
        int before = DhcpCapture.read(pcap).size();

        sh.signalDhcpDaemon(mainIf, "USR1");

        List<String> events = sh.awaitDhcpEvent(mainIf, "renew", EVENT_TIMEOUT);
        assertThat(events).containsExactly("deconfig", "bound 10.0.2.15", "renew 10.0.2.15");
        List<DhcpCapture.Message> renewal = awaitCaptured(before, "ACK");
        DhcpCapture.Message request = renewal.get(0);
        assertThat(request.type()).as("%s", renewal).isEqualTo("REQUEST");
        assertThat(request.dstIp()).as("RENEWING is unicast to the server, RFC 2131 4.4.5").isEqualTo("10.0.2.2");
        assertThat(request.dstMac()).isEqualTo("52:55:0a:00:02:02");
        assertThat(renewal).extracting(DhcpCapture.Message::type).containsOnly("REQUEST", "ACK");
        assertThat(renewal.size()).as("%s", renewal).isIn(expectedRenewalMessageCounts());
        checkRenewalReplies(renewal.stream().filter(DhcpCapture.Message::fromServer).toList());
    }

    /** How many DHCP messages a SIGUSR1 renewal may take. */
    abstract Set<Integer> expectedRenewalMessageCounts();

    /** Checks how the server addressed its replies to the renewal. */
    void checkRenewalReplies(List<DhcpCapture.Message> replies) {
        assertThat(replies).allSatisfy(ack -> assertThat(ack.broadcast()).as("%s", ack)
                .isEqualTo(expectedDhcpRepliesBroadcast()));
    }

    @Test
    void sigusr2ReleasesTheLeaseAndTheGuestGetsTheSameAddressAgain() {
        sh.startDhcpDaemon(mainIf);
        int before = DhcpCapture.read(pcap).size();

        sh.signalDhcpDaemon(mainIf, "USR2");

        assertThat(sh.awaitDhcpEvent(mainIf, "deconfig", EVENT_TIMEOUT)).endsWith("deconfig");
        List<DhcpCapture.Message> release = awaitCaptured(before, "RELEASE");
        assertThat(release).extracting(DhcpCapture.Message::type).containsExactly("RELEASE");
        assertThat(release.get(0).dstIp()).as("RELEASE is unicast to the server").isEqualTo("10.0.2.2");
        assertThat(guest.runOk("ip -4 addr show dev " + mainIf)).doesNotContain("inet ");
        afterRelease();

        sh.stopDhcpDaemon(mainIf);
        assertThat(sh.dhcp(mainIf)).containsEntry("ip", "10.0.2.15");
    }

    /** Checks a backend can make once the guest released its lease (jslirp: the lease table). */
    void afterRelease() {
    }

    @Test
    void restrictOnLeavesRouterAndDnsOutOfTheLease() {
        Map<String, String> lease = sh.dhcp(restrictedIf);

        assertThat(lease).containsEntry("ip", "10.0.2.15").containsEntry("subnet", "255.255.255.0")
                .containsEntry("serverid", "10.0.2.2")
                .doesNotContainKey("router").doesNotContainKey("dns");
        assertThat(guest.runOk("ip route")).doesNotContain("default");
        assertThat(sh.arpingMac(restrictedIf, "10.0.2.2")).isEqualTo("52:55:0a:00:02:02");
        GuestShell.Ping ping = sh.ping(restrictedIf, "10.0.2.2", 1, 56);
        assertThat(ping.allAnswered()).as(ping.output()).isEqualTo(expectedRestrictedGatewayAnswersPing());
    }

    @Test
    void otherNetworkHandsOutAndAnswersItsOwnAddresses() {
        Map<String, String> lease = sh.dhcp(otherIf);

        assertThat(lease).containsEntry("ip", "192.168.76.15")
                .containsEntry("subnet", "255.255.255.0")
                .containsEntry("router", "192.168.76.2")
                .containsEntry("dns", "192.168.76.3")
                .containsEntry("serverid", "192.168.76.2");
        assertThat(sh.arpingMac(otherIf, "192.168.76.2")).isEqualTo(OTHER_NET.gatewayMac()).isEqualTo("52:55:c0:a8:4c:02");
        for (String address : List.of("192.168.76.2", "192.168.76.3")) {
            GuestShell.Ping ping = sh.ping(otherIf, address, 2, 56);
            assertThat(ping.allAnswered()).as(ping.output()).isTrue();
        }
    }

    // ------------------------------------------------------------------ DNS

    @Test
    void guestResolverAsksTheDhcpDnsAddressWhichForwardsUpstream() {
        sh.dhcp(mainIf);
        int before = upstreamQueries().size();

        GuestShell.Lookup lookup = sh.nslookup("www.e2e.test", null);

        assertThat(lookup.addresses()).as(lookup.output()).containsExactly("10.0.2.2");
        assertThat(lookup.output()).contains("Server:").contains("10.0.2.3");
        E2eDnsServer.Query expected = new E2eDnsServer.Query("udp", "www.e2e.test.", "A");
        assertThat(newQueries(before, q -> q.contains(expected))).contains(expected);
    }

    @Test
    void unknownNameIsNxdomainFromUpstream() {
        sh.dhcp(mainIf);
        int before = upstreamQueries().size();

        GuestShell.Lookup lookup = sh.nslookup("missing.e2e.test", null);

        assertThat(lookup.ok()).as(lookup.output()).isFalse();
        assertThat(lookup.output()).containsIgnoringCase("NXDOMAIN");
        assertThat(newQueries(before, q -> names(q).contains("missing.e2e.test."))).extracting(E2eDnsServer.Query::name)
                .contains("missing.e2e.test.");
    }

    @Test
    void bareNameResolvesThroughTheSearchListThenIsPinged() {
        sh.dhcp(mainIf);
        int before = upstreamQueries().size();

        // glibc's resolver in busybox ping: "svc" has fewer dots than ndots:1, so the search
        // list comes first; only the second domain knows it. (ping, not wget, stands for the
        // applications: Debian 12's busybox-static wget crashes before it resolves anything.)
        GuestShell.Ping ping = sh.ping("svc", 1);

        assertThat(ping.output()).contains("PING svc (10.0.2.2)");
        assertThat(ping.allAnswered()).as(ping.output()).isTrue();
        List<String> asked = names(newQueries(before, q -> names(q).contains("svc.b.e2e.test.")));
        assertThat(asked).contains("svc.a.e2e.test.", "svc.b.e2e.test.");
        assertThat(asked.indexOf("svc.a.e2e.test.")).isLessThan(asked.indexOf("svc.b.e2e.test."));
    }

    // ------------------------------------------------------------------ UDP to the host

    @Test
    void guestUdpToTheGatewayReachesAServiceOnTheHostLoopback() {
        sh.dhcp(mainIf);
        int before = upstreamQueries().size();

        // busybox nslookup takes SERVER:PORT: a plain UDP exchange with the test's DNS server,
        // which listens on the loopback of the host the network runs on.
        GuestShell.Lookup lookup = sh.nslookup("www.e2e.test", "10.0.2.2:" + hostLoopbackDnsPort());

        assertThat(lookup.addresses()).as(lookup.output()).containsExactly("10.0.2.2");
        E2eDnsServer.Query expected = new E2eDnsServer.Query("udp", "www.e2e.test.", "A");
        assertThat(newQueries(before, q -> q.contains(expected))).contains(expected);
    }

    @Test
    void tracerouteToTheGatewayEndsAsEachNetworkAnswers() {
        sh.dhcp(mainIf);

        // traceroute's probes go to UDP ports 33434+ of the gateway, closed on the host's loopback.
        String out = guest.run("traceroute -n -q 1 -w 2 -m 2 10.0.2.2", GuestShell.NET_TIMEOUT).output();

        List<String> hops = new ArrayList<>();
        Matcher m = Pattern.compile("(?m)^ ?\\d+  (\\S+)").matcher(out);
        while (m.find()) {
            hops.add(m.group(1));
        }
        assertThat(hops).as(out).isEqualTo(expectedTracerouteHops());
    }

    /**
     * What {@code traceroute -m 2 10.0.2.2} shows per hop: the address that answered, or
     * {@code *} for no answer it accepts.
     */
    abstract List<String> expectedTracerouteHops();

    /** The port on the host's 127.0.0.1 where the test's DNS server answers UDP. */
    abstract int hostLoopbackDnsPort();

    // ------------------------------------------------------------------ floods

    @Test
    void pingFloodAndHugePingsLeaveTheNetworkWorking() {
        sh.configureStatically(mainIf, "10.0.2.15");

        // busybox ping has no -f; -A sends the next request as soon as a reply arrives, and
        // four of them at once keep the link busy for the few seconds they run.
        String flood = guest.runOk("for i in 1 2 3 4; do ping -A -q -w 4 -s 1400 -I " + mainIf
                + " 10.0.2.2 > /tmp/flood.$i 2>&1 & done; wait; cat /tmp/flood.*", GuestShell.NET_TIMEOUT);
        int received = 0;
        for (String line : flood.split("\n")) {
            GuestShell.Ping p = GuestShell.parsePing(line);
            received += p.received();
        }
        assertThat(received).as(flood).isGreaterThan(200);
        GuestShell.Ping huge = sh.ping(mainIf, "10.0.2.2", 3, 65000);
        assertThat(huge.allAnswered()).as(huge.output()).isTrue();
        afterFlood();

        GuestShell.Ping after = sh.ping(mainIf, "10.0.2.2", 2, 56);
        assertThat(after.allAnswered()).as(after.output()).isTrue();
    }

    /** Checks a backend can make after the flood (jslirp: counters, memory). */
    void afterFlood() {
    }

    // ------------------------------------------------------------------ helpers

    /** The DHCP messages captured after the first {@code skip}, once one of {@code type} is among them. */
    List<DhcpCapture.Message> awaitCaptured(int skip, String type) {
        List<DhcpCapture.Message> got = List.of();
        long end = System.nanoTime() + EVENT_TIMEOUT.toNanos();
        while (System.nanoTime() - end < 0) {
            List<DhcpCapture.Message> all = DhcpCapture.read(pcap);
            got = all.subList(Math.min(skip, all.size()), all.size());
            if (got.stream().anyMatch(m -> m.type().equals(type))) {
                return got;
            }
            GuestShell.sleep(100);
        }
        throw new AssertionError("no " + type + " captured within " + EVENT_TIMEOUT + "; after " + skip + ": " + got);
    }

    /**
     * The queries the upstream server received after the first {@code before}, once
     * {@code done} holds for them (or after 5 s, for the caller's assertion to fail on): a
     * server in another process reports its queries a little after it answered them.
     */
    List<E2eDnsServer.Query> newQueries(int before, Predicate<List<E2eDnsServer.Query>> done) {
        List<E2eDnsServer.Query> got = List.of();
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        do {
            List<E2eDnsServer.Query> all = upstreamQueries();
            got = all.subList(Math.min(before, all.size()), all.size());
            if (done.test(got)) {
                break;
            }
            GuestShell.sleep(20);
        } while (System.nanoTime() - end < 0);
        return got;
    }

    static List<String> names(List<E2eDnsServer.Query> queries) {
        return queries.stream().map(E2eDnsServer.Query::name).toList();
    }
}
