package dev.jslirp.core.testkit;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.config.PortOptions;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.spi.HostChannels;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Several scripted guests on one {@link GuestNetwork}, each a port of its switch with a
 * {@link QueueSink} of its own, on an {@link EmbeddedChannel}'s loop with a frozen clock:
 * everything runs synchronously and {@link #advance} moves time. The many-guest
 * counterpart of {@link VirtualGuest}. Closing releases every frame left.
 */
public final class VirtualLan implements AutoCloseable {
    private final EmbeddedChannel loop = new EmbeddedChannel();
    private final GuestNetwork network;
    private final List<Guest> guests = new ArrayList<>();

    private VirtualLan(NetworkConfig config, GuestService... services) {
        loop.freezeTime();
        GuestNetwork.Builder b = GuestNetwork.builder(loop.eventLoop()).config(config).hostChannels(HostChannels.nio());
        for (GuestService s : services) {
            b.service(s);
        }
        network = b.build();
    }

    /** A network of {@code config} with {@code services} and no guest yet. */
    public static VirtualLan embedded(NetworkConfig config, GuestService... services) {
        return new VirtualLan(config, services);
    }

    /** As {@link #embedded(NetworkConfig, GuestService...)} with QEMU's defaults. */
    public static VirtualLan embedded(GuestService... services) {
        return new VirtualLan(NetworkConfig.defaults(), services);
    }

    /** The network. */
    public GuestNetwork network() {
        return network;
    }

    /** Attaches a guest with no restriction. */
    public Guest attach(String name) {
        return attach(PortOptions.named(name));
    }

    /** Attaches a guest whose port is treated as {@code options} say. */
    public Guest attach(PortOptions options) {
        QueueSink sink = new QueueSink();
        Guest g = new Guest(network.attach(sink, options), sink);
        guests.add(g);
        runPending();
        return g;
    }

    /** Runs queued tasks and due timers. */
    public void runPending() {
        loop.runPendingTasks();
        loop.runScheduledPendingTasks();
    }

    /** Moves the clock and runs what became due. */
    public void advance(Duration d) {
        loop.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
        runPending();
    }

    /** Fails unless no guest has a frame waiting; releases nothing it finds (fails first). */
    public void expectQuiet() {
        for (Guest g : guests) {
            g.expectNothing();
        }
    }

    @Override
    public void close() {
        network.close();
        runPending();
        loop.finishAndReleaseAll();
        for (Guest g : guests) {
            g.sink.releaseAll();
        }
    }

    /** One guest of the LAN: its port and what the network sent it. */
    public final class Guest {
        private final GuestPort port;
        private final QueueSink sink;

        private Guest(GuestPort port, QueueSink sink) {
            this.port = port;
            this.sink = sink;
        }

        /** The guest's port. */
        public GuestPort port() {
            return port;
        }

        /** The sink its frames land in (writability can be changed there). */
        public QueueSink sink() {
            return sink;
        }

        /** Hands a frame from this guest to the network (ownership passes) and runs what it queued. */
        public void send(ByteBuf frame) {
            network.receiveFromGuest(port, frame);
            runPending();
        }

        /** The next frame to this guest; fails if none is queued. The caller releases it. */
        public ByteBuf expectFrame() {
            runPending();
            ByteBuf f = sink.poll();
            if (f == null) {
                throw new AssertionError("expected a frame to " + port.name() + ", got none");
            }
            return f;
        }

        /** Frames queued for this guest. */
        public int pending() {
            runPending();
            return sink.size();
        }

        /** Fails if a frame to this guest is queued. */
        public void expectNothing() {
            runPending();
            ByteBuf f = sink.poll();
            if (f != null) {
                String hex = ByteBufUtil.hexDump(f);
                f.release();
                throw new AssertionError("expected no frame to " + port.name() + ", got " + hex);
            }
        }

        /** Releases every frame queued for this guest. */
        public void drain() {
            runPending();
            sink.releaseAll();
        }

        /** Makes the guest's transport unwritable or writable again, and tells the network. */
        public void writable(boolean w) {
            sink.setWritable(w);
            network.guestWritabilityChanged(port, w);
            runPending();
        }

        /** Detaches the guest (its transport went away). */
        public void detach() {
            network.detach(port);
            runPending();
        }
    }
}
