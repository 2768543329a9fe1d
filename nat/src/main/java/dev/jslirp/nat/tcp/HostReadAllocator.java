package dev.jslirp.nat.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * Sizes host reads by the room a flow has left for unacknowledged data
 * ({@link HostHalf#readSpace()}): Netty's adaptive guess, capped so one read never
 * overshoots the flow's buffer, and a read batch that stops once the buffer is full.
 * This is what keeps host-to-guest memory per flow bounded by configuration even while
 * a read batch is under way.
 *
 * <h2>Reads with no room</h2>
 * <p>One transport reads anyway: Netty's epoll transport, once the host half-closed
 * (EPOLLRDHUP), reads the socket to its end in one batch, whatever
 * {@link #newHandle() continueReading} says, and a read of zero bytes would count as
 * the end of the stream. What it reads then is what the kernel still held for the
 * socket, bounded by the socket's receive buffer; it is read in {@value #DRAIN_READ}-byte
 * buffers, so that the batch takes a few reads rather than one per byte (a one-byte
 * buffer per read once stalled the event loop for seconds, reading megabytes), and
 * counted as {@link TcpCounter#HOST_READ_PAST_BUFFER}.
 */
final class HostReadAllocator implements RecvByteBufAllocator {
    /** Size of reads past the flow's buffer: the adaptive allocator's largest guess. */
    static final int DRAIN_READ = 64 << 10;
    /**
     * Size of a read Netty performs after the room the flow asked with went to other flows
     * in the same turn (the memory budget is shared): small, so that what it takes past
     * the budget's room stays within the budget's slack.
     */
    static final int LATE_READ = 1 << 10;
    private static final AdaptiveRecvByteBufAllocator ADAPTIVE = new AdaptiveRecvByteBufAllocator();

    private final TcpFlow flow;

    HostReadAllocator(TcpFlow flow) {
        this.flow = flow;
    }

    @Override
    public ExtendedHandle newHandle() {
        return new BoundedHandle((ExtendedHandle) ADAPTIVE.newHandle(), flow);
    }

    /** Implements the extended handle too: the epoll transport requires it. */
    private static final class BoundedHandle extends DelegatingHandle implements ExtendedHandle {
        private final TcpFlow flow;

        BoundedHandle(ExtendedHandle delegate, TcpFlow flow) {
            super(delegate);
            this.flow = flow;
        }

        /**
         * The guess capped by the room left; when none is left, a small buffer if only the
         * shared memory budget ran out since the read was asked for, else a drain-sized one
         * (see above).
         */
        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            int room = flow.host.readSpace();
            if (room > 0) {
                return alloc.ioBuffer(Math.min(guess(), room));
            }
            return alloc.ioBuffer(flow.host.ownReadSpace() > 0 ? LATE_READ : DRAIN_READ);
        }

        @Override
        public boolean continueReading() {
            return delegate().continueReading() && flow.host.readSpace() > 0;
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return ((ExtendedHandle) delegate()).continueReading(maybeMoreDataSupplier) && flow.host.readSpace() > 0;
        }
    }
}
