package dev.jslirp.nat;

import dev.jslirp.core.spi.HostChannels;
import io.netty.channel.ChannelFactory;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;

/**
 * Host channels of Netty's native epoll transport, which the adapter uses on Linux: for the NAT
 * tests that run on it as well as on NIO (epoll reads, reports errors and ends streams in code
 * of its own).
 */
public final class EpollHostChannels implements HostChannels {
    /** The one instance. */
    public static final HostChannels INSTANCE = new EpollHostChannels();

    private EpollHostChannels() {
    }

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
}
