package dev.jslirp.bench;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.SplittableRandom;

/**
 * Frames as a transport hands them to the network. The test kit's
 * {@link dev.jslirp.core.testkit.GuestFrames} builds them on the heap; a transport
 * hands over retained slices of pooled direct read buffers, so each template is copied
 * once into a pooled direct buffer and every operation passes
 * {@code template.retainedSlice()}: a recycled slice, as the stream decoder makes, which
 * the network releases.
 */
public final class Templates {
    private Templates() {
    }

    /** A pooled direct copy of {@code heapFrame}'s readable bytes; releases {@code heapFrame}. The caller owns the copy. */
    public static ByteBuf pooled(ByteBuf heapFrame) {
        try {
            ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(heapFrame.readableBytes());
            b.writeBytes(heapFrame, heapFrame.readerIndex(), heapFrame.readableBytes());
            return b;
        } finally {
            heapFrame.release();
        }
    }

    /** {@code n} bytes of fixed pseudo-random content (the same in every run). */
    public static byte[] payload(int n) {
        byte[] b = new byte[n];
        new SplittableRandom(0x6a736c69L).nextBytes(b);
        return b;
    }
}
