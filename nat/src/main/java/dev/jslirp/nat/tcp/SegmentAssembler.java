package dev.jslirp.nat.tcp;

import dev.jslirp.core.seq.SeqNum;
import io.netty.buffer.ByteBuf;

/**
 * Guest data that arrived ahead of {@code rcvNxt}, held until the gap before it is
 * filled: a sorted array of non-overlapping ranges, each a retained slice of the frame
 * it came in (no copy).
 *
 * <p>Bounded twice: the caller only offers bytes inside the window it advertised (so
 * the bytes held never exceed the flow's buffer), and at most {@code maxSegments}
 * ranges are kept; a segment that would need more is refused (the guest retransmits
 * it). Overlaps and duplicates are trimmed against what is held, so a byte is stored
 * once whatever the guest repeats. All sequence numbers compared lie within one window
 * of each other, well inside the 2^31 that {@link SeqNum} needs.
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
    private final int[] start;
    private final int[] end;
    private final ByteBuf[] data;
    private int count;
    private int bytes;
    private boolean hasFin;
    private int finSeq;
    private int lastSeq;

    SegmentAssembler(int maxSegments) {
        this.maxSegments = maxSegments;
        this.start = new int[maxSegments];
        this.end = new int[maxSegments];
        this.data = new ByteBuf[maxSegments];
    }

    /**
     * Keeps the bytes of {@code [seq, seq + len)} not held yet, as retained slices of
     * {@code frame} from {@code off}. The frame stays owned by the caller.
     *
     * @return the number of new bytes kept, or -1 if the segment bound refused some
     */
    int add(int seq, ByteBuf frame, int off, int len) {
        int e = seq + len;
        int i = 0;
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
            if (count == maxSegments) {
                return -1;
            }
            insertAt(i, c, gapEnd, frame.retainedSlice(off + (c - seq), gapEnd - c));
            kept += gapEnd - c;
            i++;
            c = gapEnd;
        }
        return kept;
    }

    private void insertAt(int i, int s, int e, ByteBuf slice) {
        int move = count - i;
        if (move > 0) {
            System.arraycopy(start, i, start, i + 1, move);
            System.arraycopy(end, i, end, i + 1, move);
            System.arraycopy(data, i, data, i + 1, move);
        }
        start[i] = s;
        end[i] = e;
        data[i] = slice;
        count++;
        bytes += e - s;
    }

    private void removeFirst() {
        bytes -= end[0] - start[0];
        count--;
        if (count > 0) {
            System.arraycopy(start, 1, start, 0, count);
            System.arraycopy(end, 1, end, 0, count);
            System.arraycopy(data, 1, data, 0, count);
        }
        data[count] = null;
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
        while (count > 0 && SeqNum.le(start[0], rcvNxt)) {
            ByteBuf b = data[0];
            int s = start[0];
            int e = end[0];
            removeFirst();
            if (SeqNum.gt(e, rcvNxt)) {
                b.skipBytes(rcvNxt - s);
                rcvNxt = e;
                sink.deliver(b);
            } else {
                b.release();
            }
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
        hasFin = false;
    }
}
