package dev.jslirp.nat;

import dev.jslirp.core.spi.HostChannels;
import io.netty.channel.ChannelFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;

/**
 * Host channels on Netty's native epoll transport, for NAT tests that must run where the
 * adapter runs: epoll reads, writes and reports socket events in its own code (datagrams
 * by memory address, a peer's half-close as EPOLLRDHUP).
 */
public final class EpollTestChannels {
    /** Epoll socket, server socket and datagram channels. */
    public static final HostChannels HOST_CHANNELS = new HostChannels() {
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

    private EpollTestChannels() {
    }

    /** Fails the test class at once if the native transport does not load here. */
    public static void ensureAvailable() {
        Epoll.ensureAvailability();
    }
}
