package dev.jslirp.bench;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.stats.NetworkStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * A {@link GuestNetwork} on an {@link EmbeddedChannel}'s event loop, so one benchmark
 * operation is one synchronous call on the benchmark thread: no hand-off between
 * threads, nothing in the measurement but the network's own work.
 *
 * <p>The embedded loop runs a task only when asked. The network flushes its sink from a
 * task it schedules once per loop turn ({@link GuestNetwork#sendFrame}); {@link #send}
 * runs that task before it returns, so each operation is a whole loop turn: the frame
 * in, the replies out, one flush. Frames to the guest go to a {@link ReleasingSink}.
 *
 * <p>The clock is the loop's real one (not frozen), so timers behave as in production;
 * nothing the benchmarks do arms one in steady state.
 */
public final class EmbeddedNetwork implements AutoCloseable {
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final ReleasingSink sink = new ReleasingSink();
    private final GuestNetwork network;

    /** QEMU's default addressing, pooled direct buffers, and {@code services} in this order. */
    public EmbeddedNetwork(GuestService... services) {
        GuestNetwork.Builder b = GuestNetwork.builder(channel.eventLoop())
                .config(NetworkConfig.defaults())
                .alloc(PooledByteBufAllocator.DEFAULT);
        for (GuestService s : services) {
            b.service(s);
        }
        network = b.build();
        network.attach(sink);
    }

    /** Hands {@code frame} to the network (which releases it) and runs the loop turn it started. */
    public void send(ByteBuf frame) {
        network.receiveFromGuest(frame);
        runPendingTasks();
    }

    /** Runs the tasks queued on the loop (those the network or a harness scheduled). */
    public void runPendingTasks() {
        channel.runPendingTasks();
    }

    /** The network. */
    public GuestNetwork network() {
        return network;
    }

    /** The network's counters. */
    public NetworkStats stats() {
        return network.stats();
    }

    /** Where frames to the guest went. */
    public ReleasingSink sink() {
        return sink;
    }

    /**
     * Fails if the network dropped any frame: a benchmark that measured the drop path
     * instead of the path it names must not report a number.
     *
     * @throws IllegalStateException naming the drops
     */
    public void checkNoDrops() {
        if (network.stats().drops().total() != 0) {
            throw new IllegalStateException("the network dropped frames: " + network.stats().drops());
        }
    }

    /** Closes the network and the embedded channel. */
    @Override
    public void close() {
        network.close();
        channel.runPendingTasks();
        channel.finishAndReleaseAll();
    }
}
