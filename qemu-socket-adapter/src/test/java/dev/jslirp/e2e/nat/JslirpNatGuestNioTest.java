package dev.jslirp.e2e.nat;

import dev.jslirp.transport.IoTransport;

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
}
