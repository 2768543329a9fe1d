package dev.jslirp.nat.tcp;

import dev.jslirp.core.buffer.MemoryBudget;
import io.netty.buffer.ByteBuf;

/**
 * Host data not yet acknowledged by the guest, in the buffers the host socket read it
 * into (no copy on the way in): a ring of {@link ByteBuf}s whose first readable byte
 * is the flow's {@code sndUna}. Segments copy their payload out of it by offset from
 * {@code sndUna}; ACKs drop bytes from the front and release emptied buffers.
 *
 * <p>The flow bounds it by {@link #capacityHeld()}, the memory the held buffers take
 * (not just their readable bytes), so a host peer trickling tiny writes into large
 * read buffers cannot inflate memory past the configured buffer size.
 *
 * <p>The same capacity is charged to the flow's account of the network's memory
 * budget as buffers come and credited as they go, so the budget sees what the ring holds.
 *
 * <p>Copying at an offset walks the ring from a cached position (the last buffer
 * copied from), so sending a window's worth of segments costs one walk, not one per
 * segment.
 */
final class SendBuffer {
    private final MemoryBudget.Account memory;
    private ByteBuf[] ring = new ByteBuf[16];
    private int head;
    private int count;
    /** Bytes of the head buffer already acknowledged (its reader index is left alone). */
    private int headSkip;
    private int bytes;
    private long capacityHeld;
    /** Absolute stream offset of the head buffer's reader index. */
    private long headStart;
    private int cacheSlot = -1;
    private long cacheStart;

    SendBuffer(MemoryBudget.Account memory) {
        this.memory = memory;
    }

    /**
     * Appends host data; takes ownership ({@code data} is released here if empty). Its
     * capacity is charged to the budget: the read was sized by the room left there.
     */
    void add(ByteBuf data) {
        int n = data.readableBytes();
        if (n == 0) {
            data.release();
            return;
        }
        if (count == ring.length) {
            grow();
        }
        ring[(head + count) & (ring.length - 1)] = data;
        count++;
        bytes += n;
        capacityHeld += data.capacity();
        memory.charge(data.capacity());
    }

    private void grow() {
        ByteBuf[] bigger = new ByteBuf[ring.length * 2];
        for (int i = 0; i < count; i++) {
            bigger[i] = ring[(head + i) & (ring.length - 1)];
        }
        ring = bigger;
        head = 0;
        cacheSlot = -1;
    }

    /** Drops {@code n} acknowledged bytes from the front, releasing emptied buffers. */
    void ack(int n) {
        if (n <= 0) {
            return;
        }
        bytes -= n;
        while (n > 0) {
            ByteBuf b = ring[head];
            int left = b.readableBytes() - headSkip;
            if (n < left) {
                headSkip += n;
                return;
            }
            n -= left;
            headStart += b.readableBytes();
            headSkip = 0;
            capacityHeld -= b.capacity();
            memory.release(b.capacity());
            b.release();
            ring[head] = null;
            if (cacheSlot == head) {
                cacheSlot = -1;
            }
            head = (head + 1) & (ring.length - 1);
            count--;
        }
    }

    /**
     * Copies {@code len} bytes starting {@code offset} bytes after {@code sndUna} into
     * {@code dst} at {@code dstIndex} (absolute; indices of neither buffer move).
     */
    void copyTo(int offset, ByteBuf dst, int dstIndex, int len) {
        long pos = headStart + headSkip + offset;
        int slot;
        long slotStart;
        if (cacheSlot >= 0 && pos >= cacheStart) {
            slot = cacheSlot;
            slotStart = cacheStart;
        } else {
            slot = head;
            slotStart = headStart;
        }
        int mask = ring.length - 1;
        while (len > 0) {
            ByteBuf b = ring[slot];
            int size = b.readableBytes();
            if (pos >= slotStart + size) {
                slotStart += size;
                slot = (slot + 1) & mask;
                continue;
            }
            int within = (int) (pos - slotStart);
            int n = Math.min(len, size - within);
            dst.setBytes(dstIndex, b, b.readerIndex() + within, n);
            dstIndex += n;
            pos += n;
            len -= n;
            cacheSlot = slot;
            cacheStart = slotStart;
        }
    }

    /**
     * A retained slice of the {@code len} bytes starting {@code offset} bytes after
     * {@code sndUna}, if they lie in one buffer; else null. The caller owns the slice.
     */
    ByteBuf retainedSlice(int offset, int len) {
        long pos = headStart + headSkip + offset;
        int slot = head;
        long slotStart = headStart;
        if (cacheSlot >= 0 && pos >= cacheStart) {
            slot = cacheSlot;
            slotStart = cacheStart;
        }
        int mask = ring.length - 1;
        for (int rel = (slot - head) & mask; rel < count; rel++) {
            ByteBuf b = ring[slot];
            int size = b.readableBytes();
            if (pos < slotStart + size) {
                int within = (int) (pos - slotStart);
                if (within + len > size) {
                    return null;
                }
                cacheSlot = slot;
                cacheStart = slotStart;
                return b.retainedSlice(b.readerIndex() + within, len);
            }
            slotStart += size;
            slot = (slot + 1) & mask;
        }
        return null;
    }

    /** Unacknowledged bytes held. */
    int bytes() {
        return bytes;
    }

    /** Buffers held (one per host read not yet fully acknowledged). */
    int buffers() {
        return count;
    }

    /** Memory the held buffers take, by capacity. */
    long capacityHeld() {
        return capacityHeld;
    }

    /** Releases everything. */
    void clear() {
        for (int i = 0; i < count; i++) {
            int s = (head + i) & (ring.length - 1);
            ring[s].release();
            ring[s] = null;
        }
        count = 0;
        bytes = 0;
        memory.release(capacityHeld);
        capacityHeld = 0;
        headSkip = 0;
        cacheSlot = -1;
    }
}
