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
public final class JslirpOnTap implements AutoCloseable {
    private final EventLoopGroup group = IoTransport.EPOLL.newEventLoopGroup(1);
    private JslirpNetwork network;
    private TapTransport transport;

    private JslirpOnTap() {
    }

    /** Starts a network with the given configurations on a tap set up by {@code options}; nothing stays open on failure. */
    static JslirpOnTap start(NetworkConfig net, DnsConfig dns, NatConfig nat, TapOptions options) throws IOException {
        return start(net, dns, nat, options, b -> { });
    }

    /** As {@link #start(NetworkConfig, DnsConfig, NatConfig, TapOptions)}, the network's builder adjusted by {@code more}. */
    static JslirpOnTap start(NetworkConfig net, DnsConfig dns, NatConfig nat, TapOptions options,
                             java.util.function.Consumer<JslirpNetwork.Builder> more) throws IOException {
        JslirpOnTap j = new JslirpOnTap();
        boolean started = false;
        try {
            JslirpNetwork.Builder b = JslirpNetwork.builder()
                    .network(net).dns(dns).nat(nat)
                    .eventLoop(j.group.next(), IoTransport.EPOLL.hostChannels());
            more.accept(b);
            j.network = b.build();
            TapTransport t = new TapTransport(j.network.guest(), options, LinkBuffers.DEFAULT);
            t.start();
            j.transport = t;
            started = true;
            return j;
        } finally {
            if (!started) {
                j.close();
            }
        }
    }

    public JslirpNetwork network() {
        return network;
    }

    TapTransport transport() {
        return transport;
    }

    /** A counter of the tap set. */
    long tapCounter(TapCounter c) {
        return network.stats().service("tap", TapCounter.class).get(c);
    }

    /** Closes the transport, the network and the loop, those that were started. */
    @Override
    public void close() {
        try {
            if (transport != null) {
                transport.close();
            }
            if (network != null) {
                network.close();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
