package dev.jslirp.nat.udp;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.HostChannels;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.nat.NatService;
import io.netty.channel.ChannelFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import org.junit.jupiter.api.BeforeAll;

/**
 * {@link UdpNatTest} on Netty's native epoll transport, which reads datagrams, reports
 * ICMP errors and writes by memory address in its own code.
 */
class UdpNatEpollTest extends UdpNatTest {
    private static final HostChannels EPOLL = new HostChannels() {
        @Override
        public ChannelFactory<? extends SocketChannel> tcp() {
            return EpollSocketChannel::new;
        }

        @Override
        public ChannelFactory<? extends ServerSocketChannel> tcpServer() {
            return EpollServerSocketChannel::new;
        }

        @Override
        public ChannelFactory<? extends DatagramChannel> udp() {
            return EpollDatagramChannel::new;
        }
    };

    @BeforeAll
    static void epollLoads() {
        Epoll.ensureAvailability();
    }

    @Override
    VirtualGuest guest(NetworkConfig net, NatService nat) {
        return VirtualGuest.onRealLoop(net, EpollIoHandler.newFactory(), EPOLL, nat);
    }
}
