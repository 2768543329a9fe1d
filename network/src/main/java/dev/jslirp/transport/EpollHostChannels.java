package dev.jslirp.transport;

import dev.jslirp.core.spi.HostChannels;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;

/**
 * Host sockets for a network whose event loop runs Netty's native epoll handler, so
 * the NAT's host channels register on the same loop as the guest transport.
 */
public final class EpollHostChannels {
    /** Epoll socket, server socket, datagram and unix stream channels. */
    public static final HostChannels INSTANCE = HostChannels.of("epoll",
            EpollSocketChannel::new, EpollServerSocketChannel::new, EpollDatagramChannel::new,
            new HostChannels.Unix(EpollDomainSocketChannel::new, EpollServerDomainSocketChannel::new,
                    path -> new DomainSocketAddress(path.toString())));

    private EpollHostChannels() {
    }
}
