package dev.jslirp.nat.tcp;

import java.util.ArrayList;
import java.util.List;

/**
 * The flows of one guest by 4-tuple (guest address and port, remote address and port),
 * either family: an open-addressing hash table with linear probing over the flows
 * themselves, so a lookup compares the addresses' {@link dev.jslirp.core.wire.IpAddress}
 * halves and the ports and allocates nothing.
 *
 * <p>Bounded: it holds at most {@code maxFlows}; the caller checks {@link #isFull()}
 * before {@link #put}. The slot array grows (doubling, keeping the load at most one
 * half) up to twice the bound, so memory follows the flows in use rather than the
 * configured maximum. Removal shifts the following run back (no tombstones), keeping
 * lookups short however many flows come and go.
 */
final class TcpFlowTable {
    private static final int INITIAL_SLOTS = 64;

    private final int maxFlows;
    private TcpFlow[] slots = new TcpFlow[INITIAL_SLOTS];
    private int size;

    TcpFlowTable(int maxFlows) {
        this.maxFlows = maxFlows;
    }

    /** The flow of the tuple (addresses as {@code IpAddress} halves), or null. */
    TcpFlow get(long guestHi, long guestLo, int guestPort, long remoteHi, long remoteLo, int remotePort) {
        int mask = slots.length - 1;
        for (int i = hash(guestHi, guestLo, guestPort, remoteHi, remoteLo, remotePort) & mask; ; i = (i + 1) & mask) {
            TcpFlow f = slots[i];
            if (f == null) {
                return null;
            }
            if (f.guestPort == guestPort && f.remotePort == remotePort && f.guest.is(guestHi, guestLo)
                    && f.remote.is(remoteHi, remoteLo)) {
                return f;
            }
        }
    }

    /** Adds a flow whose tuple is absent; the caller checked {@link #isFull()}. */
    void put(TcpFlow flow) {
        if (size >= maxFlows) {
            throw new IllegalStateException("flow table full");
        }
        if ((size + 1) * 2 > slots.length) {
            resize(slots.length * 2);
        }
        insert(slots, flow);
        size++;
    }

    /** Removes {@code flow}; false if it was not in the table. */
    boolean remove(TcpFlow flow) {
        int mask = slots.length - 1;
        int i = hash(flow) & mask;
        while (slots[i] != flow) {
            if (slots[i] == null) {
                return false;
            }
            i = (i + 1) & mask;
        }
        slots[i] = null;
        size--;
        // Backward-shift deletion: move later members of the run into the hole when
        // their home slot does not lie cyclically in (hole, their slot].
        int hole = i;
        for (int j = (i + 1) & mask; slots[j] != null; j = (j + 1) & mask) {
            TcpFlow f = slots[j];
            int home = hash(f) & mask;
            boolean stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!stays) {
                slots[hole] = f;
                slots[j] = null;
                hole = j;
            }
        }
        return true;
    }

    /** Flows held. */
    int size() {
        return size;
    }

    /** True if no flow can be added. */
    boolean isFull() {
        return size >= maxFlows;
    }

    /** A copy of the flows, for iterations that remove. */
    List<TcpFlow> snapshot() {
        List<TcpFlow> all = new ArrayList<>(size);
        for (TcpFlow f : slots) {
            if (f != null) {
                all.add(f);
            }
        }
        return all;
    }

    /** Up to {@code max} of the flows, in table order, copied: for listings that must stay bounded. */
    List<TcpFlow> first(int max) {
        List<TcpFlow> some = new ArrayList<>(Math.min(size, Math.max(0, max)));
        for (int i = 0; i < slots.length && some.size() < max; i++) {
            if (slots[i] != null) {
                some.add(slots[i]);
            }
        }
        return some;
    }

    private void resize(int n) {
        TcpFlow[] bigger = new TcpFlow[n];
        for (TcpFlow f : slots) {
            if (f != null) {
                insert(bigger, f);
            }
        }
        slots = bigger;
    }

    private static void insert(TcpFlow[] table, TcpFlow flow) {
        int mask = table.length - 1;
        int i = hash(flow) & mask;
        while (table[i] != null) {
            i = (i + 1) & mask;
        }
        table[i] = flow;
    }

    private static int hash(TcpFlow f) {
        return hash(f.guest.hi(), f.guest.lo(), f.guestPort, f.remote.hi(), f.remote.lo(), f.remotePort);
    }

    /** Mixes the tuple (a multiply-xorshift finaliser, as in MurmurHash3's fmix64). */
    static int hash(long guestHi, long guestLo, int guestPort, long remoteHi, long remoteLo, int remotePort) {
        long h = (guestLo * 0x9E3779B97F4A7C15L) ^ Long.rotateLeft(remoteLo, 32) ^ guestHi ^ (remoteHi * 31);
        h ^= ((long) guestPort << 16 | remotePort) * 0x9E3779B97F4A7C15L;
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return (int) h;
    }
}
