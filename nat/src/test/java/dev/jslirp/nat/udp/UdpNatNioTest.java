package dev.jslirp.nat.udp;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.nat.NatService;
import dev.jslirp.nat.UdpFiltering;

/** {@link UdpNatTest} on Java NIO sockets, endpoint-independent filtering (the default). */
class UdpNatNioTest extends UdpNatTest {
    @Override
    VirtualGuest guest(NetworkConfig net, NatService nat) {
        return VirtualGuest.onRealLoop(net, nat);
    }

    @Override
    UdpFiltering filtering() {
        return UdpFiltering.ENDPOINT;
    }

    @Override
    boolean reportsHostErrors() {
        return false;
    }
}
