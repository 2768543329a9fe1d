package dev.jslirp.transport;

import dev.jslirp.core.spi.HostChannels;
import io.netty.channel.ChannelFactory;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;

/**
 * Host sockets for a network whose event loop runs Netty's native epoll handler, so
 * the NAT's host channels register on the same loop as the guest transport.
 */
public final class EpollHostChannels implements HostChannels {
    /** The one instance; it holds no state. */
    public static final EpollHostChannels INSTANCE = new EpollHostChannels();

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

    @Override
    public String toString() {
        return "epoll";
    }
}
