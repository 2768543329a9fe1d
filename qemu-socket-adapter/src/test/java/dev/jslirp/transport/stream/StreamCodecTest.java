package dev.jslirp.transport.stream;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.transport.TransportCounter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The length-prefix framing of QEMU's stream protocol, on an embedded channel. */
class StreamCodecTest {
    private final Counters<TransportCounter> counters = new Counters<>(TransportCounter.class);

    private EmbeddedChannel decoderChannel() {
        return new EmbeddedChannel(new StreamFrameDecoder(counters));
    }

    /** {@code length} bytes counting up from {@code seed}. */
    private static byte[] payload(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (seed + i);
        }
        return b;
    }

    /** The wire bytes of {@code frames}: each prefixed by its length. */
    private static ByteBuf wire(byte[]... frames) {
        ByteBuf b = Unpooled.buffer();
        for (byte[] f : frames) {
            b.writeInt(f.length).writeBytes(f);
        }
        return b;
    }

    private static byte[] bytesOf(ByteBuf b) {
        return ByteBufUtil.getBytes(b);
    }

    @Test
    void frameSplitAcrossManyReadsIsDecodedOnceComplete() {
        EmbeddedChannel ch = decoderChannel();
        byte[] frame = payload(60, 1);
        ByteBuf all = wire(frame);
        List<ByteBuf> pieces = new ArrayList<>();
        while (all.isReadable()) {
            pieces.add(all.readRetainedSlice(Math.min(7, all.readableBytes())));
        }
        all.release();
        for (int i = 0; i < pieces.size() - 1; i++) {
            ch.writeInbound(pieces.get(i));
            assertThat(ch.<Object>readInbound()).as("no frame before its last byte").isNull();
        }
        ch.writeInbound(pieces.get(pieces.size() - 1));
        ByteBuf out = ch.readInbound();
        assertThat(bytesOf(out)).isEqualTo(frame);
        out.release();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void framesMergedInOneReadAreZeroCopySlicesOfIt() {
        EmbeddedChannel ch = decoderChannel();
        byte[] a = payload(42, 10);
        byte[] b = payload(1514, 20);
        ByteBuf in = PooledByteBufAllocator.DEFAULT.directBuffer();
        ByteBuf w = wire(a, b);
        in.writeBytes(w);
        w.release();
        ch.writeInbound(in);
        ByteBuf fa = ch.readInbound();
        ByteBuf fb = ch.readInbound();
        assertThat(bytesOf(fa)).isEqualTo(a);
        assertThat(bytesOf(fb)).isEqualTo(b);
        // Same memory as the read buffer: slices, not copies.
        assertThat(fa.memoryAddress()).isEqualTo(in.memoryAddress() + 4);
        assertThat(fb.memoryAddress()).isEqualTo(in.memoryAddress() + 4 + 42 + 4);
        assertThat(in.refCnt()).isPositive();
        fa.release();
        fb.release();
        assertThat(in.refCnt()).as("the read buffer is freed once the frames are").isZero();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void frameFollowedByPartOfTheNextKeepsTheRemainder() {
        EmbeddedChannel ch = decoderChannel();
        byte[] a = payload(60, 1);
        byte[] b = payload(100, 2);
        ByteBuf w = wire(a, b);
        ch.writeInbound(w.readRetainedSlice(4 + 60 + 4 + 30));
        ByteBuf fa = ch.readInbound();
        assertThat(bytesOf(fa)).isEqualTo(a);
        fa.release();
        assertThat(ch.<Object>readInbound()).isNull();
        ch.writeInbound(w);
        ByteBuf fb = ch.readInbound();
        assertThat(bytesOf(fb)).isEqualTo(b);
        fb.release();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void frameOfExactlyQemusLimitIsAccepted() {
        EmbeddedChannel ch = decoderChannel();
        byte[] big = payload(StreamFrameDecoder.MAX_FRAME, 3);
        ch.writeInbound(wire(big));
        ByteBuf f = ch.readInbound();
        assertThat(f.readableBytes()).isEqualTo(4096 + 65536);
        assertThat(bytesOf(f)).isEqualTo(big);
        f.release();
        assertThat(ch.isOpen()).isTrue();
        assertThat(counters.get(TransportCounter.OVERSIZED_FRAMES)).isZero();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void lengthOverQemusLimitIsCountedAndClosesTheConnection() {
        EmbeddedChannel ch = decoderChannel();
        ByteBuf in = Unpooled.buffer().writeInt(StreamFrameDecoder.MAX_FRAME + 1).writeZero(100);
        ch.writeInbound(in);
        assertThat(ch.<Object>readInbound()).isNull();
        assertThat(ch.isOpen()).isFalse();
        assertThat(counters.get(TransportCounter.OVERSIZED_FRAMES)).isEqualTo(1);
        assertThat(in.refCnt()).isZero();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void hugeLengthWithTopBitSetIsOversizedNotNegative() {
        EmbeddedChannel ch = decoderChannel();
        ch.writeInbound(Unpooled.buffer().writeInt(0xffff_fff0).writeZero(8));
        assertThat(ch.isOpen()).isFalse();
        assertThat(counters.get(TransportCounter.OVERSIZED_FRAMES)).isEqualTo(1);
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void zeroLengthIsCountedAndSkipped() {
        EmbeddedChannel ch = decoderChannel();
        byte[] a = payload(60, 5);
        ByteBuf in = Unpooled.buffer().writeInt(0);
        ByteBuf w = wire(a);
        in.writeBytes(w);
        w.release();
        ch.writeInbound(in);
        ByteBuf f = ch.readInbound();
        assertThat(bytesOf(f)).isEqualTo(a);
        f.release();
        assertThat(counters.get(TransportCounter.ZERO_LENGTH_FRAMES)).isEqualTo(1);
        assertThat(ch.isOpen()).isTrue();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void encoderWritesThePrefixIntoTheHeadroomWithoutCopying() {
        EmbeddedChannel ch = new EmbeddedChannel(StreamFrameEncoder.INSTANCE);
        byte[] body = payload(60, 7);
        ByteBuf frame = PooledByteBufAllocator.DEFAULT.directBuffer(FrameSink.HEADROOM + 60);
        frame.setIndex(FrameSink.HEADROOM, FrameSink.HEADROOM).writeBytes(body);
        ch.writeOutbound(frame);
        ByteBuf out = ch.readOutbound();
        assertThat(out).as("the frame itself goes out").isSameAs(frame);
        assertThat(out.readerIndex()).isEqualTo(FrameSink.HEADROOM - 4);
        assertThat(out.readInt()).isEqualTo(60);
        assertThat(bytesOf(out)).isEqualTo(body);
        assertThat(ch.<Object>readOutbound()).isNull();
        out.release();
        assertThat(frame.refCnt()).isZero();
        assertThat(ch.finish()).isFalse();
    }

    /**
     * A large TCP segment to the guest is its headers plus an uncopied slice of the host
     * data, one composite buffer: the prefix still goes into the headers' headroom.
     */
    @Test
    void encoderWritesThePrefixIntoTheHeadroomOfACompositeFrame() {
        EmbeddedChannel ch = new EmbeddedChannel(StreamFrameEncoder.INSTANCE);
        byte[] headers = payload(54, 3);
        byte[] data = payload(20_000, 5);
        ByteBuf head = PooledByteBufAllocator.DEFAULT.directBuffer(FrameSink.HEADROOM + headers.length);
        head.writerIndex(FrameSink.HEADROOM).writeBytes(headers);
        ByteBuf body = PooledByteBufAllocator.DEFAULT.directBuffer(data.length).writeBytes(data);
        ByteBuf frame = PooledByteBufAllocator.DEFAULT.compositeDirectBuffer(2).addComponents(true, head, body);
        frame.readerIndex(FrameSink.HEADROOM);
        ch.writeOutbound(frame);
        ByteBuf out = ch.readOutbound();
        assertThat(out).as("the composite itself goes out, no separate prefix").isSameAs(frame);
        assertThat(out.readInt()).isEqualTo(headers.length + data.length);
        assertThat(bytesOf(out.readSlice(headers.length))).isEqualTo(headers);
        assertThat(bytesOf(out)).isEqualTo(data);
        assertThat(ch.<Object>readOutbound()).isNull();
        out.release();
        assertThat(head.refCnt()).isZero();
        assertThat(body.refCnt()).isZero();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void encoderFallsBackToASeparatePrefixWithoutHeadroom() {
        EmbeddedChannel ch = new EmbeddedChannel(StreamFrameEncoder.INSTANCE);
        byte[] body = payload(42, 9);
        ByteBuf frame = Unpooled.buffer(42).writeBytes(body);
        ch.writeOutbound(frame);
        ByteBuf prefix = ch.readOutbound();
        ByteBuf out = ch.readOutbound();
        assertThat(prefix.readableBytes()).isEqualTo(4);
        assertThat(prefix.getInt(prefix.readerIndex())).isEqualTo(42);
        assertThat(out).isSameAs(frame);
        assertThat(bytesOf(out)).isEqualTo(body);
        prefix.release();
        out.release();
        assertThat(prefix.refCnt()).isZero();
        assertThat(frame.refCnt()).isZero();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void encoderDoesNotWriteIntoAReadOnlyFrame() {
        EmbeddedChannel ch = new EmbeddedChannel(StreamFrameEncoder.INSTANCE);
        ByteBuf backing = Unpooled.buffer(FrameSink.HEADROOM + 20);
        backing.setIndex(FrameSink.HEADROOM, FrameSink.HEADROOM).writeBytes(payload(20, 1));
        ByteBuf readOnly = backing.asReadOnly();
        ch.writeOutbound(readOnly);
        ByteBuf prefix = ch.readOutbound();
        ByteBuf out = ch.readOutbound();
        assertThat(prefix.readInt()).isEqualTo(20);
        assertThat(out.readerIndex()).isEqualTo(FrameSink.HEADROOM);
        assertThat(backing.getInt(FrameSink.HEADROOM - 4)).as("headroom untouched").isZero();
        prefix.release();
        out.release();
        assertThat(backing.refCnt()).isZero();
        assertThat(ch.finish()).isFalse();
    }

    @Test
    void encodedFramesDecodeBackToTheSameBytes() {
        EmbeddedChannel enc = new EmbeddedChannel(StreamFrameEncoder.INSTANCE);
        EmbeddedChannel dec = decoderChannel();
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            byte[] body = payload(14 + i * 97, i);
            sent.add(body);
            ByteBuf f = Unpooled.buffer(FrameSink.HEADROOM + body.length);
            f.setIndex(i % 2 == 0 ? FrameSink.HEADROOM : 0, i % 2 == 0 ? FrameSink.HEADROOM : 0).writeBytes(body);
            enc.write(f);
        }
        enc.flush();
        ByteBuf stream = Unpooled.buffer();
        ByteBuf piece;
        while ((piece = enc.readOutbound()) != null) {
            stream.writeBytes(piece);
            piece.release();
        }
        dec.writeInbound(stream);
        for (byte[] body : sent) {
            ByteBuf f = dec.readInbound();
            assertThat(bytesOf(f)).isEqualTo(body);
            f.release();
        }
        assertThat(stream.refCnt()).isZero();
        assertThat(enc.finish()).isFalse();
        assertThat(dec.finish()).isFalse();
    }
}
