package dev.jslirp.core.testkit;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.spi.HostChannels;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A scripted guest attached to a {@link GuestNetwork}: frames in through
 * {@link #send}, frames out through {@link #expectFrame} / {@link #expectNothing}.
 *
 * <p>Two modes:
 * <ul>
 *   <li>{@link #embedded} runs the network on an {@link EmbeddedChannel}'s loop with
 *       a frozen clock: everything is synchronous and {@link #advance} moves time, for
 *       state machines and timers;</li>
 *   <li>{@link #onRealLoop} runs it on a real NIO event loop, for services that open
 *       host sockets (to peers the test starts on 127.0.0.1).</li>
 * </ul>
 * Closing releases every frame left and checks nothing leaked into the queue.
 */
public final class VirtualGuest implements AutoCloseable {
    private final EmbeddedChannel embedded;
    private final EventLoopGroup group;
    private final GuestNetwork network;
    private final QueueSink sink = new QueueSink();

    private VirtualGuest(EmbeddedChannel embedded, EventLoopGroup group, EventLoop loop, NetworkConfig config,
                         HostChannels hostChannels, ByteBufAllocator alloc, GuestService... services) {
        this.embedded = embedded;
        this.group = group;
        GuestNetwork.Builder b = GuestNetwork.builder(loop).config(config).hostChannels(hostChannels).alloc(alloc);
        for (GuestService s : services) {
            b.service(s);
        }
        this.network = b.build();
        network.attach(sink);
    }

    /** A network on a deterministic embedded loop with a frozen, test-driven clock. */
    public static VirtualGuest embedded(NetworkConfig config, GuestService... services) {
        return embedded(config, PooledByteBufAllocator.DEFAULT, services);
    }

    /** As {@link #embedded(NetworkConfig, GuestService...)} with the network's buffers from {@code alloc}. */
    public static VirtualGuest embedded(NetworkConfig config, ByteBufAllocator alloc, GuestService... services) {
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.freezeTime();
        return new VirtualGuest(ch, null, ch.eventLoop(), config, HostChannels.nio(), alloc, services);
    }

    /** As {@link #embedded(NetworkConfig, GuestService...)} with QEMU's defaults. */
    public static VirtualGuest embedded(GuestService... services) {
        return embedded(NetworkConfig.defaults(), services);
    }

    /** A network on its own NIO event loop, for services with host sockets. */
    public static VirtualGuest onRealLoop(NetworkConfig config, GuestService... services) {
        return onRealLoop(config, NioIoHandler.newFactory(), HostChannels.nio(), services);
    }

    /**
     * A network on its own event loop of another I/O handler (native epoll), whose host
     * sockets {@code hostChannels} makes; the group is shut down on {@link #close()},
     * also if the services fail to start.
     */
    public static VirtualGuest onRealLoop(NetworkConfig config, IoHandlerFactory io, HostChannels hostChannels,
                                          GuestService... services) {
        EventLoopGroup g = new MultiThreadIoEventLoopGroup(1, io);
        try {
            return new VirtualGuest(null, g, g.next(), config, hostChannels, PooledByteBufAllocator.DEFAULT, services);
        } catch (RuntimeException | Error e) {
            g.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            throw e;
        }
    }

    /** The network under test. */
    public GuestNetwork network() {
        return network;
    }

    /** The guest's port: the first attached to the network (after a re-attach, the new one). */
    public GuestPort port() {
        return network.port();
    }

    /** The sink frames to the guest land in. */
    public QueueSink sink() {
        return sink;
    }

    /** Hands a frame to the network (ownership passes) and, if embedded, runs what it queued. */
    public void send(ByteBuf frame) {
        network.receiveFromGuest(frame);
        runPending();
    }

    /**
     * Attaches another guest to the network, whose frames go to {@code other}: a second
     * port, for tests of what stays on each (see {@link VirtualLan} for many guests).
     */
    public GuestPort attachAnother(QueueSink other) {
        GuestPort[] p = new GuestPort[1];
        onLoop(() -> p[0] = network.attach(other));
        return p[0];
    }

    /** Hands a frame from the guest on {@code port} to the network and runs what it queued. */
    public void send(GuestPort port, ByteBuf frame) {
        network.receiveFromGuest(port, frame);
        runPending();
    }

    /** Runs queued tasks and due timers of the embedded loop. */
    public void runPending() {
        if (embedded != null) {
            embedded.runPendingTasks();
            embedded.runScheduledPendingTasks();
        }
    }

    /** Moves the embedded clock and runs what became due. */
    public void advance(Duration d) {
        if (embedded == null) {
            throw new IllegalStateException("time only moves on an embedded guest");
        }
        embedded.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
        runPending();
    }

    /** Runs {@code task} on the network's loop and waits for it. */
    public void onLoop(Runnable task) {
        if (embedded != null) {
            task.run();
            runPending();
        } else {
            network.eventLoop().submit(task).syncUninterruptibly();
        }
    }

    /** The next frame to the guest; fails if none arrives (in 5 s on a real loop). The caller releases it. */
    public ByteBuf expectFrame() {
        return expectFrame(Duration.ofSeconds(5));
    }

    /** The next frame to the guest within {@code timeout} (a real loop); the caller releases it. */
    public ByteBuf expectFrame(Duration timeout) {
        runPending();
        ByteBuf f = embedded != null ? sink.poll() : sink.poll(timeout.toMillis());
        if (f == null) {
            throw new AssertionError("expected a frame to the guest, got none");
        }
        return f;
    }

    /** Fails if a frame to the guest is queued (after {@code wait} on a real loop). */
    public void expectNothing(Duration wait) {
        runPending();
        ByteBuf f = embedded != null ? sink.poll() : sink.poll(wait.toMillis());
        if (f != null) {
            String hex = io.netty.buffer.ByteBufUtil.hexDump(f);
            f.release();
            throw new AssertionError("expected no frame to the guest, got " + hex);
        }
    }

    /** As {@link #expectNothing(Duration)} with 200 ms. */
    public void expectNothing() {
        expectNothing(Duration.ofMillis(200));
    }

    @Override
    public void close() {
        if (embedded != null) {
            network.close();
            runPending();
            embedded.finishAndReleaseAll();
        } else {
            network.close().syncUninterruptibly();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
        sink.releaseAll();
    }
}
