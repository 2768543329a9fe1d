package dev.jslirp.e2e;

import java.util.List;
import java.util.Set;

/**
 * The comparison's checks against QEMU's own {@code -netdev user} (libslirp), run inside a
 * network namespace the test creates ({@link NetnsSandbox}): libslirp forwards DNS to the
 * resolv.conf nameservers, which there are the test's own server on the namespace's
 * 127.0.0.1, never this machine's resolver.
 *
 * <p>The expected values below are libslirp's behaviour (libslirp 4.7, QEMU 7.2 as Debian 12
 * ships them), each stated with where it comes from; jslirp's side explains why it differs.
 */
class LibslirpUserNetworkTest extends UserNetworkComparison {
    private NetnsSandbox sandbox;

    @Override
    void startBackend() {
        sandbox = NetnsSandbox.create(DNS_ANSWERS);
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
    List<E2eDnsServer.Query> upstreamQueries() {
        return sandbox.dnsQueries();
    }

    @Override
    void stopBackend() {
        if (sandbox != null) {
            sandbox.closeAndCheckDeleted();
        }
    }

    /** 53: the namespace's own DNS server; libslirp maps 10.0.2.2 to the namespace's loopback. */
    @Override
    int hostLoopbackDnsPort() {
        return 53;
    }

    /**
     * 10.0.2.2 then nothing: libslirp gives its host socket the guest's TTL and answers the TTL-1
     * probe with time exceeded from 10.0.2.2, as if the gateway were a hop before the host; the
     * TTL-2 probe's port unreachable comes from 127.0.0.1, the host-side address, which
     * traceroute does not accept as an answer from 10.0.2.2, so hop 2 shows *.
     */
    @Override
    List<String> expectedTracerouteHops() {
        return List.of("10.0.2.2", "*");
    }

    /** 255: libslirp answers echo requests to its own addresses with icmp_reflect(), which sets MAXTTL. */
    @Override
    int expectedEchoReplyTtl() {
        return 255;
    }

    /** true: libslirp's bootp.c sends every reply to 255.255.255.255 at ff:ff:ff:ff:ff:ff. */
    @Override
    boolean expectedDhcpRepliesBroadcast() {
        return true;
    }

    /** null: libslirp's bootp.c has no option 26. */
    @Override
    String expectedLeaseMtu() {
        return null;
    }

    /** 2: one REQUEST, one ACK; the broadcast ACK reaches every udhcpc socket on port 68. */
    @Override
    Set<Integer> expectedRenewalMessageCounts() {
        return Set.of(2);
    }

    /** None: libslirp's bootp.c sends only the common options (and pads to BOOTP's 548 bytes). */
    @Override
    Set<Integer> expectedExtraAckOptions() {
        return Set.of();
    }

    @Override
    boolean expectedRestrictedGatewayAnswersPing() {
        return true;
    }
}
