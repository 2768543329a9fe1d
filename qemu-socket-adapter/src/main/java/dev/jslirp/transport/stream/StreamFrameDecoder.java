package dev.jslirp.transport.stream;

import dev.jslirp.core.stats.Counters;
import dev.jslirp.transport.TransportCounter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits QEMU's stream into Ethernet frames: each frame is preceded by its length as
 * a 4-byte big-endian integer that does not count itself (QEMU's {@code net_fill_rstate}
 * in net/net.c, shared by {@code -netdev stream} and {@code -netdev socket}), with no
 * virtio-net header.
 *
 * <p>Frames are retained slices of the read buffer, not copies (a frame split across
 * reads is the one case where the bytes are merged first). Each frame passed on is
 * owned by the next handler, which releases it.
 *
 * <p>Limits, as QEMU's reader: a length over {@link #MAX_FRAME} is counted
 * ({@link TransportCounter#OVERSIZED_FRAMES}) and closes the connection (QEMU prints
 * "oversized packet received, connection terminated" and drops it). A zero length is
 * counted ({@link TransportCounter#ZERO_LENGTH_FRAMES}) and skipped: QEMU hands such an
 * empty packet on rather than closing, and jslirp has nothing to hand on.
 */
public final class StreamFrameDecoder extends LengthFieldBasedFrameDecoder {
    /** Bytes of the length prefix. */
    public static final int PREFIX = 4;
    /**
     * Longest frame QEMU reads or jslirp accepts: {@code NET_BUFSIZE} in QEMU's
     * include/net/net.h, "Maximum GSO packet size (64k) plus plenty of room for the
     * ethernet and virtio_net headers", 4096 + 65536 bytes.
     */
    public static final int MAX_FRAME = 4096 + 65536;

    private static final Logger LOG = LoggerFactory.getLogger(StreamFrameDecoder.class);

    private final Counters<TransportCounter> counters;
    private boolean failed;

    /** A decoder counting into {@code counters}. */
    public StreamFrameDecoder(Counters<TransportCounter> counters) {
        super(MAX_FRAME + PREFIX, 0, PREFIX, 0, PREFIX, true);
        this.counters = counters;
    }

    /**
     * Returns the next frame as a retained slice of {@code in}, or null if it is not
     * complete yet (or was skipped). Checks the length before the superclass does, so
     * that an oversized length is QEMU's fatal error rather than Netty's
     * discard-and-continue.
     */
    @Override
    protected Object decode(ChannelHandlerContext ctx, ByteBuf in) throws Exception {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return null;
        }
        if (in.readableBytes() < PREFIX) {
            return null;
        }
        long length = in.getUnsignedInt(in.readerIndex());
        if (length > MAX_FRAME) {
            failed = true;
            counters.increment(TransportCounter.OVERSIZED_FRAMES);
            LOG.warn("frame length {} from {} exceeds QEMU's limit of {} bytes; closing the connection", length,
                    ctx.channel().remoteAddress(), MAX_FRAME);
            in.skipBytes(in.readableBytes());
            ctx.close();
            return null;
        }
        if (length == 0) {
            counters.increment(TransportCounter.ZERO_LENGTH_FRAMES);
            in.skipBytes(PREFIX);
            return null;
        }
        return super.decode(ctx, in);
    }
}
