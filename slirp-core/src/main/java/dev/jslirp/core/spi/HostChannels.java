package dev.jslirp.core.spi;

import io.netty.channel.ChannelFactory;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.Objects;

/**
 * How services open host sockets: channel factories that match the I/O handler of the
 * network's event loop (NIO here; the adapter supplies native epoll ones with
 * {@link #of}). Services never name a channel class themselves, so the same code runs
 * on either.
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
        return of("nio", NioSocketChannel::new, NioServerSocketChannel::new, NioDatagramChannel::new);
    }

    /**
     * Channels from the three factories, e.g. Netty's epoll ones:
     * {@code HostChannels.of("epoll", EpollSocketChannel::new, EpollServerSocketChannel::new, EpollDatagramChannel::new)}.
     *
     * @param name what {@code toString()} says, for logs
     */
    static HostChannels of(String name, ChannelFactory<? extends SocketChannel> tcp,
                           ChannelFactory<? extends ServerSocketChannel> tcpServer,
                           ChannelFactory<? extends DatagramChannel> udp) {
        Objects.requireNonNull(tcp, "tcp");
        Objects.requireNonNull(tcpServer, "tcpServer");
        Objects.requireNonNull(udp, "udp");
        return new HostChannels() {
            @Override
            public ChannelFactory<? extends SocketChannel> tcp() {
                return tcp;
            }

            @Override
            public ChannelFactory<? extends ServerSocketChannel> tcpServer() {
                return tcpServer;
            }

            @Override
            public ChannelFactory<? extends DatagramChannel> udp() {
                return udp;
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
