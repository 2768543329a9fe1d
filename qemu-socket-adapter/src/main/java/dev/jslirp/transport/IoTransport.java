package dev.jslirp.transport;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.spi.HostChannels;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollDomainDatagramChannel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;

/**
 * The I/O flavour a network and its transports run on: Netty's native epoll when the
 * platform has it (unix datagram sockets need it), Java NIO otherwise. One value
 * supplies everything that must match the event loop's I/O handler: the loop group,
 * the host channels of the NAT, and the channel classes of the QEMU transports.
 */
public enum IoTransport {
    /** Netty's native epoll transport (Linux). */
    EPOLL {
        @Override
        public boolean isAvailable() {
            return Epoll.isAvailable();
        }

        @Override
        public String unavailabilityReason() {
            Throwable t = Epoll.unavailabilityCause();
            return t == null ? "" : String.valueOf(t.getMessage());
        }

        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return EpollIoHandler.newFactory();
        }

        @Override
        public HostChannels hostChannels() {
            return EpollHostChannels.INSTANCE;
        }

        @Override
        public ChannelFactory<? extends ServerChannel> serverChannel(Endpoint endpoint) {
            return endpoint instanceof Endpoint.Unix ? EpollServerDomainSocketChannel::new : EpollServerSocketChannel::new;
        }

        @Override
        public ChannelFactory<? extends Channel> streamChannel(Endpoint endpoint) {
            return endpoint instanceof Endpoint.Unix ? EpollDomainSocketChannel::new : EpollSocketChannel::new;
        }

        @Override
        public ChannelFactory<? extends Channel> datagramChannel(Endpoint endpoint) {
            return endpoint instanceof Endpoint.Unix ? EpollDomainDatagramChannel::new : EpollDatagramChannel::new;
        }

        @Override
        public SocketAddress socketAddress(Endpoint endpoint) {
            if (endpoint instanceof Endpoint.Unix u) {
                return new DomainSocketAddress(u.path().toString());
            }
            return ((Endpoint.Inet) endpoint).resolve();
        }
    },

    /** Java NIO, available everywhere; no unix datagram sockets. */
    NIO {
        @Override
        public boolean isAvailable() {
            return true;
        }

        @Override
        public String unavailabilityReason() {
            return "";
        }

        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return NioIoHandler.newFactory();
        }

        @Override
        public HostChannels hostChannels() {
            return HostChannels.nio();
        }

        @Override
        public ChannelFactory<? extends ServerChannel> serverChannel(Endpoint endpoint) {
            return endpoint instanceof Endpoint.Unix ? NioServerDomainSocketChannel::new : NioServerSocketChannel::new;
        }

        @Override
        public ChannelFactory<? extends Channel> streamChannel(Endpoint endpoint) {
            return endpoint instanceof Endpoint.Unix ? NioDomainSocketChannel::new : NioSocketChannel::new;
        }

        @Override
        public ChannelFactory<? extends Channel> datagramChannel(Endpoint endpoint) {
            if (endpoint instanceof Endpoint.Unix) {
                // Java NIO has no SOCK_DGRAM unix sockets (JEP 380 covers stream sockets only).
                throw new ConfigException("dgram", "unix datagram sockets need Netty's native epoll transport"
                        + (EPOLL.isAvailable() ? " (run with --io epoll)" : ", which is not available here: "
                        + EPOLL.unavailabilityReason()) + "; use udp:HOST:PORT instead");
            }
            return NioDatagramChannel::new;
        }

        @Override
        public SocketAddress socketAddress(Endpoint endpoint) {
            if (endpoint instanceof Endpoint.Unix u) {
                return UnixDomainSocketAddress.of(u.path());
            }
            return ((Endpoint.Inet) endpoint).resolve();
        }
    };

    /** Epoll if available, else NIO. */
    public static IoTransport best() {
        return EPOLL.isAvailable() ? EPOLL : NIO;
    }

    /** True if this transport works on this platform. */
    public abstract boolean isAvailable();

    /** Why it does not, or an empty string. */
    public abstract String unavailabilityReason();

    /** The I/O handler of this transport's event loops. */
    public abstract IoHandlerFactory ioHandlerFactory();

    /**
     * A new event loop group of {@code threads} loops on this transport, with threads
     * named {@code jslirp-io-N}. The caller shuts it down.
     */
    public EventLoopGroup newEventLoopGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("jslirp-io"), ioHandlerFactory());
    }

    /** Host socket factories for the NAT on this transport's loops. */
    public abstract HostChannels hostChannels();

    /** A listening channel for {@code endpoint} (unix or TCP). */
    public abstract ChannelFactory<? extends ServerChannel> serverChannel(Endpoint endpoint);

    /** A connecting stream channel for {@code endpoint} (unix or TCP). */
    public abstract ChannelFactory<? extends Channel> streamChannel(Endpoint endpoint);

    /**
     * A datagram channel for {@code endpoint} (unix or UDP).
     *
     * @throws ConfigException for unix datagrams on NIO
     */
    public abstract ChannelFactory<? extends Channel> datagramChannel(Endpoint endpoint);

    /**
     * The socket address of {@code endpoint} in the form this transport's channels
     * take; resolves host names (may block: call at start-up, not on a loop).
     */
    public abstract SocketAddress socketAddress(Endpoint endpoint);

    /** Lower-case name as the {@code --io} option spells it. */
    public String optionName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
