package dev.jslirp.nat.tcp;

import dev.jslirp.core.seq.SeqNum;
import dev.jslirp.core.wire.TcpOptions;

/**
 * What the guest reported holding above {@code sndUna} in SACK blocks (RFC 2018): a
 * small sorted set of merged ranges, used during loss recovery to retransmit only the
 * holes. Bounded: blocks that do not fit are ignored, which only costs a needless
 * retransmission. Cleared on a retransmission timeout, as RFC 2018 section 8 asks
 * (the guest may have reneged).
 */
final class SackScoreboard {
    static final int MAX_BLOCKS = 8;

    private final int[] left = new int[MAX_BLOCKS];
    private final int[] right = new int[MAX_BLOCKS];
    private int count;

    /**
     * Records the blocks of {@code options} that lie within {@code (sndUna, sndMax]};
     * others (D-SACK, stale, bogus) are ignored.
     */
    void update(TcpOptions options, int sndUna, int sndMax) {
        for (int b = 0; b < options.sackBlocks; b++) {
            int l = options.sackLeft[b];
            int r = options.sackRight[b];
            if (SeqNum.gt(l, sndUna) && SeqNum.lt(l, r) && SeqNum.le(r, sndMax)) {
                insert(l, r);
            }
        }
    }

    private void insert(int l, int r) {
        int i = 0;
        while (i < count && SeqNum.lt(right[i], l)) {
            i++;
        }
        // Merge every block overlapping or touching [l, r).
        int j = i;
        while (j < count && SeqNum.le(left[j], r)) {
            l = SeqNum.min(l, left[j]);
            r = SeqNum.max(r, right[j]);
            j++;
        }
        int merged = j - i;
        if (merged == 0) {
            if (count == MAX_BLOCKS) {
                return;
            }
            System.arraycopy(left, i, left, i + 1, count - i);
            System.arraycopy(right, i, right, i + 1, count - i);
            count++;
        } else if (merged > 1) {
            System.arraycopy(left, j, left, i + 1, count - j);
            System.arraycopy(right, j, right, i + 1, count - j);
            count -= merged - 1;
        }
        left[i] = l;
        right[i] = r;
    }

    /** Forgets what {@code sndUna} now covers. */
    void ackedTo(int sndUna) {
        int drop = 0;
        while (drop < count && SeqNum.le(right[drop], sndUna)) {
            drop++;
        }
        if (drop > 0) {
            System.arraycopy(left, drop, left, 0, count - drop);
            System.arraycopy(right, drop, right, 0, count - drop);
            count -= drop;
        }
        if (count > 0 && SeqNum.lt(left[0], sndUna)) {
            left[0] = sndUna;
        }
    }

    /** If {@code seq} lies in a SACKed range, the end of that range; otherwise {@code seq}. */
    int skipSacked(int seq) {
        for (int i = 0; i < count; i++) {
            if (SeqNum.le(left[i], seq) && SeqNum.lt(seq, right[i])) {
                return right[i];
            }
        }
        return seq;
    }

    /** The left edge of the first SACKed range above {@code seq}, or {@code limit}. */
    int nextSackedAfter(int seq, int limit) {
        for (int i = 0; i < count; i++) {
            if (SeqNum.gt(left[i], seq)) {
                return SeqNum.min(left[i], limit);
            }
        }
        return limit;
    }

    /** The highest SACKed sequence number (exclusive), or {@code otherwise} if none. */
    int highest(int otherwise) {
        return count == 0 ? otherwise : right[count - 1];
    }

    /** True if nothing is SACKed. */
    boolean isEmpty() {
        return count == 0;
    }

    /** Forgets everything (after a retransmission timeout). */
    void clear() {
        count = 0;
    }
}
