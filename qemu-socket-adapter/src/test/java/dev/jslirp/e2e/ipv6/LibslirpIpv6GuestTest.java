package dev.jslirp.e2e.ipv6;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.e2e.NetnsSandbox;
import dev.jslirp.e2e.nat.HostSide;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The IPv6 checks against QEMU's own {@code -netdev user} (libslirp 4.7, QEMU 7.2 as Debian 12
 * ships them), inside a network namespace the test creates ({@link NetnsSandbox}): its ::1 is
 * libslirp's host loopback, where the host's servers listen.
 *
 * <p>One difference is in the set-up, not in an expectation: libslirp serves DNS at fec0::3
 * only when the host's resolv.conf names an IPv6 nameserver, to which it forwards those
 * queries; with IPv4 nameservers only, it answers every query to fec0::3 with ICMPv6
 * destination unreachable, "no route to destination" (seen on the wire with this guest). So
 * the sandbox's resolv.conf names ::1 as well as 127.0.0.1, where its DNS server listens too.
 * jslirp's upstream in {@link JslirpIpv6GuestTest} is on 127.0.0.1 only.
 */
class LibslirpIpv6GuestTest extends Ipv6GuestComparison {
    private NetnsSandbox sandbox;

    @Override
    HostSide startBackend(Map<String, String> answers) {
        sandbox = NetnsSandbox.create(answers, true);
        return HostSide.namespace(sandbox.name());
    }

    @Override
    String netdev(Card card) {
        return card.options().netdevUser(card.id());
    }

    @Override
    String qemuBinary() {
        return sandbox.qemuWrapper();
    }

    @Override
    List<String> upstreamQueries() {
        return sandbox.dnsQueries().stream().map(q -> q.name() + " " + q.type()).toList();
    }

    @Override
    void stopBackend() {
        if (sandbox != null) {
            sandbox.closeAndCheckDeleted();
        }
    }

    /** Empty: QEMU 7.2 has no IPv6 port forwards ({@link #qemu72RefusesAnIpv6HostForward}). */
    @Override
    OptionalInt ipv6ForwardPort(Card card) {
        return OptionalInt.empty();
    }

    /**
     * {@code timeout}: libslirp's ip6_input() has no IPv6 reassembly and drops every fragment
     * the guest sends, so a datagram larger than the link MTU never reaches the host.
     */
    @Override
    String expectedFragmentedUdpResult() {
        return "timeout";
    }

    /** false: QEMU 7.2's hostfwd= parser (net/slirp.c, slirp_hostfwd) takes IPv4 addresses only. */
    @Override
    boolean expectedIpv6PortForwards() {
        return false;
    }

    /**
     * What {@link #expectedIpv6PortForwards()} claims: QEMU 7.2 refuses at start-up the rule
     * jslirp takes. Run inside the sandbox with a machine that has nothing, so even a QEMU that
     * took the rule would reach nothing; it is stopped through its own handle.
     */
    @Test
    void qemu72RefusesAnIpv6HostForward() throws Exception {
        Process p = new ProcessBuilder(sandbox.qemuWrapper(), "-M", "none", "-display", "none", "-nodefaults",
                "-netdev", "user,id=n0,hostfwd=tcp:[::1]:2222-[fec0::5054:ff:fee2:e201]:22")
                .redirectErrorStream(true).start();
        try {
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("QEMU exits at once").isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as(out).isNotZero();
            assertThat(out).contains("Invalid host forwarding rule");
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
