package dev.jslirp.bench;

import dev.jslirp.core.spi.FrameSink;
import io.netty.buffer.ByteBuf;

/**
 * The guest end of a benchmarked network: counts the frames the network sends and
 * releases them at once, as a transport does once it has written them. An optional
 * {@link Inspector} reads each frame first (a scripted TCP guest tracks sequence
 * numbers that way).
 *
 * <p>Called on the network's event loop; {@link #frames()} may be read and awaited
 * from any thread.
 */
public final class ReleasingSink implements FrameSink {
    /** Reads a frame before the sink releases it; must not keep it. */
    @FunctionalInterface
    public interface Inspector {
        /** {@code frame} is the Ethernet frame, {@code [readerIndex, writerIndex)}; valid during the call only. */
        void inspect(ByteBuf frame);

        /** The network flushed: the end of a batch of frames. */
        default void flushed() {
        }
    }

    private final Progress frames = new Progress();
    private final Inspector inspector;
    private long bytes;
    private long flushes;

    /** A sink that only counts and releases. */
    public ReleasingSink() {
        this(null);
    }

    /** A sink that shows each frame to {@code inspector} before releasing it. */
    public ReleasingSink(Inspector inspector) {
        this.inspector = inspector;
    }

    /** Counts {@code frame} and releases it (the sink owns it). */
    @Override
    public void send(ByteBuf frame) {
        try {
            bytes += frame.readableBytes();
            if (inspector != null) {
                inspector.inspect(frame);
            }
        } finally {
            frame.release();
        }
        frames.advance(1);
    }

    @Override
    public void flush() {
        flushes++;
        if (inspector != null) {
            inspector.flushed();
        }
    }

    /** Frames received so far; await it to wait for frames from a real loop. */
    public Progress frames() {
        return frames;
    }

    /** Bytes of those frames (read on the loop, or once the loop is idle). */
    public long bytes() {
        return bytes;
    }

    /** Flushes so far (read on the loop, or once the loop is idle). */
    public long flushes() {
        return flushes;
    }
}
