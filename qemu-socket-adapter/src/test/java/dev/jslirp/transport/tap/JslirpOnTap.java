package dev.jslirp.transport.tap;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * jslirp in-process as the command line starts it for {@code --tap}/{@code --netns}:
 * one epoll event loop, the assembled network on it, and a {@link TapTransport} on
 * the same loop. Closing takes them down in reverse order.
 */
final class JslirpOnTap implements AutoCloseable {
    private final EventLoopGroup group;
    private final JslirpNetwork network;
    private final TapTransport transport;

    private JslirpOnTap(EventLoopGroup group, JslirpNetwork network, TapTransport transport) {
        this.group = group;
        this.network = network;
        this.transport = transport;
    }

    /** Starts a network with the given configurations on a tap set up by {@code options}. */
    static JslirpOnTap start(NetworkConfig net, DnsConfig dns, NatConfig nat, TapOptions options) throws IOException {
        EventLoopGroup group = IoTransport.EPOLL.newEventLoopGroup(1);
        JslirpNetwork network = null;
        try {
            network = JslirpNetwork.builder()
                    .network(net).dns(dns).nat(nat)
                    .eventLoop(group.next(), IoTransport.EPOLL.hostChannels())
                    .build();
            TapTransport transport = new TapTransport(network.guest(), options, LinkBuffers.DEFAULT);
            transport.start();
            return new JslirpOnTap(group, network, transport);
        } catch (IOException | RuntimeException e) {
            if (network != null) {
                network.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            throw e;
        }
    }

    JslirpNetwork network() {
        return network;
    }

    TapTransport transport() {
        return transport;
    }

    /** A counter of the tap set. */
    long tapCounter(TapCounter c) {
        return network.stats().service("tap", TapCounter.class).get(c);
    }

    @Override
    public void close() {
        try {
            transport.close();
        } finally {
            try {
                network.close();
            } finally {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
    }
}
