package dev.jslirp.core.spi;

import io.netty.channel.ChannelFactory;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * How services open host sockets: channel factories that match the I/O handler of the
 * network's event loop (NIO here; the adapter supplies native epoll ones). Services
 * never name a channel class themselves, so the same code runs on either.
 */
public interface HostChannels {
    /** TCP client sockets. */
    ChannelFactory<? extends SocketChannel> tcp();

    /** TCP listening sockets (port forwards, local DNS over TCP). */
    ChannelFactory<? extends ServerSocketChannel> tcpServer();

    /** UDP sockets. */
    ChannelFactory<? extends DatagramChannel> udp();

    /** Java NIO channels, for event loops built on {@code NioIoHandler}. */
    static HostChannels nio() {
        return new HostChannels() {
            @Override
            public ChannelFactory<? extends SocketChannel> tcp() {
                return NioSocketChannel::new;
            }

            @Override
            public ChannelFactory<? extends ServerSocketChannel> tcpServer() {
                return NioServerSocketChannel::new;
            }

            @Override
            public ChannelFactory<? extends DatagramChannel> udp() {
                return NioDatagramChannel::new;
            }

            @Override
            public String toString() {
                return "nio";
            }
        };
    }
}
