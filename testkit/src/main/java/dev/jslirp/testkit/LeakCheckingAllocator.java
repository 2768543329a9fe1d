package dev.jslirp.testkit;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The allocator of one test's network: it remembers every buffer it made, so that once the
 * network is closed {@link #unreleased()} names those nobody released. The check is this
 * network's own (no global leak detector is installed, nothing depends on the garbage
 * collector), and it sees every frame the network builds, every frame the {@link Guest}
 * sends and every TCP read from a host socket. Slices and duplicates share their parent's
 * count, so tracking the parents is enough.
 *
 * <p>Thread-safe: the network allocates on its event loop, the guest on the test's thread.
 * Released buffers are forgotten every {@value #SWEEP_EVERY} allocations, so a long test
 * holds on to no more than that many dead buffers.
 */
final class LeakCheckingAllocator extends AbstractByteBufAllocator {
    private static final int SWEEP_EVERY = 4096;
    private final ConcurrentLinkedQueue<ByteBuf> made = new ConcurrentLinkedQueue<>();
    private final AtomicInteger sinceSweep = new AtomicInteger();

    LeakCheckingAllocator() {
        super(true);
    }

    @Override
    protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
        return track(new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity));
    }

    @Override
    protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
        return track(new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity));
    }

    @Override
    public boolean isDirectBufferPooled() {
        return false;
    }

    private ByteBuf track(ByteBuf b) {
        made.add(b);
        if (sinceSweep.incrementAndGet() >= SWEEP_EVERY) {
            sinceSweep.set(0);
            made.removeIf(x -> x.refCnt() == 0);
        }
        return b;
    }

    /**
     * Describes every buffer made and not released (its size and first bytes), releasing
     * each so that it is reported once; empty if none.
     */
    List<String> unreleased() {
        List<String> held = new ArrayList<>();
        for (ByteBuf b : made) {
            int refCnt = b.refCnt();
            if (refCnt > 0) {
                held.add(b.readableBytes() + " bytes, refCnt " + refCnt + ": "
                        + ByteBufUtil.hexDump(b, b.readerIndex(), Math.min(b.readableBytes(), 64)));
                b.release(refCnt);
            }
        }
        made.clear();
        return held;
    }
}
