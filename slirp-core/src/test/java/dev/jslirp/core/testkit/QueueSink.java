package dev.jslirp.core.testkit;

import dev.jslirp.core.spi.FrameSink;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A {@link FrameSink} that queues frames for a test to take. Frames taken are owned by
 * the test; {@link #releaseAll()} releases the ones left. Thread-safe, so a test can
 * read what a network on a real event loop sends.
 */
public final class QueueSink implements FrameSink {
    private final LinkedBlockingQueue<ByteBuf> frames = new LinkedBlockingQueue<>();
    private volatile boolean writable = true;
    private volatile boolean completesTcpChecksums;
    private volatile int maxTcpSegment;
    private volatile int flushes;

    @Override
    public void send(ByteBuf frame) {
        frames.add(frame);
    }

    @Override
    public void flush() {
        flushes++;
    }

    @Override
    public boolean isWritable() {
        return writable;
    }

    @Override
    public boolean completesTcpChecksums() {
        return completesTcpChecksums;
    }

    /** Makes {@link #completesTcpChecksums()} return {@code c}, as a tap with virtio-net headers would. */
    public void setCompletesTcpChecksums(boolean c) {
        this.completesTcpChecksums = c;
    }

    @Override
    public int maxTcpSegment() {
        return maxTcpSegment;
    }

    /** Makes {@link #maxTcpSegment()} return {@code max}, as a tap with segmentation offload would. */
    public void setMaxTcpSegment(int max) {
        this.maxTcpSegment = max;
    }

    /** Makes {@link #isWritable()} return {@code w} (the caller notifies the network). */
    public void setWritable(boolean w) {
        this.writable = w;
    }

    /** How many times the network flushed. */
    public int flushes() {
        return flushes;
    }

    /** The next frame, or null if none is queued. */
    public ByteBuf poll() {
        return frames.poll();
    }

    /** The next frame, waiting up to {@code timeoutMs}; null if none came. */
    public ByteBuf poll(long timeoutMs) {
        try {
            return frames.poll(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Frames queued. */
    public int size() {
        return frames.size();
    }

    /** Releases every queued frame. */
    public void releaseAll() {
        ByteBuf f;
        while ((f = frames.poll()) != null) {
            f.release();
        }
    }
}
