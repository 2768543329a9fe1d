package dev.jslirp.core.iface;

import dev.jslirp.core.wire.MacAddress;

/**
 * The guest side's IP-to-MAC mappings of both families, learned from the guest's own
 * frames (ARP, neighbour discovery, IP sources) and from DHCP. Addresses are
 * {@link dev.jslirp.core.wire.IpAddress} halves. A guest network has one or a few
 * hosts (each with an IPv4 address and a few IPv6 ones), so this is a small fixed
 * array searched linearly, with the last hit cached; when full, the least recently
 * learned entry is replaced. No allocation after construction.
 */
final class NeighborTable {
    private final long[] his;
    private final long[] ips;
    private final long[] macs;
    private final long[] learnedAt;
    private int size;
    private int lastIndex = -1;

    NeighborTable(int capacity) {
        his = new long[capacity];
        ips = new long[capacity];
        macs = new long[capacity];
        learnedAt = new long[capacity];
    }

    /** The MAC of {@code (hi, ip)}, or {@link MacAddress#ZERO} if unknown. */
    long lookup(long hi, long ip) {
        int li = lastIndex;
        if (li >= 0 && ips[li] == ip && his[li] == hi) {
            return macs[li];
        }
        for (int i = 0; i < size; i++) {
            if (ips[i] == ip && his[i] == hi) {
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
    boolean learn(long hi, long ip, long mac, long now) {
        int li = lastIndex;
        if (li >= 0 && ips[li] == ip && his[li] == hi) {
            learnedAt[li] = now;
            if (macs[li] == mac) {
                return false;
            }
            macs[li] = mac;
            return true;
        }
        for (int i = 0; i < size; i++) {
            if (ips[i] == ip && his[i] == hi) {
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
        his[slot] = hi;
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
