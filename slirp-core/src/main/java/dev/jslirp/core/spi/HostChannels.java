package dev.jslirp.core.spi;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Function;

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

    /**
     * Unix stream sockets (guest forwards to {@code unix:PATH}, port forwards from a
     * host unix socket), or null where the I/O handler has none.
     */
    default Unix unix() {
        return null;
    }

    /**
     * Unix stream sockets of one I/O handler: its client and server channels (both
     * {@link io.netty.channel.socket.DuplexChannel}s once connected) and the socket
     * address form they take for a path (the JDK's for NIO, Netty's for epoll).
     */
    record Unix(ChannelFactory<? extends Channel> stream, ChannelFactory<? extends ServerChannel> server,
                Function<Path, SocketAddress> address) {
        /** Checks the parts. */
        public Unix {
            Objects.requireNonNull(stream, "stream");
            Objects.requireNonNull(server, "server");
            Objects.requireNonNull(address, "address");
        }
    }

    /** Java NIO channels, for event loops built on {@code NioIoHandler} (unix sockets as in JEP 380). */
    static HostChannels nio() {
        return of("nio", NioSocketChannel::new, NioServerSocketChannel::new, NioDatagramChannel::new,
                new Unix(NioDomainSocketChannel::new, NioServerDomainSocketChannel::new, UnixDomainSocketAddress::of));
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
        return of(name, tcp, tcpServer, udp, null);
    }

    /** As {@link #of(String, ChannelFactory, ChannelFactory, ChannelFactory)}, with unix stream sockets ({@code null}: none). */
    static HostChannels of(String name, ChannelFactory<? extends SocketChannel> tcp,
                           ChannelFactory<? extends ServerSocketChannel> tcpServer,
                           ChannelFactory<? extends DatagramChannel> udp, Unix unix) {
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
            public Unix unix() {
                return unix;
            }

            @Override
            public String toString() {
                return name;
            }
        };
    }
}
