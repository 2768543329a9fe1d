package dev.jslirp.transport;

import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.stats.Counters;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;

/**
 * A {@link FrameSink} writing the network's frames for the guest to one Netty channel
 * towards QEMU: frames are written as they come and flushed once per event-loop turn
 * (the network calls {@link #flush()}), so a burst costs one {@code writev}.
 *
 * <p>Writability follows the channel's write-buffer water marks ({@link LinkBuffers});
 * the transport's handler calls {@link #writabilityChanged()} when they are crossed,
 * which tells the network's services. Frames beyond {@link LinkBuffers#maxQueuedBytes()}
 * are dropped and counted.
 *
 * <p>Used on the channel's event loop, which is the network's.
 */
public abstract class ChannelFrameSink implements FrameSink {
    private final Channel channel;
    private final GuestNetwork network;
    private final Counters<TransportCounter> counters;
    private final long maxQueuedBytes;
    private GuestPort port;
    private long dropped;

    /**
     * @param channel        the channel to QEMU, on the network's event loop, with the
     *                       water marks of {@code buffers} set
     * @param network        the network told about writability changes
     * @param counters       the transport's counters
     * @param buffers        the queue bound
     */
    protected ChannelFrameSink(Channel channel, GuestNetwork network, Counters<TransportCounter> counters,
                               LinkBuffers buffers) {
        this.channel = channel;
        this.network = network;
        this.counters = counters;
        this.maxQueuedBytes = buffers.maxQueuedBytes();
    }

    /**
     * Queues {@code frame} for QEMU; releases it if it is dropped (channel gone, queue
     * full, or refused by {@link #toMessage}). Ownership passes to the channel, which
     * releases it once written.
     */
    @Override
    public final void send(ByteBuf frame) {
        // The channel's own outbound buffer is the one queue; its pending byte count is
        // what the water marks act on, so the hard bound reads the same number. It is
        // null once the channel is closed.
        ChannelOutboundBuffer queue = channel.unsafe().outboundBuffer();
        if (queue == null || !channel.isActive()) {
            counters.increment(TransportCounter.NO_PEER);
            dropped++;
            frame.release();
            return;
        }
        if (queue.totalPendingWriteBytes() + frame.readableBytes() > maxQueuedBytes) {
            counters.increment(TransportCounter.QUEUE_FULL);
            dropped++;
            frame.release();
            return;
        }
        Object msg = toMessage(frame);
        if (msg != null) {
            channel.write(msg, channel.voidPromise());
        }
    }

    @Override
    public final void flush() {
        channel.flush();
    }

    @Override
    public final boolean isWritable() {
        return channel.isWritable();
    }

    @Override
    public final long queuedBytes() {
        ChannelOutboundBuffer queue = channel.unsafe().outboundBuffer();
        return queue == null ? 0 : queue.totalPendingWriteBytes();
    }

    @Override
    public final long droppedFrames() {
        return dropped;
    }

    /** The network port this sink was attached as: writability changes are told for it. */
    final void attachedAs(GuestPort p) {
        this.port = p;
    }

    /** The channel to QEMU. */
    public final Channel channel() {
        return channel;
    }

    /** The transport's counters. */
    protected final Counters<TransportCounter> counters() {
        return counters;
    }

    /** Call when the channel's writability changed: counts and tells the network's services, for this port. */
    public final void writabilityChanged() {
        boolean writable = channel.isWritable();
        if (!writable) {
            counters.increment(TransportCounter.BECAME_UNWRITABLE);
        }
        if (port != null) {
            network.guestWritabilityChanged(port, writable);
        }
    }

    /**
     * The message to write for {@code frame} (the frame itself, or an envelope that
     * owns it), or null after releasing {@code frame} and counting why it was dropped.
     */
    protected abstract Object toMessage(ByteBuf frame);
}
