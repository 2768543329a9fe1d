package dev.jslirp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.guest.NicModel;
import io.netty.buffer.PooledByteBufAllocator;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The comparison's checks against jslirp, in process: one {@link InProcessJslirp} per guest
 * card, all on one event loop, attached with {@code -netdev stream} over unix sockets; plus
 * what only jslirp does (local DNS names, MTU option, counters, lease table).
 *
 * <p>Expected differences from libslirp, each explained at its method.
 */
class JslirpUserNetworkTest extends UserNetworkComparison {
    /** A jslirp-only card: {@code --mtu 1400}. */
    static final UserOptions SMALL_MTU = UserOptions.DEFAULTS.withMtu(1400);
    /** A {@code --dns-record} every jslirp network here answers locally. */
    static final String RECORD_NAME = "db.e2e.internal";
    static final String RECORD_ADDRESS = "10.0.2.77";
    /**
     * Drops the core may count while a real guest runs these tests, and why. Anything else
     * counted is a bug (or a new guest behaviour someone must look at).
     */
    static final Set<String> EXPECTED_DROPS = Set.of(
            // The guest kernel's MLD reports, sent on every IPv6 link. (Its router solicitations
            // are answered by the router advertisement service, so none shows up here.)
            "MLD_IGNORED",
            // arping and ping to 10.0.2.99, which nobody holds.
            "ARP_NOT_FOR_US",
            // The guest's own ICMP errors about what jslirp sent (e.g. port unreachable for
            // traceroute's probes answered by the gateway): not acted on, as in libslirp.
            "ICMP_UNSUPPORTED");

    private InProcessNetworks jslirp;
    /** The networks by card id (a view of jslirp's). */
    private Map<String, InProcessJslirp> networks = Map.of();
    private E2eDnsServer upstream;

    @Override
    void startBackend() {
        jslirp = InProcessNetworks.start(DNS_ANSWERS);
        networks = jslirp.all();
        upstream = jslirp.upstream();
    }

    @Override
    String netdev(String id, UserOptions options) {
        return jslirp.netdev(id, options, dns -> dns.addRecord(RECORD_NAME, Ipv4Address.parse(RECORD_ADDRESS)));
    }

    @Override
    List<GuestNic> additionalNics() {
        return List.of(new GuestNic("smallmtu", NicModel.VIRTIO_NET_PCI, GuestNic.mac(4), netdev("smallmtu", SMALL_MTU)));
    }

    @Override
    String qemuBinary() {
        return null;
    }

    @Override
    List<E2eDnsServer.Query> upstreamQueries() {
        return upstream.received();
    }

    @Override
    void stopBackend() {
        if (jslirp != null) {
            jslirp.close();
        }
    }

    @Override
    int hostLoopbackDnsPort() {
        return upstream.address().getPort();
    }

    /**
     * 10.0.2.2 at hop 1: the gateway address is the probe's destination, so TTL 1 is enough, and
     * the host's refusal comes back as port unreachable from 10.0.2.2, which ends the trace.
     */
    @Override
    List<String> expectedTracerouteHops() {
        return List.of("10.0.2.2");
    }

    InProcessJslirp main() {
        return networks.get("main");
    }

    // ------------------------------------------------------------------ expected differences

    /**
     * 64: jslirp's echo replies start with a fresh TTL, the Linux default (RFC 1700's
     * recommendation); libslirp's icmp_reflect() sends MAXTTL, 255.
     */
    @Override
    int expectedEchoReplyTtl() {
        return 64;
    }

    /**
     * false: jslirp addresses replies per RFC 2131 section 4.1 — udhcpc does not set the
     * BROADCAST flag, so OFFER and ACK go unicast to yiaddr at chaddr; libslirp broadcasts all.
     */
    @Override
    boolean expectedDhcpRepliesBroadcast() {
        return false;
    }

    /** 1500: jslirp always sends option 26 with its link MTU; libslirp sends none. */
    @Override
    String expectedLeaseMtu() {
        return "1500";
    }

    /**
     * RFC 2131 4.1 sends the ACK to a renewing client by unicast. busybox udhcpc (1.35)
     * renews from a socket bound to 10.0.2.15:68 and connected to 10.0.2.2:67 that it
     * closes right after the write; jslirp answers in microseconds, so a unicast ACK lands
     * on that socket and is lost with it (seen here under TCG), and udhcpc only completes
     * after its retry timeout. jslirp's DHCP server therefore broadcasts replies to clients
     * that have an address (as libslirp broadcasts everything): a renewal is exactly
     * REQUEST + ACK.
     */
    @Override
    Set<Integer> expectedRenewalMessageCounts() {
        return Set.of(2);
    }

    @Override
    void checkRenewalReplies(List<DhcpCapture.Message> replies) {
        assertThat(replies).allSatisfy(ack -> assertThat(ack.broadcast()).as("%s", ack).isTrue());
    }

    /**
     * Client identifier echoed (61, RFC 6842), renewal and rebinding times (58, 59: RFC 2131
     * section 4.4.5), broadcast address (28) and interface MTU (26).
     */
    @Override
    Set<Integer> expectedExtraAckOptions() {
        return Set.of(61, 58, 59, 28, 26);
    }

    @Override
    boolean expectedRestrictedGatewayAnswersPing() {
        return true;
    }

    // ------------------------------------------------------------------ jslirp's own checks

    /** Every network's core counted only the drops a real guest is expected to cause. */
    @AfterEach
    void onlyExpectedDrops() {
        for (Map.Entry<String, InProcessJslirp> n : networks.entrySet()) {
            assertThat(n.getValue().drops().keySet()).as("drops of network %s: %s", n.getKey(), n.getValue().counters())
                    .isSubsetOf(EXPECTED_DROPS);
            assertThat(n.getValue().counter("transport.DISCONNECTS")).as("network %s", n.getKey()).isZero();
        }
    }

    @Test
    void everyFrameFromTheGuestIsHandledOrCountedAsDropped() {
        sh.configureStatically(mainIf, "10.0.2.15");
        sh.ping(mainIf, "10.0.2.2", 1, 56);

        for (InProcessJslirp n : networks.values()) {
            Map<String, Long> c = n.counters();
            long framesIn = c.getOrDefault("traffic.FRAMES_FROM_GUEST", 0L);
            assertThat(framesIn).as("%s", c).isPositive();
            assertThat(n.network().stats().framesAccountedFor()).as("%s", c).isGreaterThanOrEqualTo(framesIn);
            assertThat(c).as("the guest's MLD reports are counted, not lost").containsKey("drop.MLD_IGNORED");
            assertThat(c.getOrDefault("transport.CONNECTIONS", 0L)).isEqualTo(1);
        }
    }

    @Override
    @Test
    void sigusr1RenewsWithAUnicastRequestThatIsAcked() {
        long requests = main().counter("dhcp.REQUEST");
        long acks = main().counter("dhcp.ACK_SENT");
        super.sigusr1RenewsWithAUnicastRequestThatIsAcked();
        // The daemon's first lease (REQUEST + ACK) and the renewal (REQUEST + ACK): every
        // REQUEST got its ACK, and udhcpc never had to ask again.
        long renewalRequests = main().counter("dhcp.REQUEST") - requests;
        assertThat(renewalRequests).isEqualTo(2L);
        assertThat(main().counter("dhcp.ACK_SENT") - acks).isEqualTo(renewalRequests);
        assertThat(main().counter("dhcp.NAK_SENT")).isZero();
    }

    @Override
    void afterRelease() {
        assertThat(InProcessJslirp.await(Duration.ofSeconds(5), () -> main().counter("dhcp.LEASE_RELEASED") > 0))
                .as("%s", main().counters()).isTrue();
        assertThat(main().activeLeases()).noneMatch(l -> l.startsWith("10.0.2.15 "));
    }

    @Test
    void leaseTableHoldsTheGuestsBoundLease() {
        sh.dhcp(mainIf);

        assertThat(main().activeLeases()).contains("10.0.2.15 BOUND " + GuestNic.mac(1));
    }

    @Test
    void mtuOptionReachesTheGuestAndBoundsItsFrames() {
        String iface = sh.interfaceWithMac(GuestNic.mac(4));
        Map<String, String> lease = sh.dhcp(iface);

        assertThat(lease).containsEntry("mtu", "1400");
        assertThat(guest.runOk("cat /sys/class/net/" + iface + "/mtu")).isEqualTo("1400\n");
        InProcessJslirp net = networks.get("smallmtu");
        long fragmentedBefore = net.counter("traffic.FRAGMENTED");
        long reassembledBefore = net.counter("traffic.REASSEMBLED");
        GuestShell.Ping ping = sh.ping(iface, "10.0.2.2", 2, 1400);
        assertThat(ping.allAnswered()).as(ping.output()).isTrue();
        assertThat(net.counter("traffic.FRAGMENTED")).as("replies over 1400 bytes are fragmented")
                .isGreaterThanOrEqualTo(fragmentedBefore + 2);
        // 1428-byte requests: the guest keeps to the MTU DHCP gave it and fragments them.
        assertThat(net.counter("traffic.REASSEMBLED")).as("requests over 1400 bytes came in fragments")
                .isGreaterThanOrEqualTo(reassembledBefore + 2);
    }

    @Test
    void localNamesAreAnsweredWithoutAskingUpstream() {
        sh.dhcp(mainIf);
        int before = upstream.received().size();
        long local = main().counter("dns.ANSWERED_LOCALLY");

        assertThat(sh.nslookup("host.jslirp.internal", null).addresses()).containsExactly("10.0.2.2");
        assertThat(sh.nslookup(RECORD_NAME, null).addresses()).containsExactly(RECORD_ADDRESS);
        // The host name has an AAAA record too (fec0::2) and the guest has its SLAAC address:
        // busybox ping takes the IPv6 address where it has one; either answers.
        GuestShell.Ping ping = sh.ping("host.jslirp.internal", 1);
        assertThat(ping.output()).containsAnyOf("(10.0.2.2)", "(fec0::2)");
        assertThat(ping.allAnswered()).as(ping.output()).isTrue();

        assertThat(main().counter("dns.ANSWERED_LOCALLY")).isGreaterThanOrEqualTo(local + 3);
        // Answered locally: the upstream, in this JVM and answering in order, saw nothing.
        assertThat(newQueries(before, q -> true)).extracting(E2eDnsServer.Query::name)
                .doesNotContain("host.jslirp.internal.", RECORD_NAME + ".");
    }

    @Override
    @Test
    void guestResolverAsksTheDhcpDnsAddressWhichForwardsUpstream() {
        long forwarded = main().counter("dns.FORWARDED");
        long relayed = main().counter("dns.ANSWERS_RELAYED");
        super.guestResolverAsksTheDhcpDnsAddressWhichForwardsUpstream();
        assertThat(main().counter("dns.FORWARDED")).isGreaterThan(forwarded);
        assertThat(main().counter("dns.ANSWERS_RELAYED")).isGreaterThan(relayed);
        assertThat(main().counter("dns.UPSTREAM_TIMEOUTS")).isZero();
    }

    private long directMemoryBeforeFlood;

    @Override
    @Test
    void pingFloodAndHugePingsLeaveTheNetworkWorking() {
        directMemoryBeforeFlood = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
        long echoes = main().counter("traffic.ECHO_REPLIES");
        super.pingFloodAndHugePingsLeaveTheNetworkWorking();
        assertThat(main().counter("traffic.ECHO_REPLIES") - echoes).isGreaterThan(200);
    }

    @Override
    void afterFlood() {
        InProcessJslirp net = main();
        Map<String, Long> c = net.counters();
        assertThat(c.getOrDefault("traffic.REASSEMBLED", 0L)).as("%s", c).isGreaterThanOrEqualTo(3);
        assertThat(c.getOrDefault("traffic.FRAGMENTED", 0L)).as("%s", c).isGreaterThanOrEqualTo(3);
        assertThat(c).as("nothing refused or lost").doesNotContainKeys("drop.IPV4_FRAGMENT_LIMIT",
                "drop.IPV4_FRAGMENT_TIMEOUT", "drop.IPV4_FRAGMENT_INVALID", "transport.QUEUE_FULL");
        // Reassembly holds nothing once every datagram completed, and the pool did not grow
        // by more than a few chunks' worth (an unbounded queue would hold megabytes).
        int held = net.network().eventLoop().submit(() -> net.network().guest().reassemblyBytesHeld())
                .syncUninterruptibly().getNow();
        assertThat(held).isZero();
        long grown = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory() - directMemoryBeforeFlood;
        assertThat(grown).as("direct memory growth in bytes").isLessThan(16L << 20);
    }
}
