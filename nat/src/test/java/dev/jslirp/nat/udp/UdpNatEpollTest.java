package dev.jslirp.nat.udp;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.nat.EpollHostChannels;
import dev.jslirp.nat.NatService;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link UdpNatTest} on Netty's native epoll transport, which reads datagrams, reports
 * ICMP errors and writes by memory address in its own code.
 */
class UdpNatEpollTest extends UdpNatTest {
    @BeforeAll
    static void epollLoads() {
        Epoll.ensureAvailability();
    }

    @Override
    VirtualGuest guest(NetworkConfig net, NatService nat) {
        return VirtualGuest.onRealLoop(net, EpollIoHandler.newFactory(), EpollHostChannels.INSTANCE, nat);
    }
}
