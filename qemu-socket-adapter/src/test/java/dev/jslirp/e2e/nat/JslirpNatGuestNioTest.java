package dev.jslirp.e2e.nat;

import dev.jslirp.transport.IoTransport;
import java.util.List;

/**
 * {@link JslirpNatGuestTest} once more on the JDK's NIO instead of native epoll, as jslirp
 * runs where epoll is absent (macOS, Windows): the guest's stream socket (unix), the NAT's
 * host sockets and the event loop all on NIO, with the same checks.
 */
class JslirpNatGuestNioTest extends JslirpNatGuestTest {
    @Override
    IoTransport io() {
        return IoTransport.NIO;
    }

    /**
     * The gateway, then nothing: NIO can neither send with the guest's TTL (the JDK has no
     * unicast TTL option) nor hear the peer's port unreachable on an unconnected socket.
     */
    @Override
    List<String> expectedTracerouteHops() {
        return List.of("10.0.2.2", "*", "*");
    }

    /** false: the JDK has no ICMP sockets; the requests are counted (nat.icmp.DROPPED_UNSUPPORTED). */
    @Override
    boolean expectedPingToOtherHostsAnswered() {
        return false;
    }
}
