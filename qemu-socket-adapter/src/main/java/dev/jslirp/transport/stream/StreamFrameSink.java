package dev.jslirp.transport.stream;

import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.transport.ChannelFrameSink;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.TransportCounter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

/**
 * Frames for the guest onto a stream connection to QEMU; the pipeline's
 * {@link StreamFrameEncoder} prefixes each with its length.
 */
final class StreamFrameSink extends ChannelFrameSink {
    StreamFrameSink(Channel channel, GuestNetwork network, Counters<TransportCounter> counters, LinkBuffers buffers) {
        super(channel, network, counters, buffers);
    }

    /** The frame itself; one QEMU would reject (and drop the connection for) is dropped here instead. */
    @Override
    protected Object toMessage(ByteBuf frame) {
        if (frame.readableBytes() > StreamFrameDecoder.MAX_FRAME) {
            counters().increment(TransportCounter.OVERSIZED_TO_GUEST);
            frame.release();
            return null;
        }
        return frame;
    }
}
