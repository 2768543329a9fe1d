package dev.jslirp.nat;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
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
}
