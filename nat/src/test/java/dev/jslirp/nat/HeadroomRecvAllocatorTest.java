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

    /**
     * The offset form survives what Netty's epoll unconnected read path does to a buffer:
     * read at the writer index, set the writer index to the byte count, hand on
     * {@code retainedSlice(readerIndex, count)} and release the buffer. What is handed on
     * still names the memory after the headroom, and {@link HeadroomRecvAllocator#withHeadroom}
     * gives that memory back without a copy.
     */
    @Test
    @SuppressWarnings("deprecation")
    void anOffsetViewSurvivesEpollsUnconnectedReadPathAndComesBackWithoutACopy() {
        HeadroomRecvAllocator a = HeadroomRecvAllocator.atOffset(58, new FixedRecvByteBufAllocator(1000));
        RecvByteBufAllocator.Handle h = a.newHandle();
        EmbeddedChannel ch = new EmbeddedChannel();
        try {
            h.reset(ch.config());
            ByteBuf view = h.allocate(POOLED);
            assertThat(view.readerIndex()).isZero();
            assertThat(view.writerIndex()).isZero();
            assertThat(view.writableBytes()).isEqualTo(1000);
            long base = view.memoryAddress();

            view.setBytes(view.writerIndex(), new byte[] {1, 2, 3, 4, 5});   // the kernel's read
            view.writerIndex(5);                                            // writerIndex(bytesReceived)
            ByteBuf content = view.retainedSlice(view.readerIndex(), 5);
            view.release();                                                 // Netty's finally
            assertThat(content.refCnt()).isEqualTo(1);
            assertThat(content.readableBytes()).isEqualTo(5);
            assertThat(HeadroomRecvAllocator.hasHeadroom(content, 58)).isTrue();

            ByteBuf frame = HeadroomRecvAllocator.withHeadroom(content, 58, POOLED);
            try {
                assertThat(frame.readerIndex()).isEqualTo(58);
                assertThat(frame.readableBytes()).isEqualTo(5);
                assertThat(frame.memoryAddress() + 58).as("the same memory, not a copy").isEqualTo(base);
                assertThat(ByteBufUtil.getBytes(frame)).containsExactly(1, 2, 3, 4, 5);
                frame.setByte(0, 0x45);   // headers go in front
            } finally {
                frame.release();
            }
            assertThat(frame.refCnt()).isZero();
            assertThat(content.refCnt()).as("the view and its buffer share one count").isZero();
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    @Test
    @SuppressWarnings("deprecation")
    void anOffsetViewReleasedUnreadFreesItsBuffer() {
        RecvByteBufAllocator.Handle h = HeadroomRecvAllocator.atOffset(58, new FixedRecvByteBufAllocator(100)).newHandle();
        EmbeddedChannel ch = new EmbeddedChannel();
        try {
            h.reset(ch.config());
            ByteBuf view = h.allocate(POOLED);
            assertThat(view.release()).isTrue();
            assertThat(view.refCnt()).isZero();
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
