package dev.jslirp.core.iface;

import dev.jslirp.core.wire.MacAddress;

/**
 * The guest side's IPv4-to-MAC mappings, learned from the guest's own frames (ARP and
 * IPv4 sources) and from DHCP. A guest network has one or a few hosts, so this is a
 * small fixed array searched linearly, with the last hit cached; when full, the least
 * recently learned entry is replaced. No allocation after construction.
 */
final class NeighborTable {
    private final int[] ips;
    private final long[] macs;
    private final long[] learnedAt;
    private int size;
    private int lastIndex = -1;

    NeighborTable(int capacity) {
        ips = new int[capacity];
        macs = new long[capacity];
        learnedAt = new long[capacity];
    }

    /** The MAC of {@code ip}, or {@link MacAddress#ZERO} if unknown. */
    long lookup(int ip) {
        int li = lastIndex;
        if (li >= 0 && ips[li] == ip) {
            return macs[li];
        }
        for (int i = 0; i < size; i++) {
            if (ips[i] == ip) {
                lastIndex = i;
                return macs[i];
            }
        }
        return MacAddress.ZERO;
    }

    /**
     * Records {@code ip} at {@code mac}.
     *
     * @return true if the mapping is new or changed
     */
    boolean learn(int ip, long mac, long now) {
        int li = lastIndex;
        if (li >= 0 && ips[li] == ip) {
            learnedAt[li] = now;
            if (macs[li] == mac) {
                return false;
            }
            macs[li] = mac;
            return true;
        }
        for (int i = 0; i < size; i++) {
            if (ips[i] == ip) {
                lastIndex = i;
                learnedAt[i] = now;
                boolean changed = macs[i] != mac;
                macs[i] = mac;
                return changed;
            }
        }
        int slot;
        if (size < ips.length) {
            slot = size++;
        } else {
            slot = 0;
            for (int i = 1; i < size; i++) {
                if (learnedAt[i] - learnedAt[slot] < 0) {
                    slot = i;
                }
            }
        }
        ips[slot] = ip;
        macs[slot] = mac;
        learnedAt[slot] = now;
        lastIndex = slot;
        return true;
    }

    /** Number of entries. */
    int size() {
        return size;
    }
}
