package dev.jslirp.nat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.WrappedByteBuf;
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
 * <h2>Two forms</h2>
 * <p>Not every read path honours a buffer's writer index: Netty's epoll transport
 * reading an unconnected datagram socket ({@code EpollDatagramChannel.recvmsg}, 4.2.18)
 * reads at the writer index but then sets the writer index to the byte count, as if
 * reads started at 0, and fails on a buffer with headroom. So there are two forms:
 * <ul>
 *   <li>{@link #HeadroomRecvAllocator(int, MaxMessagesRecvByteBufAllocator)}: the buffer
 *       itself, reader and writer index at {@code headroom}. Nothing allocated beyond the
 *       pooled buffer. For read paths that start at the writer index and advance it (NIO,
 *       connected epoll datagram sockets, stream sockets).</li>
 *   <li>{@link #atOffset}: a view whose index 0 lies {@code headroom} bytes into the
 *       pooled buffer (a {@link io.netty.buffer.ByteBuf#slice} in a small wrapper that
 *       {@link #withHeadroom} recognises), indices at 0, so any read path that reads at
 *       the writer index lands after the headroom, whatever it then does with the
 *       index. Costs the two small objects per read; for unconnected datagram sockets.</li>
 * </ul>
 * {@link #withHeadroom} turns what either read into the buffer with the headroom in
 * front, and copies what neither did.
 *
 * <p>Set it per channel with {@code ChannelOption.RCVBUF_ALLOCATOR}. Buffers it
 * allocates are owned by the channel's read path as usual: the handler that receives
 * a message releases it or passes it on.
 */
public final class HeadroomRecvAllocator implements MaxMessagesRecvByteBufAllocator {
    private final int headroom;
    private final MaxMessagesRecvByteBufAllocator inner;
    private final boolean offsetView;

    /**
     * Buffers with reader and writer index at {@code headroom}.
     *
     * @param headroom bytes to leave free in front of the data, 0 or more
     * @param inner    decides how many bytes to read and how many reads per event
     */
    public HeadroomRecvAllocator(int headroom, MaxMessagesRecvByteBufAllocator inner) {
        this(headroom, inner, false);
    }

    private HeadroomRecvAllocator(int headroom, MaxMessagesRecvByteBufAllocator inner, boolean offsetView) {
        if (headroom < 0) {
            throw new IllegalArgumentException("headroom " + headroom + " < 0");
        }
        this.headroom = headroom;
        this.inner = Objects.requireNonNull(inner, "inner");
        this.offsetView = offsetView;
    }

    /**
     * Views that start {@code headroom} bytes into their buffer, for read paths that do not
     * honour the writer index (see the class comment).
     */
    public static HeadroomRecvAllocator atOffset(int headroom, MaxMessagesRecvByteBufAllocator inner) {
        return new HeadroomRecvAllocator(headroom, inner, true);
    }

    /** The bytes left free in front of the data of every buffer. */
    public int headroom() {
        return headroom;
    }

    /**
     * True if {@link #withHeadroom} hands {@code data}'s own memory on rather than a copy:
     * it was read with (at least) {@code headroom} in front, in either form.
     */
    public static boolean hasHeadroom(ByteBuf data, int headroom) {
        return data.readerIndex() >= headroom
                || (data instanceof OffsetView && ((OffsetView) data).offset + data.readerIndex() >= headroom);
    }

    /**
     * {@code data}'s bytes in a buffer with at least {@code headroom} free bytes before
     * its reader index: {@code data} itself if it has them (it was read with this
     * allocator), the buffer under it if it is an {@link #atOffset} view with as much
     * headroom, else a copy in a new buffer from {@code alloc}, for channels that cannot
     * read with headroom. Takes ownership of {@code data}; the caller owns the result.
     */
    public static ByteBuf withHeadroom(ByteBuf data, int headroom, ByteBufAllocator alloc) {
        if (data.readerIndex() >= headroom) {
            return data;
        }
        if (data instanceof OffsetView && ((OffsetView) data).offset + data.readerIndex() >= headroom) {
            // The view shares its buffer's reference count: handing on the buffer hands on the reference.
            OffsetView v = (OffsetView) data;
            int from = v.offset + v.readerIndex();
            int to = v.offset + v.writerIndex();
            return v.root.setIndex(from, to);
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

        /**
         * A buffer of {@code headroom + guess()} bytes, indices at {@code headroom}, or the
         * view of its last {@code guess()} bytes; the caller owns it.
         */
        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            int size = guess();
            ByteBuf buf = alloc.ioBuffer(headroom + size, headroom + size);
            buf.setIndex(headroom, headroom);
            return offsetView ? new OffsetView(buf, headroom, size) : buf;
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            Handle d = delegate();
            return d instanceof ExtendedHandle
                    ? ((ExtendedHandle) d).continueReading(maybeMoreDataSupplier)
                    : d.continueReading();
        }
    }

    /**
     * {@code size} bytes of {@code root} from {@code offset}, indices at 0: a slice (which
     * shares {@code root}'s reference count and leak record, so releasing either releases
     * both), wrapped so that {@link #withHeadroom} knows the buffer and the offset under it.
     *
     * <p>Netty's epoll read path hands on {@code retainedSlice(readerIndex, bytesRead)} of the
     * buffer it read into and then releases that buffer. A view answers that with itself,
     * retained and its indices set to the slice's: the read is handed on in the same view,
     * one reference left, and no object more per datagram. Only the NAT's own read paths ever
     * see a view.
     */
    private static final class OffsetView extends WrappedByteBuf {
        final ByteBuf root;
        final int offset;

        OffsetView(ByteBuf root, int offset, int size) {
            super(root.slice(offset, size).clear());
            this.root = root;
            this.offset = offset;
        }

        @Override
        public ByteBuf retainedSlice() {
            return retainedSlice(readerIndex(), readableBytes());
        }

        @Override
        public ByteBuf retainedSlice(int index, int length) {
            if (index < 0 || length < 0 || index > capacity() - length) {
                throw new IndexOutOfBoundsException("index " + index + ", length " + length + ", capacity " + capacity());
            }
            retain();
            setIndex(index, index + length);
            return this;
        }
    }
}
