package dev.jslirp.bench;

import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.transport.TransportCounter;
import dev.jslirp.transport.stream.StreamFrameDecoder;
import dev.jslirp.transport.stream.StreamFrameEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The stream transport's framing (QEMU's 4-byte length prefix) on an
 * {@link EmbeddedChannel}, per frame.
 *
 * <ul>
 *   <li>{@link #decodeBatch}: one read of {@value #BATCH} length-prefixed frames of
 *       {@code frameSize} bytes through {@link StreamFrameDecoder} into a handler that
 *       releases each frame (the network's place). Each operation allocates the read
 *       buffer from the channel's allocator and copies the wire bytes in, as the socket
 *       read does, so the read-buffer cost is part of the measurement.</li>
 *   <li>{@link #encodeWithHeadroom}: a frame the network built ({@link FrameSink#HEADROOM}
 *       bytes free in front) through {@link StreamFrameEncoder}: the prefix is written
 *       into the headroom.</li>
 *   <li>{@link #encodeWithoutHeadroom}: a frame with no room in front, which gets a
 *       separate 4-byte prefix buffer from the channel's allocator.</li>
 * </ul>
 * {@code allocator} is the channel's: {@code adaptive} is Netty 4.2's default
 * ({@code ByteBufAllocator.DEFAULT}), {@code pooled} is
 * {@link PooledByteBufAllocator#DEFAULT}, the network's.
 */
public class StreamCodecBenchmark extends BenchmarkDefaults {
    /** Frames per read in {@link #decodeBatch}. */
    static final int BATCH = 32;

    /** Ethernet frame bytes: a minimal frame, and a full one at MTU 1500. */
    @Param({"60", "1514"})
    public int frameSize;

    /** The channel's allocator: {@code adaptive} (Netty's default) or {@code pooled}. */
    @Param({"adaptive", "pooled"})
    public String allocator;

    private EmbeddedChannel decoder;
    private EmbeddedChannel encoder;
    private final Releaser released = new Releaser();
    private byte[] wire;
    private ByteBuf frame;
    private long decodeOps;

    /** Builds both channels, the wire bytes of one read, and a frame with headroom. */
    @Setup
    public void setUp() {
        ByteBufAllocator alloc = "pooled".equals(allocator) ? PooledByteBufAllocator.DEFAULT : ByteBufAllocator.DEFAULT;
        decoder = new EmbeddedChannel(new StreamFrameDecoder(new Counters<>(TransportCounter.class)), released);
        decoder.config().setAllocator(alloc);
        encoder = new EmbeddedChannel(StreamFrameEncoder.INSTANCE);
        encoder.config().setAllocator(alloc);
        byte[] content = Templates.payload(frameSize);
        ByteBuf w = PooledByteBufAllocator.DEFAULT.heapBuffer(BATCH * (StreamFrameDecoder.PREFIX + frameSize));
        for (int i = 0; i < BATCH; i++) {
            w.writeInt(frameSize).writeBytes(content);
        }
        // A byte[], so that copying it into the read buffer allocates nothing itself
        // (copying from a direct ByteBuf into an adaptive buffer makes a ByteBuffer view).
        wire = ByteBufUtil.getBytes(w);
        w.release();
        frame = PooledByteBufAllocator.DEFAULT.directBuffer(FrameSink.HEADROOM + frameSize);
        frame.writerIndex(FrameSink.HEADROOM).readerIndex(FrameSink.HEADROOM);
        frame.writeBytes(content);
    }

    /** Checks every decoded frame arrived, then releases everything. */
    @TearDown
    public void tearDown() {
        try {
            if (released.frames != decodeOps * BATCH) {
                throw new IllegalStateException("decoded " + released.frames + " frames, expected " + decodeOps * BATCH);
            }
        } finally {
            frame.release();
            decoder.finishAndReleaseAll();
            encoder.finishAndReleaseAll();
        }
    }

    /** One read of {@value #BATCH} frames; reported per frame. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void decodeBatch() {
        ByteBuf read = decoder.alloc().ioBuffer(wire.length);
        read.writeBytes(wire);
        decoder.pipeline().fireChannelRead(read);
        decoder.pipeline().fireChannelReadComplete();
        decodeOps++;
    }

    /** A frame with headroom: the prefix goes in front of it, in the same buffer. */
    @Benchmark
    public int encodeWithHeadroom() {
        return writeAndDrain(frame.retainedDuplicate());
    }

    /** A frame without headroom: a separate prefix buffer goes out in front of it. */
    @Benchmark
    public int encodeWithoutHeadroom() {
        return writeAndDrain(frame.retainedSlice());
    }

    /** Writes and flushes {@code f}, then takes and releases what reached the channel; returns its bytes. */
    private int writeAndDrain(ByteBuf f) {
        encoder.write(f, encoder.voidPromise());
        encoder.flush();
        int bytes = 0;
        ByteBuf out;
        while ((out = encoder.readOutbound()) != null) {
            bytes += out.readableBytes();
            out.release();
        }
        if (bytes != StreamFrameDecoder.PREFIX + frameSize) {
            throw new IllegalStateException("encoded " + bytes + " bytes for a " + frameSize + "-byte frame");
        }
        return bytes;
    }

    /** Where decoded frames go: counted and released, as the network would. */
    private static final class Releaser extends ChannelInboundHandlerAdapter {
        long frames;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            frames++;
            ((ByteBuf) msg).release();
        }
    }
}
