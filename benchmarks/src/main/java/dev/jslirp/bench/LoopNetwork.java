package dev.jslirp.bench;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.transport.IoTransport;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * The default jslirp network ({@link JslirpNetwork}: DHCP, DNS, NAT) on a real
 * one-thread event loop, NIO or native epoll, with a {@link ReleasingSink} as the
 * guest's transport: for benchmarks whose path ends at real host sockets.
 *
 * <p>The benchmark thread is not the loop. A benchmark hands work to the loop with
 * {@link EventLoop#execute} of a task it made once, and learns the work is done from
 * the host socket it reads or from a {@link Progress} the loop raises; neither
 * allocates. The hand-off itself (a queue slot, a selector wake-up) is measured alone
 * by {@link LoopHandoffBenchmark}.
 */
final class LoopNetwork implements AutoCloseable {
    private final SilentDnsUpstream dnsUpstream = new SilentDnsUpstream();
    private final EventLoopGroup group;
    private final JslirpNetwork network;
    private final ReleasingSink sink;

    /**
     * A network on a new loop of {@code io} ({@code nio} or {@code epoll}), its frames
     * to the guest shown to {@code inspector} (may be null) and released.
     *
     * @throws IllegalStateException if {@code io} is not available here
     */
    LoopNetwork(String io, ReleasingSink.Inspector inspector) {
        this(io, inspector, NatConfig.defaults());
    }

    /** As {@link #LoopNetwork(String, ReleasingSink.Inspector)} with the NAT configured by {@code nat}. */
    LoopNetwork(String io, ReleasingSink.Inspector inspector, NatConfig nat) {
        IoTransport transport = IoTransport.valueOf(io.toUpperCase(Locale.ROOT));
        if (!transport.isAvailable()) {
            dnsUpstream.close();
            throw new IllegalStateException(io + " is not available: " + transport.unavailabilityReason());
        }
        group = transport.newEventLoopGroup(1);
        network = JslirpNetwork.builder()
                .eventLoop(group.next(), transport.hostChannels())
                .dns(dnsUpstream.config())
                .nat(nat)
                .build();
        sink = new ReleasingSink(inspector);
        network.attach(sink);
    }

    /** The event loop everything runs on. */
    EventLoop eventLoop() {
        return network.eventLoop();
    }

    /** The core network: frames from the guest go to its {@link GuestNetwork#receiveFromGuest} (on the loop). */
    GuestNetwork guest() {
        return network.guest();
    }

    /** The counters of the network and its services. */
    NetworkStats stats() {
        return network.stats();
    }

    /** The guest's end. */
    ReleasingSink sink() {
        return sink;
    }

    /** Runs {@code task} on the loop and waits for its result (set-up and checks only: it allocates). */
    <T> T onLoop(Callable<T> task) {
        return eventLoop().submit(task).syncUninterruptibly().getNow();
    }

    /**
     * Fails if the core dropped any frame.
     *
     * @throws IllegalStateException naming the drops
     */
    void checkNoDrops() {
        if (stats().drops().total() != 0) {
            throw new IllegalStateException("the network dropped frames: " + stats().snapshot());
        }
    }

    /** Closes the network, its loop and the silent DNS upstream. */
    @Override
    public void close() {
        try {
            network.close();
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            dnsUpstream.close();
        }
    }
}
