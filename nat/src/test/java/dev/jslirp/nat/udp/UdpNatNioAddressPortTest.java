package dev.jslirp.nat.udp;

import dev.jslirp.nat.UdpFiltering;

/** {@link UdpNatTest} on Java NIO sockets, address- and port-dependent filtering: connected sockets. */
class UdpNatNioAddressPortTest extends UdpNatNioTest {
    @Override
    UdpFiltering filtering() {
        return UdpFiltering.ADDRESS_PORT;
    }

    @Override
    boolean reportsHostErrors() {
        return true;
    }
}
