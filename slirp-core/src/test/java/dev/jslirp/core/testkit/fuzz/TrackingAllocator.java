package dev.jslirp.core.testkit.fuzz;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * An allocator that remembers every buffer it made, so a fuzz target can check after
 * each input that all were released: a leak is found at the input that caused it, not
 * minutes later when Netty's detector sees a collected buffer (which stays on as well,
 * at paranoid level, in every test JVM). Slices and duplicates share their parent's
 * count, so the parents are enough.
 *
 * <p>Not thread-safe: for networks on an embedded (single-thread) loop.
 */
public final class TrackingAllocator extends AbstractByteBufAllocator {
    private final List<ByteBuf> made = new ArrayList<>();

    /** A tracking allocator of direct buffers, as the pooled default gives the network. */
    public TrackingAllocator() {
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

    @Override
    public CompositeByteBuf compositeHeapBuffer(int maxNumComponents) {
        return track(new CompositeByteBuf(this, false, maxNumComponents));
    }

    @Override
    public CompositeByteBuf compositeDirectBuffer(int maxNumComponents) {
        return track(new CompositeByteBuf(this, true, maxNumComponents));
    }

    /** Tracks a buffer made elsewhere (a frame the test built) with the ones made here. */
    public <T extends ByteBuf> T track(T b) {
        made.add(b);
        return b;
    }

    /** Buffers made and not released yet. */
    public int live() {
        int n = 0;
        for (ByteBuf b : made) {
            if (b.refCnt() > 0) {
                n++;
            }
        }
        return n;
    }

    /**
     * Fails if a buffer made since the last call is still held, releasing them all so
     * that one leak is reported once; forgets the released ones.
     */
    public void assertAllReleased(String when) {
        List<ByteBuf> held = new ArrayList<>();
        for (ByteBuf b : made) {
            if (b.refCnt() > 0) {
                held.add(b);
            }
        }
        made.clear();
        if (held.isEmpty()) {
            return;
        }
        StringBuilder what = new StringBuilder();
        for (ByteBuf b : held) {
            what.append("\n  ").append(b.getClass().getSimpleName()).append(" refCnt=").append(b.refCnt())
                    .append(" capacity=").append(b.capacity());
            b.release(b.refCnt());
        }
        throw new AssertionError(held.size() + " buffer(s) not released " + when + ":" + what);
    }
}
