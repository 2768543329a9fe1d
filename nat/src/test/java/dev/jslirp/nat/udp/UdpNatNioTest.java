package dev.jslirp.nat.udp;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.nat.NatService;

/** {@link UdpNatTest} on Java NIO sockets. */
class UdpNatNioTest extends UdpNatTest {
    @Override
    VirtualGuest guest(NetworkConfig net, NatService nat) {
        return VirtualGuest.onRealLoop(net, nat);
    }
}
