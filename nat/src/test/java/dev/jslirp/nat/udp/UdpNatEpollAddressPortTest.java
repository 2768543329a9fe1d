package dev.jslirp.nat.udp;

import dev.jslirp.nat.UdpFiltering;

/** {@link UdpNatTest} on the epoll transport, address- and port-dependent filtering: connected sockets. */
class UdpNatEpollAddressPortTest extends UdpNatEpollTest {
    @Override
    UdpFiltering filtering() {
        return UdpFiltering.ADDRESS_PORT;
    }
}
