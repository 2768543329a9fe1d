package dev.jslirp.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.MaxMessagesRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;
import java.util.Objects;

/**
 * A {@link RecvByteBufAllocator} that leaves {@code headroom} free bytes in front of
 * what a host channel reads, so the NAT can write the guest's headers (transport
 * prefix, Ethernet, IPv4, UDP or TCP) in front of the data and hand the very buffer
 * the kernel filled to the guest: no copy on the way from host to guest.
 *
 * <p>Each buffer comes from the channel's allocator, sized {@code headroom} plus the
 * wrapped allocator's guess, with reader and writer index at {@code headroom}; the
 * channel reads at the writer index, so the data lands after the headroom. Everything
 * else (how much to read, when to stop reading, messages per read) is the wrapped
 * allocator's: a {@link io.netty.channel.FixedRecvByteBufAllocator} of the largest
 * datagram for UDP, an {@link io.netty.channel.AdaptiveRecvByteBufAllocator} for a
 * byte stream.
 *
 * <p>Not every read path honours a buffer's writer index: Netty's epoll transport
 * reading an unconnected datagram socket ({@code EpollDatagramChannel.recvmsg}, 4.2.18)
 * sets the writer index to the byte count, as if reads started at 0, and fails on a
 * buffer with headroom. Use it where reads are known to start at the writer index
 * (NIO, connected epoll datagram sockets, stream sockets), and
 * {@link #withHeadroom} where they are not.
 *
 * <p>Set it per channel with {@code ChannelOption.RCVBUF_ALLOCATOR}. Buffers it
 * allocates are owned by the channel's read path as usual: the handler that receives
 * a message releases it or passes it on.
 */
public final class HeadroomRecvAllocator implements MaxMessagesRecvByteBufAllocator {
    private final int headroom;
    private final MaxMessagesRecvByteBufAllocator inner;

    /**
     * @param headroom bytes to leave free in front of the data, 0 or more
     * @param inner    decides how many bytes to read and how many reads per event
     */
    public HeadroomRecvAllocator(int headroom, MaxMessagesRecvByteBufAllocator inner) {
        if (headroom < 0) {
            throw new IllegalArgumentException("headroom " + headroom + " < 0");
        }
        this.headroom = headroom;
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    /** The bytes left free in front of the data of every buffer. */
    public int headroom() {
        return headroom;
    }

    /**
     * {@code data}'s bytes in a buffer with at least {@code headroom} free bytes before
     * its reader index: {@code data} itself if it has them (it was read with this
     * allocator), else a copy in a new buffer from {@code alloc}, for channels that
     * cannot read with headroom. Takes ownership of {@code data}; the caller owns the
     * result.
     */
    public static ByteBuf withHeadroom(ByteBuf data, int headroom, ByteBufAllocator alloc) {
        if (data.readerIndex() >= headroom) {
            return data;
        }
        try {
            int len = data.readableBytes();
            ByteBuf copy = alloc.ioBuffer(headroom + len);
            copy.setIndex(headroom, headroom);
            copy.writeBytes(data, data.readerIndex(), len);
            return copy;
        } finally {
            data.release();
        }
    }

    @Override
    @SuppressWarnings("deprecation")
    public Handle newHandle() {
        return new HeadroomHandle(inner.newHandle());
    }

    @Override
    public int maxMessagesPerRead() {
        return inner.maxMessagesPerRead();
    }

    @Override
    public HeadroomRecvAllocator maxMessagesPerRead(int maxMessagesPerRead) {
        inner.maxMessagesPerRead(maxMessagesPerRead);
        return this;
    }

    /**
     * Delegates to the wrapped handle except for the allocation. Implements
     * {@link ExtendedHandle} because datagram channels ask it whether to keep reading
     * after a datagram that did not fill the buffer (the wrapped handle says yes, up to
     * the messages-per-read bound; a plain {@link Handle} would stop after one).
     */
    @SuppressWarnings("deprecation")
    private final class HeadroomHandle extends DelegatingHandle implements ExtendedHandle {
        HeadroomHandle(Handle delegate) {
            super(delegate);
        }

        /** A buffer of {@code headroom + guess()} bytes, indices at {@code headroom}; the caller owns it. */
        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            int size = guess();
            ByteBuf buf = alloc.ioBuffer(headroom + size, headroom + size);
            buf.setIndex(headroom, headroom);
            return buf;
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            Handle d = delegate();
            return d instanceof ExtendedHandle
                    ? ((ExtendedHandle) d).continueReading(maybeMoreDataSupplier)
                    : d.continueReading();
        }
    }
}
