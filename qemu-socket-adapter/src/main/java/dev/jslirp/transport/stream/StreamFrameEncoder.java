package dev.jslirp.transport.stream;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;

/**
 * Puts QEMU's 4-byte big-endian length prefix in front of each frame written.
 *
 * <p>Frames the network originates leave {@link dev.jslirp.core.spi.FrameSink#HEADROOM}
 * bytes in front of their reader index: the prefix is written there and the reader
 * index moved back over it, so the frame goes out as one buffer, uncopied. A frame
 * without room in front (or read-only) gets a separate 4-byte prefix buffer; the two
 * leave in the same gathering write.
 *
 * <p>Ownership: each written frame passes to the next handler (and the channel), which
 * releases it once written or on failure; so does the prefix buffer.
 */
@ChannelHandler.Sharable
public final class StreamFrameEncoder extends ChannelOutboundHandlerAdapter {
    /** The one instance; it holds no state. */
    public static final StreamFrameEncoder INSTANCE = new StreamFrameEncoder();

    private StreamFrameEncoder() {
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf frame)) {
            ctx.write(msg, promise);
            return;
        }
        int length = frame.readableBytes();
        int start = frame.readerIndex();
        if (start >= StreamFrameDecoder.PREFIX && !frame.isReadOnly()) {
            frame.setInt(start - StreamFrameDecoder.PREFIX, length);
            frame.readerIndex(start - StreamFrameDecoder.PREFIX);
            ctx.write(frame, promise);
            return;
        }
        ByteBuf prefix = ctx.alloc().ioBuffer(StreamFrameDecoder.PREFIX).writeInt(length);
        ctx.write(prefix, ctx.voidPromise());
        ctx.write(frame, promise);
    }
}
