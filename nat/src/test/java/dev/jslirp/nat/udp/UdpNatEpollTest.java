package dev.jslirp.nat.udp;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.nat.EpollTestChannels;
import dev.jslirp.nat.NatService;
import dev.jslirp.nat.UdpFiltering;
import io.netty.channel.epoll.EpollIoHandler;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link UdpNatTest} on Netty's native epoll transport, which reads datagrams, reports
 * ICMP errors and writes by memory address in its own code; endpoint-independent
 * filtering (the default), whose sockets' error queue is read.
 */
class UdpNatEpollTest extends UdpNatTest {
    @BeforeAll
    static void epollLoads() {
        EpollTestChannels.ensureAvailable();
    }

    @Override
    VirtualGuest guest(NetworkConfig net, NatService nat) {
        return VirtualGuest.onRealLoop(net, EpollIoHandler.newFactory(), EpollTestChannels.HOST_CHANNELS, nat);
    }

    @Override
    UdpFiltering filtering() {
        return UdpFiltering.ENDPOINT;
    }

    @Override
    boolean reportsHostErrors() {
        return true;
    }
}
