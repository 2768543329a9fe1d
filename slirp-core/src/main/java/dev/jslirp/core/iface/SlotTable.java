package dev.jslirp.core.iface;

/**
 * The open-addressing storage behind {@link MacTable} and {@link NeighborTable}: keys
 * of two longs (an {@link dev.jslirp.core.wire.IpAddress}'s halves, or 0 and a MAC),
 * each with a port, a value, a time and a flag, in parallel arrays probed linearly, so
 * lookups and updates allocate nothing. The key (0, 0) marks an empty slot (the
 * unspecified address and the zero MAC are never stored). The table doubles (the only
 * allocation) while it is more than half full, up to a fixed number of slots that the
 * owners' bounds keep it under; deletion shifts the rest of a probe run back, so there
 * are no tombstones and lookups stay short.
 *
 * <p>Confined to the network's event loop.
 */
final class SlotTable {
    private static final int INITIAL_SLOTS = 16;

    private final int maxSlots;
    long[] his;
    long[] los;
    SwitchPort[] ports;
    long[] values;
    long[] times;
    boolean[] flags;
    private int size;

    /** A table that may hold {@code maxEntries} keys. */
    SlotTable(int maxEntries) {
        int slots = INITIAL_SLOTS;
        while (slots < 2 * maxEntries) {
            slots <<= 1;
        }
        this.maxSlots = slots;
        allocate(Math.min(INITIAL_SLOTS, slots));
    }

    private void allocate(int slots) {
        his = new long[slots];
        los = new long[slots];
        ports = new SwitchPort[slots];
        values = new long[slots];
        times = new long[slots];
        flags = new boolean[slots];
    }

    /** Keys stored. */
    int size() {
        return size;
    }

    /** Slots (for scans: a slot {@code i} is used if {@link #used(int)}). */
    int slots() {
        return his.length;
    }

    boolean used(int i) {
        return his[i] != 0 || los[i] != 0;
    }

    /** The slot of {@code (hi, lo)}, or -1. */
    int find(long hi, long lo) {
        int mask = his.length - 1;
        int i = hash(hi, lo) & mask;
        while (his[i] != 0 || los[i] != 0) {
            if (los[i] == lo && his[i] == hi) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /**
     * Adds {@code (hi, lo)}, which must not be stored yet, with empty columns; the caller
     * keeps within the bound.
     *
     * @return its slot, valid until the next {@link #insert} or {@link #removeAt}
     */
    int insert(long hi, long lo) {
        if (2 * (size + 1) > his.length && his.length < maxSlots) {
            grow();
        }
        int mask = his.length - 1;
        int i = hash(hi, lo) & mask;
        while (his[i] != 0 || los[i] != 0) {
            i = (i + 1) & mask;
        }
        his[i] = hi;
        los[i] = lo;
        size++;
        return i;
    }

    /**
     * Empties slot {@code i}, moving later members of its probe run back into the hole.
     * A scan removing as it goes must look at slot {@code i} again: another key may have
     * moved there.
     */
    void removeAt(int i) {
        size--;
        int mask = his.length - 1;
        int hole = i;
        int j = i;
        while (true) {
            j = (j + 1) & mask;
            long h = his[j];
            long l = los[j];
            if (h == 0 && l == 0) {
                break;
            }
            int home = hash(h, l) & mask;
            // j may fill the hole unless its home lies cyclically in (hole, j].
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                his[hole] = h;
                los[hole] = l;
                ports[hole] = ports[j];
                values[hole] = values[j];
                times[hole] = times[j];
                flags[hole] = flags[j];
                hole = j;
            }
        }
        his[hole] = 0;
        los[hole] = 0;
        ports[hole] = null;
        flags[hole] = false;
    }

    private void grow() {
        long[] oh = his;
        long[] ol = los;
        SwitchPort[] op = ports;
        long[] ov = values;
        long[] ot = times;
        boolean[] of = flags;
        allocate(oh.length << 1);
        int mask = his.length - 1;
        for (int k = 0; k < oh.length; k++) {
            if (oh[k] != 0 || ol[k] != 0) {
                int i = hash(oh[k], ol[k]) & mask;
                while (his[i] != 0 || los[i] != 0) {
                    i = (i + 1) & mask;
                }
                his[i] = oh[k];
                los[i] = ol[k];
                ports[i] = op[k];
                values[i] = ov[k];
                times[i] = ot[k];
                flags[i] = of[k];
            }
        }
    }

    /** Fibonacci hashing of both halves: guests' addresses and MACs differ in their low bytes. */
    private static int hash(long hi, long lo) {
        long h = (lo ^ Long.rotateLeft(hi, 29)) * 0x9E37_79B9_7F4A_7C15L;
        return (int) (h >>> 32);
    }
}
