package dev.jslirp.e2e.nat;

import dev.jslirp.e2e.NetnsSandbox;
import dev.jslirp.e2e.UserOptions;
import java.util.List;
import java.util.Map;

/**
 * The NAT checks against QEMU's own {@code -netdev user} (libslirp 4.7, QEMU 7.2 as Debian 12
 * ships them), run inside a network namespace the test creates ({@link NetnsSandbox}): its
 * 127.0.0.1 is libslirp's host loopback, where the test's servers and forward clients are made
 * ({@link HostSide}), and the peer host is linked to it. Nothing libslirp sends can reach
 * anything else.
 *
 * <p>The expected values below are libslirp's behaviour, each stated with where it comes from;
 * jslirp's side explains why it differs.
 */
class LibslirpNatGuestTest extends NatGuestComparison {
    private NetnsSandbox sandbox;

    @Override
    HostSide startBackend() {
        // The guest resolves no names here; the sandbox's DNS server only keeps libslirp from
        // ever asking this machine's resolver.
        sandbox = NetnsSandbox.create(Map.of());
        // libslirp sends echo requests from unprivileged ping sockets, which a new namespace
        // allows no group ("1 0"); QEMU runs as root here (group 0). Without them libslirp falls
        // back to a UDP datagram to port 7, which the peer's echo server would answer.
        sandbox.sysctl("net.ipv4.ping_group_range", "0 2147483647");
        return HostSide.namespace(sandbox.name());
    }

    @Override
    String netdev(String id, UserOptions options) {
        return options.netdevUser(id);
    }

    @Override
    String qemuBinary() {
        return sandbox.qemuWrapper();
    }

    @Override
    void stopBackend() {
        if (sandbox != null) {
            sandbox.closeAndCheckDeleted();
        }
    }

    /** REFUSED: tcp_input() answers a SYN that matches no socket with a RST when restricted. */
    @Override
    TcpOutcome expectedRestrictedTcpToHost() {
        return TcpOutcome.REFUSED;
    }

    /** REFUSED, as {@link #expectedRestrictedTcpToHost()}. */
    @Override
    TcpOutcome expectedRestrictedTcpToPeer() {
        return TcpOutcome.REFUSED;
    }

    /** timeout: udp_input() drops every guest datagram when restricted, without a word. */
    @Override
    String expectedRestrictedUdpResult() {
        return "timeout";
    }

    /**
     * false, observed in the capture: when the host resets the connection, libslirp sends the
     * guest the data it had read and then a FIN, an orderly end, so the guest's application
     * cannot tell the stream was cut short (busybox wget notices only because HTTP announced
     * the length).
     */
    @Override
    boolean expectedHostResetReachesTheGuestAsRst() {
        return false;
    }

    /**
     * nothing: udp_input() drops every guest datagram when restricted, before it looks for the
     * socket the datagram belongs to, so the guest's replies to a UDP forward's peer never leave
     * (the forwarded datagram itself reaches the guest: the test checks the guest's echo log).
     * Under {@code restrict=on} a UDP forward works one way only.
     */
    @Override
    String expectedRestrictedForwardedEcho(int size) {
        return "nothing";
    }

    /** true: icmp_input() sends the request from a ping socket (allowed in the sandbox) and reflects the reply. */
    @Override
    boolean expectedPingToOtherHostsAnswered() {
        return true;
    }

    /**
     * TIMED_OUT, observed: libslirp answers with ICMP only a connect that fails at once
     * (tcp_input(), ENETUNREACH and the like); when the host's non-blocking connect fails later
     * (EHOSTUNREACH once ARP gave up) it drops the socket and the guest's SYN goes unanswered,
     * so nc waits out its own timeout.
     */
    @Override
    TcpOutcome expectedTcpToAnAbsentNeighbour() {
        return TcpOutcome.TIMED_OUT;
    }

    /**
     * 10.0.2.2, then the peer, observed: libslirp answers TTL 1 with time exceeded itself, sends
     * the next probe with the guest's TTL and passes the peer's port unreachable back.
     */
    @Override
    List<String> expectedTracerouteHops() {
        return List.of("10.0.2.2", PeerHost.ADDRESS);
    }

    /**
     * true: tcp_connect() accepts the host client and sotranslate_accept() shows it to the guest
     * as 10.0.2.2 with the client's own port.
     */
    /**
     * QEMU opens guestfwd's {@code tcp:} character device once at start-up and shares it; the guest's FIN does
     * not end it, so the guest's connection stays open.
     */
    @Override
    boolean expectedGuestForwardEndsWithTheHostsConnection() {
        return false;
    }

    @Override
    boolean expectedForwardKeepsClientPort() {
        return true;
    }
}
