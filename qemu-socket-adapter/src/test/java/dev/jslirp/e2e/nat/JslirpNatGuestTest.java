package dev.jslirp.e2e.nat;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.e2e.GuestNic;
import dev.jslirp.e2e.GuestShell;
import dev.jslirp.e2e.InProcessJslirp;
import dev.jslirp.e2e.InProcessNetworks;
import dev.jslirp.e2e.UserOptions;
import dev.jslirp.guest.NicModel;
import dev.jslirp.transport.IoTransport;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The NAT checks against jslirp running in the test JVM ({@link InProcessJslirp}: one event
 * loop, the stream transport over a unix socket), so Netty's leak detector watches every buffer
 * the transfers touch; plus what only jslirp has ({@code --no-host-loopback}) and its counters.
 */
class JslirpNatGuestTest extends NatGuestComparison {
    /**
     * Drops the core may count while the guest runs these tests, and why. Anything else counted
     * is a bug, or a new guest behaviour someone must look at.
     */
    static final Set<String> EXPECTED_DROPS = Set.of(
            // The guest kernel's MLD reports, sent on every IPv6 link. (Its router solicitations
            // are answered by the router advertisement service, so none shows up here.)
            "MLD_IGNORED",
            // The guest's own ICMP errors (e.g. port unreachable for a late UDP reply after
            // udptool gave up): ICMP from the guest that is not an echo request is not acted on.
            "ICMP_UNSUPPORTED",
            // traceroute's first probe (TTL 1), answered with time exceeded from the gateway.
            "IPV4_TTL_EXPIRED");
    private InProcessNetworks jslirp;

    @Override
    HostSide startBackend() {
        // The guest resolves no names here; an upstream is still required, and it is the test's.
        jslirp = InProcessNetworks.start(Map.of(), io());
        return HostSide.thisProcess();
    }

    /** The I/O transport of the networks: the best here (epoll on Linux). */
    IoTransport io() {
        return IoTransport.best();
    }

    @Override
    String netdev(String id, UserOptions options) {
        return jslirp.netdev(id, options, dns -> { });
    }

    /** A card with {@code --no-host-loopback} and a TCP forward to the guest's httpd. */
    @Override
    List<GuestNic> additionalNics() {
        noLoopbackFwdHttp = host.freeLoopbackTcpPort();
        UserOptions o = UserOptions.DEFAULTS.withoutHostLoopback()
                .withHostForward("tcp:127.0.0.1:" + noLoopbackFwdHttp + "-:" + NatShell.GUEST_HTTP_PORT);
        return List.of(new GuestNic("noloopback", NicModel.E1000, GuestNic.mac(3), netdev("noloopback", o)));
    }

    private int noLoopbackFwdHttp;

    @Override
    String qemuBinary() {
        return null;
    }

    @Override
    void stopBackend() {
        if (jslirp != null) {
            // For whoever reads the output after a failure, or compares runs.
            jslirp.all().forEach((id, n) -> System.out.printf("%s: counters of network %s: %s%n",
                    getClass().getSimpleName(), id, n.counters()));
            jslirp.close();
        }
    }

    // ------------------------------------------------------------------ expected differences

    /**
     * REFUSED, at once: under {@code restrict=on} the address rules (HostAddressMapper) map no
     * destination, the gateway's loopback included, and TcpConnector answers the SYN with
     * RST|ACK (nat.tcp.REFUSED_BY_RULES). libslirp's tcp_input() does the same
     * ({@code goto dropwithreset}).
     */
    @Override
    TcpOutcome expectedRestrictedTcpToHost() {
        return TcpOutcome.REFUSED;
    }

    /** REFUSED, at once, as {@link #expectedRestrictedTcpToHost()}. */
    @Override
    TcpOutcome expectedRestrictedTcpToPeer() {
        return TcpOutcome.REFUSED;
    }

    /**
     * {@code error EHOSTUNREACH}: UdpNat answers a datagram the rules refuse with ICMP
     * destination unreachable, communication administratively prohibited (code 13, RFC 1812
     * section 5.2.7.1), which Linux reports to a connected socket as EHOSTUNREACH: the
     * application fails at once instead of after its own timeout. libslirp drops silently.
     */
    @Override
    String expectedRestrictedUdpResult() {
        return "error EHOSTUNREACH";
    }

    /**
     * true: a RST from the host aborts the flow and resets the guest's connection (and the data
     * the flow held is dropped with it, RFC 9293 section 3.10.7.4: a reset flushes the queues).
     */
    @Override
    boolean expectedHostResetReachesTheGuestAsRst() {
        return true;
    }

    /**
     * intact: the guest's reply to a UDP forward's peer is matched to the forward's mapping in
     * the flow table before any address rule applies, so forwards work both ways under
     * {@code restrict=on}, as its definition says ("only forwarded ports work").
     */
    @Override
    String expectedRestrictedForwardedEcho(int size) {
        return "intact";
    }

    /**
     * false: TcpConnector gives each forwarded connection a gateway port of its own from the
     * dynamic range (RFC 6335: 49152-65535), not the host client's port, which another flow
     * to the same guest endpoint may already use.
     */
    /** Every guest connection gets a host connection of its own, which the host ends after the guest's FIN. */
    @Override
    boolean expectedGuestForwardEndsWithTheHostsConnection() {
        return true;
    }

    @Override
    boolean expectedForwardKeepsClientPort() {
        return false;
    }

    /**
     * true: the NAT sends echo requests from the host's ICMP sockets (ping sockets where
     * net.ipv4.ping_group_range allows, else a raw socket: the test runs as root).
     */
    @Override
    boolean expectedPingToOtherHostsAnswered() {
        return true;
    }

    /**
     * UNREACHABLE, after the host's ARP attempts: the host connect fails with EHOSTUNREACH and
     * TcpConnector answers the SYN with ICMP host unreachable, quoting it, so nc says "No
     * route to host".
     */
    @Override
    TcpOutcome expectedTcpToAnAbsentNeighbour() {
        return TcpOutcome.UNREACHABLE;
    }

    /**
     * 10.0.2.2, then the peer: the core answers TTL 1 with time exceeded from the gateway; the
     * NAT sends the next probe with TTL 1 (the guest's less one), which reaches the peer one hop
     * away, and passes its port unreachable from the endpoint socket's error queue.
     */
    @Override
    List<String> expectedTracerouteHops() {
        return List.of("10.0.2.2", PeerHost.ADDRESS);
    }

    // ------------------------------------------------------------------ jslirp's own checks

    /** Every network's core counted only the drops a real guest is expected to cause. */
    @AfterEach
    void onlyExpectedDrops() {
        for (Map.Entry<String, InProcessJslirp> n : jslirp.all().entrySet()) {
            Map<String, Long> c = n.getValue().counters();
            assertThat(n.getValue().drops().keySet()).as("drops of network %s: %s", n.getKey(), c)
                    .isSubsetOf(EXPECTED_DROPS);
            assertThat(c).as("network %s", n.getKey()).doesNotContainKeys("transport.DISCONNECTS",
                    "transport.QUEUE_FULL", "nat.tcp.RETRANSMIT_GIVE_UP", "nat.tcp.OUT_OF_ORDER_LIMIT",
                    "nat.udp.DROPPED_HOST_BUSY", "nat.udp.DROPPED_GUEST_BUSY");
        }
    }

    @Test
    void noHostLoopbackRefusesTheGatewayButTheRestOfTheWorldAndForwardsWork() {
        String iface = sh.interfaceWithMac(GuestNic.mac(3));
        assertThat(sh.dhcp(iface)).containsEntry("ip", "10.0.2.15").containsEntry("router", "10.0.2.2");
        warmUpArp(iface);
        InProcessJslirp net = jslirp.get("noloopback");
        long tcpRefused = net.counter("nat.tcp.REFUSED_BY_RULES");
        long udpRefused = net.counter("nat.udp.REFUSED_DESTINATION");

        NatShell.Timed tcp = nat.time("nc -w 3 10.0.2.2 " + http.port() + " < /dev/null", GuestShell.NET_TIMEOUT);
        NatShell.UdpExchange udp = nat.udpEcho("10.0.2.2", udpEcho.port(), 100, 1, 2000);

        assertThat(TcpOutcome.of(tcp)).as("%s", tcp).isEqualTo(TcpOutcome.REFUSED);
        assertThat(tcp.seconds()).as("seconds until refused").isLessThan(PROMPT_SECONDS);
        // ICMP communication administratively prohibited, which Linux reports as EHOSTUNREACH.
        assertThat(udp.results()).as(udp.output()).containsExactly("error EHOSTUNREACH");
        assertThat(net.counter("nat.tcp.REFUSED_BY_RULES")).isEqualTo(tcpRefused + 1);
        assertThat(net.counter("nat.udp.REFUSED_DESTINATION")).isEqualTo(udpRefused + 1);

        // Everything else still works: the peer host by its address, both ways of the forward.
        assertThat(guest.runOk("wget -q -O - http://" + PeerHost.ADDRESS + "/whoami", GuestShell.NET_TIMEOUT))
                .startsWith("you are " + PeerHost.HOST_SIDE_ADDRESS + ":");
        NatShell.UdpExchange peerUdp = nat.udpEcho(PeerHost.ADDRESS, PeerHost.UDP_ECHO_PORT, LARGE_DATAGRAM, 2, 2000);
        assertThat(peerUdp.allEchoed()).as(peerUdp.output()).isTrue();
        assertThat(forwardClient.get(noLoopbackFwdHttp, NatShell.GUEST_FILE).sha256()).isEqualTo(guestFileSha);
    }

    @Override
    @Test
    void udpDatagramsOf4000BytesAreFragmentedBothWaysAndArriveWhole() {
        // The core's own account of the wire's: five datagrams reassembled, five replies cut up.
        countsOnMain(super::udpDatagramsOf4000BytesAreFragmentedBothWaysAndArriveWhole,
                Map.of("traffic.REASSEMBLED", 5L, "traffic.FRAGMENTED", 5L));
    }

    @Override
    @ParameterizedTest
    @EnumSource(NicModel.class)
    void pingToThePeerHostIsAnswered(NicModel nic) {
        countsOn(nic, () -> super.pingToThePeerHostIsAnswered(nic), expectedPingToOtherHostsAnswered()
                ? Map.of("nat.icmp.ECHO_REQUESTS_TO_HOST", 3L, "nat.icmp.ECHO_REPLIES_TO_GUEST", 3L)
                : Map.of("nat.icmp.DROPPED_UNSUPPORTED", 3L));
    }

    @Override
    @ParameterizedTest
    @EnumSource(NicModel.class)
    void tftpFromAHostServerAnsweringFromANewPortWorks(NicModel nic) {
        InProcessJslirp network = jslirp.get(mainCard(nic).id());
        Map<String, Long> before = network.counters();
        int requestsBefore = tftp.requests();
        super.tftpFromAHostServerAnsweringFromANewPortWorks(nic);
        // The request opens the endpoint's socket and a flow; the first answer from each new port
        // a flow of its own. One answering port per request the server got: the guest may have
        // sent its request twice (see the test), and both went through the one socket.
        awaitGrowth(network, before, () -> {
            long answerPorts = tftp.requests() - requestsBefore;
            return Map.of("nat.udp.HOST_SOCKETS_OPENED", 1L, "nat.udp.FLOWS_OPENED", 1 + answerPorts,
                    "nat.udp.FLOWS_OPENED_BY_HOST", answerPorts);
        });
    }

    /**
     * Waits up to 5 s for the counters of {@code network} to have grown from {@code before} by
     * exactly {@code deltas} (read again each time: they may depend on what the host side saw),
     * then asserts it: a late answer from the host may still be on its way when the guest is done.
     */
    private static void awaitGrowth(InProcessJslirp network, Map<String, Long> before,
            Supplier<Map<String, Long>> deltas) {
        for (int i = 0; i < 50 && !grewBy(before, network.counters(), deltas.get()); i++) {
            GuestShell.sleep(100);
        }
        Map<String, Long> after = network.counters();
        deltas.get().forEach((name, delta) -> assertThat(growth(before, after, name)).as("growth of %s", name)
                .isEqualTo(delta));
    }

    private static boolean grewBy(Map<String, Long> before, Map<String, Long> after, Map<String, Long> deltas) {
        return deltas.entrySet().stream().allMatch(d -> growth(before, after, d.getKey()) == d.getValue());
    }

    /**
     * The host's connect failed (at least once: a SYN the guest sent again as the first connect
     * failed may open a second flow, which fails too) and the guest got ICMP for it. The
     * host's kernel reports the failed ARP for the datagram as ICMP host unreachable on the
     * endpoint socket's error queue, and UdpNat passes it on (the guest's UDP stack then
     * ignores it, see the test); NIO cannot read the queue.
     */
    @Override
    @Test
    void connectionToAnAddressNobodyHasFailsAsTheHostsConnectDid() {
        Map<String, Long> before = main().counters();
        super.connectionToAnAddressNobodyHasFailsAsTheHostsConnectDid();
        Map<String, Long> after = main().counters();
        assertThat(growth(before, after, "nat.tcp.HOST_UNREACHABLE")).isPositive();
        assertThat(growth(before, after, "nat.udp.ICMP_HOST_UNREACHABLE")).isEqualTo(io() == IoTransport.NIO ? 0 : 1);
    }

    private static long growth(Map<String, Long> before, Map<String, Long> after, String name) {
        return after.getOrDefault(name, 0L) - before.getOrDefault(name, 0L);
    }

    @Override
    @Test
    void connectionToAClosedHostPortIsRefusedAtOnce() {
        countsOnMain(super::connectionToAClosedHostPortIsRefusedAtOnce, Map.of("nat.tcp.HOST_REFUSED", 1L));
    }

    @Override
    @Test
    void downloadOfAMultiMegabyteFileFromTheHostIsIntact() {
        long toGuest = main().counter("nat.tcp.BYTES_TO_GUEST");
        super.downloadOfAMultiMegabyteFileFromTheHostIsIntact();
        // The HTTP head rides along: a few hundred bytes more than the blob.
        assertThat(main().counter("nat.tcp.BYTES_TO_GUEST") - toGuest).isBetween((long) BLOB_BYTES, BLOB_BYTES + 1000L);
    }

    @Override
    @Test
    void guestResetMidDownloadResetsTheHostsConnection() {
        countsOnMain(super::guestResetMidDownloadResetsTheHostsConnection, Map.of("nat.tcp.RST_FROM_GUEST", 1L));
    }

    @Override
    @Test
    void hostResetMidResponseResetsTheGuestsConnection() {
        countsOnMain(super::hostResetMidResponseResetsTheGuestsConnection, Map.of("nat.tcp.RST_FROM_HOST", 1L));
    }

    /** Runs {@code test} and checks the main virtio-net network's counters grew by exactly {@code deltas}. */
    private void countsOnMain(Runnable test, Map<String, Long> deltas) {
        countsOn(NicModel.VIRTIO_NET_PCI, test, deltas);
    }

    /** Runs {@code test} and checks the counters of the main network of card {@code nic} grew by exactly {@code deltas}. */
    private void countsOn(NicModel nic, Runnable test, Map<String, Long> deltas) {
        InProcessJslirp network = jslirp.get(mainCard(nic).id());
        Map<String, Long> before = network.counters();
        test.run();
        Map<String, Long> after = network.counters();
        deltas.forEach((name, delta) -> assertThat(growth(before, after, name)).as("growth of %s", name).isEqualTo(delta));
    }

    private InProcessJslirp main() {
        return jslirp.get(virtioCard().id());
    }
}
