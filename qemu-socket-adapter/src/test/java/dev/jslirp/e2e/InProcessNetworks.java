package dev.jslirp.e2e;

import dev.jslirp.dns.DnsConfig;
import dev.jslirp.transport.IoTransport;
import io.netty.channel.EventLoopGroup;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The in-process jslirp networks of a guest with several cards, one network per card, all on one
 * event loop (the best transport: epoll where it loads) and all forwarding DNS to one
 * {@link E2eDnsServer} the test started on 127.0.0.1. Each network listens for its QEMU on a
 * unix socket ({@link InProcessJslirp.Attachment#STREAM_UNIX_LISTEN}).
 */
public final class InProcessNetworks implements AutoCloseable {
    private final IoTransport io;
    private final EventLoopGroup group;
    private final E2eDnsServer upstream;
    private final Map<String, InProcessJslirp> networks = new LinkedHashMap<>();

    private InProcessNetworks(IoTransport io, EventLoopGroup group, E2eDnsServer upstream) {
        this.io = io;
        this.group = group;
        this.upstream = upstream;
    }

    /** Starts the event loop and the upstream DNS server, which knows {@code dnsAnswers}. */
    public static InProcessNetworks start(Map<String, String> dnsAnswers) {
        return start(dnsAnswers, IoTransport.best());
    }

    /** As {@link #start(Map)}, on the I/O transport {@code io} (NIO: as where epoll is absent). */
    public static InProcessNetworks start(Map<String, String> dnsAnswers, IoTransport io) {
        EventLoopGroup group = io.newEventLoopGroup(1);
        try {
            return new InProcessNetworks(io, group, E2eDnsServer.start(dnsAnswers));
        } catch (RuntimeException e) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            throw e;
        }
    }

    /**
     * Starts the network of card {@code id} with {@code options} and returns QEMU's
     * {@code -netdev} value for it.
     *
     * @param dns adds to the DNS configuration, whose upstream is already the test's server
     */
    public String netdev(String id, UserOptions options, Consumer<DnsConfig.Builder> dns) {
        DnsConfig.Builder b = DnsConfig.builder().addUpstream(upstream.address());
        dns.accept(b);
        InProcessJslirp net = InProcessJslirp.start(group.next(), io, options, b.build(),
                InProcessJslirp.Attachment.STREAM_UNIX_LISTEN);
        networks.put(id, net);
        return net.netdev(id);
    }

    /** The network of card {@code id}, or null. */
    public InProcessJslirp get(String id) {
        return networks.get(id);
    }

    /** Every network by card id, in the order started. */
    public Map<String, InProcessJslirp> all() {
        return Collections.unmodifiableMap(networks);
    }

    /** The upstream DNS server. */
    public E2eDnsServer upstream() {
        return upstream;
    }

    /** Closes every network, the DNS server and the event loop; rethrows the first failure. */
    @Override
    public void close() {
        List<RuntimeException> failures = new ArrayList<>();
        for (InProcessJslirp n : networks.values()) {
            try {
                n.close();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        upstream.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        if (!failures.isEmpty()) {
            throw failures.get(0);
        }
    }
}
