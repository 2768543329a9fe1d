package dev.jslirp.nat.udp;

/**
 * A hash map from a pair of endpoints ({@code ip:port} twice, each packed into a
 * {@code long} by {@link #endpoint}) to a value, for looking up a flow on every
 * datagram without allocating: keys live in primitive arrays, lookups box nothing.
 *
 * <p>Open addressing with linear probing and backward-shift deletion (no tombstones,
 * so probe chains stay short however many flows come and go). The table doubles when
 * half full; it never holds more entries than its owner puts in, and the owner bounds
 * those ({@code maxUdpFlows}), so its size is bounded too. Not thread-safe: used on
 * the network's event loop only.
 *
 * @param <V> the value type
 */
final class FlowTable<V> {
    private static final int INITIAL_CAPACITY = 64;

    private long[] keysA;
    private long[] keysB;
    private Object[] values;
    private int mask;
    private int size;

    FlowTable() {
        allocate(INITIAL_CAPACITY);
    }

    /** Packs an IPv4 address and a port into a key half. */
    static long endpoint(int ip, int port) {
        return ((ip & 0xffffffffL) << 16) | (port & 0xffff);
    }

    /** Entries held. */
    int size() {
        return size;
    }

    /** The value under {@code (a, b)}, or null. */
    @SuppressWarnings("unchecked")
    V get(long a, long b) {
        int i = slotOf(a, b);
        return i < 0 ? null : (V) values[i];
    }

    /** True if something is stored under {@code (a, b)}. */
    boolean contains(long a, long b) {
        return get(a, b) != null;
    }

    /**
     * Stores {@code value} under {@code (a, b)}, which must be free.
     *
     * @throws IllegalStateException if the key is taken (a bug in the caller)
     */
    void put(long a, long b, V value) {
        if ((size + 1) * 2 > values.length) {
            grow();
        }
        int i = index(a, b);
        while (values[i] != null) {
            if (keysA[i] == a && keysB[i] == b) {
                throw new IllegalStateException("key taken");
            }
            i = (i + 1) & mask;
        }
        keysA[i] = a;
        keysB[i] = b;
        values[i] = value;
        size++;
    }

    /** Removes and returns the value under {@code (a, b)}, or null if there is none. */
    @SuppressWarnings("unchecked")
    V remove(long a, long b) {
        int i = slotOf(a, b);
        if (i < 0) {
            return null;
        }
        V v = (V) values[i];
        shiftBack(i);
        size--;
        return v;
    }

    /** The slot holding {@code (a, b)}, or -1. */
    private int slotOf(long a, long b) {
        int i = index(a, b);
        while (values[i] != null) {
            if (keysA[i] == a && keysB[i] == b) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    /** Removes everything and gives back the memory of a table that had grown. */
    void clear() {
        allocate(INITIAL_CAPACITY);
        size = 0;
    }

    /**
     * Fills the hole at {@code hole} by moving back each later entry of the probe run
     * whose home slot does not lie cyclically in {@code (hole, j]}: such an entry would
     * otherwise no longer be found from its home.
     */
    private void shiftBack(int hole) {
        int j = hole;
        while (true) {
            j = (j + 1) & mask;
            if (values[j] == null) {
                break;
            }
            int home = index(keysA[j], keysB[j]);
            boolean stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!stays) {
                keysA[hole] = keysA[j];
                keysB[hole] = keysB[j];
                values[hole] = values[j];
                hole = j;
            }
        }
        values[hole] = null;
    }

    private int index(long a, long b) {
        // A 64-bit mix (the finaliser of SplitMix64) so the low bits depend on every bit of both halves.
        long h = a * 0x9E3779B97F4A7C15L + b;
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        h ^= h >>> 31;
        return (int) h & mask;
    }

    private void allocate(int capacity) {
        keysA = new long[capacity];
        keysB = new long[capacity];
        values = new Object[capacity];
        mask = capacity - 1;
    }

    @SuppressWarnings("unchecked")
    private void grow() {
        long[] oldA = keysA;
        long[] oldB = keysB;
        Object[] oldV = values;
        allocate(oldV.length * 2);
        size = 0;
        for (int i = 0; i < oldV.length; i++) {
            if (oldV[i] != null) {
                put(oldA[i], oldB[i], (V) oldV[i]);
            }
        }
    }
}
