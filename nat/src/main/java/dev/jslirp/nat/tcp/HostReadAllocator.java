package dev.jslirp.nat.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.util.UncheckedBooleanSupplier;

/**
 * Sizes host reads by the room a flow has left for unacknowledged data
 * ({@link TcpFlow#hostReadSpace()}): Netty's adaptive guess, capped so one read never
 * overshoots the flow's buffer, and a read batch that stops once the buffer is full.
 * This is what keeps host-to-guest memory per flow bounded by configuration even while
 * a read batch is under way (on epoll, reads after the host's FIN are the exception, see
 * {@link BoundedHandle#allocate}).
 */
final class HostReadAllocator implements RecvByteBufAllocator {
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
         * A buffer of Netty's guess, cut to the flow's room. With no room left the flow did not
         * ask for this read: Netty's epoll transport drains a socket whose peer sent its FIN
         * (EPOLLRDHUP) to the end, whatever {@link #continueReading} says. That data must be
         * taken anyway; it comes in buffers of the guessed size, not one byte (one buffer and
         * one system call) at a time, which a real guest reading slowly from a host that had
         * already closed turned into hundreds of thousands of buffers and seconds of a busy
         * event loop. The flow's memory then exceeds its bound by at most what the kernel's
         * receive buffer held.
         */
        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            int space = flow.hostReadSpace();
            return alloc.ioBuffer(space > 0 ? Math.min(guess(), space) : guess());
        }

        @Override
        public boolean continueReading() {
            return delegate().continueReading() && flow.hostReadSpace() > 0;
        }

        @Override
        public boolean continueReading(UncheckedBooleanSupplier maybeMoreDataSupplier) {
            return ((ExtendedHandle) delegate()).continueReading(maybeMoreDataSupplier) && flow.hostReadSpace() > 0;
        }
    }
}
