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
 * a read batch is under way.
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

        @Override
        public ByteBuf allocate(ByteBufAllocator alloc) {
            return alloc.ioBuffer(Math.max(1, Math.min(guess(), flow.hostReadSpace())));
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
