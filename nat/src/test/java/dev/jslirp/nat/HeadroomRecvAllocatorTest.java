package dev.jslirp.nat;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.UncheckedBooleanSupplier;
import org.junit.jupiter.api.Test;

class HeadroomRecvAllocatorTest {
    @Test
    @SuppressWarnings("deprecation")
    void buffersLeaveTheHeadroomFreeBeforeTheGuess() {
        HeadroomRecvAllocator a = new HeadroomRecvAllocator(58, new FixedRecvByteBufAllocator(1000));
        RecvByteBufAllocator.Handle h = a.newHandle();
        EmbeddedChannel ch = new EmbeddedChannel();
        try {
            h.reset(ch.config());
            ByteBuf b = h.allocate(UnpooledByteBufAllocator.DEFAULT);
            try {
                assertThat(b.readerIndex()).isEqualTo(58);
                assertThat(b.writerIndex()).isEqualTo(58);
                assertThat(b.writableBytes()).isEqualTo(1000);
                assertThat(b.maxCapacity()).isEqualTo(1058);
            } finally {
                b.release();
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    @SuppressWarnings("deprecation")
    void datagramReadsGoOnAfterAShortDatagramUpToTheMessageBound() {
        HeadroomRecvAllocator a = new HeadroomRecvAllocator(58, new FixedRecvByteBufAllocator(1000)).maxMessagesPerRead(3);
        RecvByteBufAllocator.ExtendedHandle h = (RecvByteBufAllocator.ExtendedHandle) a.newHandle();
        EmbeddedChannel ch = new EmbeddedChannel();
        try {
            h.reset(ch.config());
            for (int i = 0; i < 3; i++) {
                h.attemptedBytesRead(1000);
                h.lastBytesRead(100);   // a datagram shorter than the buffer
                h.incMessagesRead(1);
                // The plain check reads "buffer not filled" as "no more data"; datagram channels ask the extended one.
                assertThat(h.continueReading()).isFalse();
                assertThat(h.continueReading(UncheckedBooleanSupplier.TRUE_SUPPLIER)).isEqualTo(i < 2);
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    private static final PooledByteBufAllocator POOLED = PooledByteBufAllocator.DEFAULT;

    /** A pooled direct buffer holding {@code data} after {@code headroom} free bytes, as a read leaves it. */
    private static ByteBuf read(int headroom, byte[] data) {
        ByteBuf b = POOLED.directBuffer(headroom + data.length);
        b.setIndex(headroom, headroom);
        b.writeBytes(data);
        return b;
    }

    @Test
    void aBufferWithHeadroomIsKept() {
        ByteBuf b = read(58, new byte[] {1, 2, 3});
        ByteBuf out = HeadroomRecvAllocator.withHeadroom(b, 58, POOLED);
        assertThat(out).isSameAs(b);
        out.release();
    }

    @Test
    void aBufferWithoutHeadroomIsCopied() {
        ByteBuf heap = Unpooled.wrappedBuffer(new byte[] {9, 8});
        ByteBuf out = HeadroomRecvAllocator.withHeadroom(heap, 58, POOLED);
        try {
            assertThat(out.readerIndex()).isEqualTo(58);
            assertThat(ByteBufUtil.getBytes(out)).containsExactly(9, 8);
            assertThat(heap.refCnt()).isZero();
        } finally {
            out.release();
        }
    }
}
