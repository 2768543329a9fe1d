package dev.jslirp.nat.tcp;

import dev.jslirp.core.seq.SeqNum;
import dev.jslirp.core.buffer.MemoryBudget;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.Arrays;

/**
 * Guest data that arrived ahead of {@code rcvNxt}, held until the gap before it is
 * filled: a sorted array of non-overlapping ranges, each in a buffer of its own.
 *
 * <h2>Copies, and why</h2>
 * <p>Held data is copied out of the guest's frames into chunks of {@code chunkBytes}
 * (or one exact-size buffer for a larger segment), and a segment that continues the
 * range before it is appended to that range's chunk while the chunk has room. After
 * one lost frame a guest sends the rest of its window, hundreds of segments, out of
 * order; holding each as its own range (a retained slice of its frame, as this class
 * once did) ran into the range bound after 128 of them, and the guest had to send
 * every later one again: about 8,000 refused segments and 11,000 retransmissions in
 * 4 s of four guest-to-host streams through the stream transport at MTU 1500, where
 * the tap in front dropped 3,000 frames. Copying costs one memcpy per out-of-order
 * byte, only while a loss is being repaired, and frees the transport's read buffers
 * at once instead of pinning one per held segment.
 *
 * <h2>Bounds</h2>
 * <p>The caller only offers bytes inside the window it advertised, so the bytes held
 * never exceed the flow's buffer; at most {@code maxSegments} ranges are kept and
 * their buffers' capacity stays within {@code maxCapacity} (tiny segments scattered
 * over the window cannot make chunks multiply memory); a segment that would need
 * more is refused (the guest retransmits it). Overlaps and duplicates are trimmed
 * against what is held, so a byte is stored once whatever the guest repeats. All
 * The buffers' capacity is charged to the flow's account of the network's memory
 * budget too; a chunk the budget has no room for is refused the same way. All
 * sequence numbers compared lie within one window of each other, well inside the
 * 2^31 that {@link SeqNum} needs.
 *
 * <p>Also remembers an out-of-order FIN, and produces SACK blocks (RFC 2018).
 */
final class SegmentAssembler {
    /** Where in-order data goes once a gap is filled. */
    interface Sink {
        /** Takes ownership of {@code data}. */
        void deliver(ByteBuf data);
    }

    private final int maxSegments;
    private final ByteBufAllocator alloc;
    private final int chunkBytes;
    private final long maxCapacity;
    private final MemoryBudget.Account memory;
    private int[] start = new int[4];
    private int[] end = new int[4];
    private ByteBuf[] data = new ByteBuf[4];
    private int count;
    private int bytes;
    private long capacityHeld;
    private boolean hasFin;
    private int finSeq;
    private int lastSeq;

    /**
     * @param maxSegments ranges held at most
     * @param alloc       where the copies' buffers come from
     * @param chunkBytes  capacity of a new range's buffer (more for a larger segment)
     * @param maxCapacity the capacity all held buffers may add up to
     * @param memory      the account the buffers are charged to
     */
    SegmentAssembler(int maxSegments, ByteBufAllocator alloc, int chunkBytes, long maxCapacity,
                     MemoryBudget.Account memory) {
        this.memory = memory;
        this.maxSegments = maxSegments;
        this.alloc = alloc;
        this.chunkBytes = chunkBytes;
        this.maxCapacity = maxCapacity;
    }

    /**
     * Keeps a copy of the bytes of {@code [seq, seq + len)} not held yet, read from
     * {@code frame} at {@code off}. The frame stays owned by the caller.
     *
     * @return the number of new bytes kept, or -1 if a bound refused some
     */
    int add(int seq, ByteBuf frame, int off, int len) {
        int e = seq + len;
        int i = 0;
        if (count > 0 && SeqNum.le(end[count - 1], seq)) {
            i = count;                          // past everything held: the usual case
        }
        while (i < count && SeqNum.le(end[i], seq)) {
            i++;
        }
        int kept = 0;
        int c = seq;
        lastSeq = seq;
        while (SeqNum.lt(c, e)) {
            if (i < count && SeqNum.le(start[i], c)) {
                c = end[i];
                i++;
                continue;
            }
            int gapEnd = i < count ? SeqNum.min(e, start[i]) : e;
            int n = gapEnd - c;
            int from = off + (c - seq);
            if (i > 0 && end[i - 1] == c && data[i - 1].writableBytes() >= n) {
                data[i - 1].writeBytes(frame, from, n);
                end[i - 1] = gapEnd;
                bytes += n;
            } else {
                int capacity = Math.max(n, chunkBytes);
                if (count == maxSegments || capacityHeld + capacity > maxCapacity || !memory.tryReserve(capacity)) {
                    return -1;
                }
                ByteBuf b = alloc.directBuffer(capacity, capacity);
                b.writeBytes(frame, from, n);
                insertAt(i, c, gapEnd, b);
                i++;
            }
            kept += n;
            c = gapEnd;
        }
        return kept;
    }

    private void insertAt(int i, int s, int e, ByteBuf b) {
        if (count == start.length) {
            int n = Math.min(maxSegments, count * 2);
            start = Arrays.copyOf(start, n);
            end = Arrays.copyOf(end, n);
            data = Arrays.copyOf(data, n);
        }
        int move = count - i;
        if (move > 0) {
            System.arraycopy(start, i, start, i + 1, move);
            System.arraycopy(end, i, end, i + 1, move);
            System.arraycopy(data, i, data, i + 1, move);
        }
        start[i] = s;
        end[i] = e;
        data[i] = b;
        count++;
        bytes += e - s;
        capacityHeld += b.capacity();
    }

    /** Remembers that the guest's FIN sits at {@code seq} (after the data before it). */
    void setFin(int seq) {
        if (!hasFin) {
            hasFin = true;
            finSeq = seq;
        }
    }

    /** True if a FIN was seen at exactly {@code seq}. */
    boolean finAt(int seq) {
        return hasFin && finSeq == seq;
    }

    /**
     * Hands every range that became contiguous with {@code rcvNxt} to {@code sink}
     * (trimmed where in-order data overlapped it) and releases ranges now wholly old.
     *
     * @return the new {@code rcvNxt}
     */
    int drain(int rcvNxt, Sink sink) {
        int k = 0;
        while (k < count && SeqNum.le(start[k], rcvNxt)) {
            ByteBuf b = data[k];
            int s = start[k];
            int e = end[k];
            data[k] = null;
            bytes -= e - s;
            capacityHeld -= b.capacity();
            memory.release(b.capacity());
            k++;
            if (SeqNum.gt(e, rcvNxt)) {
                b.skipBytes(rcvNxt - s);
                rcvNxt = e;
                sink.deliver(b);
            } else {
                b.release();
            }
        }
        if (k > 0) {
            count -= k;
            System.arraycopy(start, k, start, 0, count);
            System.arraycopy(end, k, end, 0, count);
            System.arraycopy(data, k, data, 0, count);
            Arrays.fill(data, count, count + k, null);
        }
        return rcvNxt;
    }

    /**
     * Writes up to {@code max} SACK blocks (RFC 2018 section 4): contiguous held ranges,
     * the one holding the most recently received segment first, the others in order.
     *
     * @return the number of blocks written
     */
    int sackBlocks(int[] left, int[] right, int max) {
        if (count == 0 || max <= 0) {
            return 0;
        }
        int n = 0;
        int recentFirst = -1;
        // The block holding lastSeq goes first.
        for (int i = 0; i < count; ) {
            int j = i;
            while (j + 1 < count && end[j] == start[j + 1]) {
                j++;
            }
            if (SeqNum.le(start[i], lastSeq) && SeqNum.lt(lastSeq, end[j])) {
                left[n] = start[i];
                right[n] = end[j];
                n++;
                recentFirst = i;
                break;
            }
            i = j + 1;
        }
        for (int i = 0; i < count && n < max; ) {
            int j = i;
            while (j + 1 < count && end[j] == start[j + 1]) {
                j++;
            }
            if (i != recentFirst) {
                left[n] = start[i];
                right[n] = end[j];
                n++;
            }
            i = j + 1;
        }
        return n;
    }

    /** The number of contiguous blocks held (what {@link #sackBlocks} could report). */
    int blockCount() {
        int n = 0;
        for (int i = 0; i < count; i++) {
            if (i == 0 || end[i - 1] != start[i]) {
                n++;
            }
        }
        return n;
    }

    /** True if nothing is held (a FIN alone does not count). */
    boolean isEmpty() {
        return count == 0;
    }

    /** Bytes held. */
    int bytes() {
        return bytes;
    }

    /** Capacity of the buffers holding them. */
    long capacityHeld() {
        return capacityHeld;
    }

    /** Ranges held. */
    int segments() {
        return count;
    }

    /** Releases everything held and forgets the FIN. */
    void clear() {
        for (int i = 0; i < count; i++) {
            data[i].release();
            data[i] = null;
        }
        count = 0;
        bytes = 0;
        memory.release(capacityHeld);
        capacityHeld = 0;
        hasFin = false;
    }
}
