package dev.jslirp.nat.flow;

/**
 * A hash map from a pair of endpoints of either family (guest address and port,
 * remote address and port; addresses as {@link dev.jslirp.core.wire.IpAddress}
 * halves) to a value, for looking up a flow on every datagram without allocating:
 * keys live in primitive arrays, lookups box nothing.
 *
 * <p>Open addressing with linear probing and backward-shift deletion (no tombstones,
 * so probe chains stay short however many flows come and go). The table doubles when
 * half full; it never holds more entries than its owner puts in, and the owner bounds
 * those (e.g. {@code maxUdpFlows}), so its size is bounded too. Not thread-safe: used on
 * the network's event loop only.
 *
 * @param <V> the value type
 */
public final class FlowTable<V> {
    private static final int INITIAL_CAPACITY = 64;

    private long[] guestHi;
    private long[] guestLo;
    private long[] remoteHi;
    private long[] remoteLo;
    /** The guest port in the high half, the remote port in the low. */
    private int[] ports;
    private Object[] values;
    private int mask;
    private int size;

    public FlowTable() {
        allocate(INITIAL_CAPACITY);
    }

    /** Entries held. */
    public int size() {
        return size;
    }

    /** The value under the tuple, or null. */
    @SuppressWarnings("unchecked")
    public V get(long gHi, long gLo, int gPort, long rHi, long rLo, int rPort) {
        int i = slotOf(gHi, gLo, gPort, rHi, rLo, rPort);
        return i < 0 ? null : (V) values[i];
    }

    /** True if something is stored under the tuple. */
    public boolean contains(long gHi, long gLo, int gPort, long rHi, long rLo, int rPort) {
        return slotOf(gHi, gLo, gPort, rHi, rLo, rPort) >= 0;
    }

    /**
     * Stores {@code value} under the tuple, which must be free.
     *
     * @throws IllegalStateException if the key is taken (a bug in the caller)
     */
    public void put(long gHi, long gLo, int gPort, long rHi, long rLo, int rPort, V value) {
        if ((size + 1) * 2 > values.length) {
            grow();
        }
        int p = (gPort << 16) | (rPort & 0xffff);
        int i = index(gHi, gLo, rHi, rLo, p);
        while (values[i] != null) {
            if (matches(i, gHi, gLo, rHi, rLo, p)) {
                throw new IllegalStateException("key taken");
            }
            i = (i + 1) & mask;
        }
        store(i, gHi, gLo, rHi, rLo, p, value);
        size++;
    }

    /** Removes and returns the value under the tuple, or null if there is none. */
    @SuppressWarnings("unchecked")
    public V remove(long gHi, long gLo, int gPort, long rHi, long rLo, int rPort) {
        int i = slotOf(gHi, gLo, gPort, rHi, rLo, rPort);
        if (i < 0) {
            return null;
        }
        V v = (V) values[i];
        shiftBack(i);
        size--;
        return v;
    }

    /** Removes everything and gives back the memory of a table that had grown. */
    public void clear() {
        allocate(INITIAL_CAPACITY);
        size = 0;
    }

    private int slotOf(long gHi, long gLo, int gPort, long rHi, long rLo, int rPort) {
        int p = (gPort << 16) | (rPort & 0xffff);
        int i = index(gHi, gLo, rHi, rLo, p);
        while (values[i] != null) {
            if (matches(i, gHi, gLo, rHi, rLo, p)) {
                return i;
            }
            i = (i + 1) & mask;
        }
        return -1;
    }

    private boolean matches(int i, long gHi, long gLo, long rHi, long rLo, int p) {
        return ports[i] == p && guestLo[i] == gLo && remoteLo[i] == rLo && guestHi[i] == gHi && remoteHi[i] == rHi;
    }

    private void store(int i, long gHi, long gLo, long rHi, long rLo, int p, Object value) {
        guestHi[i] = gHi;
        guestLo[i] = gLo;
        remoteHi[i] = rHi;
        remoteLo[i] = rLo;
        ports[i] = p;
        values[i] = value;
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
            int home = index(guestHi[j], guestLo[j], remoteHi[j], remoteLo[j], ports[j]);
            boolean stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!stays) {
                store(hole, guestHi[j], guestLo[j], remoteHi[j], remoteLo[j], ports[j], values[j]);
                hole = j;
            }
        }
        values[hole] = null;
    }

    private int index(long gHi, long gLo, long rHi, long rLo, int p) {
        // A 64-bit mix (the finaliser of SplitMix64) so the low bits depend on every bit of the tuple.
        long h = (gLo * 0x9E3779B97F4A7C15L + rLo) ^ (gHi * 31 + rHi) ^ ((long) p << 17);
        h = (h ^ (h >>> 30)) * 0xBF58476D1CE4E5B9L;
        h = (h ^ (h >>> 27)) * 0x94D049BB133111EBL;
        h ^= h >>> 31;
        return (int) h & mask;
    }

    private void allocate(int capacity) {
        guestHi = new long[capacity];
        guestLo = new long[capacity];
        remoteHi = new long[capacity];
        remoteLo = new long[capacity];
        ports = new int[capacity];
        values = new Object[capacity];
        mask = capacity - 1;
    }

    private void grow() {
        long[] oldGh = guestHi;
        long[] oldGl = guestLo;
        long[] oldRh = remoteHi;
        long[] oldRl = remoteLo;
        int[] oldP = ports;
        Object[] oldV = values;
        allocate(oldV.length * 2);
        for (int i = 0; i < oldV.length; i++) {
            if (oldV[i] != null) {
                int j = index(oldGh[i], oldGl[i], oldRh[i], oldRl[i], oldP[i]);
                while (values[j] != null) {
                    j = (j + 1) & mask;
                }
                store(j, oldGh[i], oldGl[i], oldRh[i], oldRl[i], oldP[i], oldV[i]);
            }
        }
    }
}
