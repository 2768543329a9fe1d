package dev.jslirp.nat;

import dev.jslirp.core.spi.HostChannels;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;

/**
 * Host channels on Netty's native epoll transport, for NAT tests that must run where the
 * adapter runs: epoll reads, writes and reports socket events in its own code (datagrams
 * by memory address, a peer's half-close as EPOLLRDHUP).
 */
public final class EpollTestChannels {
    /** Epoll socket, server socket, datagram and unix stream channels (as the adapter's). */
    public static final HostChannels HOST_CHANNELS = HostChannels.of("epoll",
            EpollSocketChannel::new, EpollServerSocketChannel::new, EpollDatagramChannel::new,
            new HostChannels.Unix(EpollDomainSocketChannel::new, EpollServerDomainSocketChannel::new,
                    path -> new DomainSocketAddress(path.toString())));

    private EpollTestChannels() {
    }

    /** Fails the test class at once if the native transport does not load here. */
    public static void ensureAvailable() {
        Epoll.ensureAvailability();
    }
}
