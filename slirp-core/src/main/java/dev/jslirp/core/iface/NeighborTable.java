package dev.jslirp.core.iface;

import dev.jslirp.core.wire.MacAddress;

/**
 * The guests' IP-to-MAC mappings of both families, and which port each address is
 * bound to: learned from the guests' own frames (ARP, neighbour discovery, IP sources)
 * and assigned by DHCP. Addresses are {@link dev.jslirp.core.wire.IpAddress} halves.
 * Over a {@link SlotTable}, with the last hit cached: a lookup allocates nothing, and
 * one guest talking to the network finds its entry at once.
 *
 * <h2>Bindings</h2>
 * <p>An address belongs to the port that first used it, or that DHCP gave it to
 * ({@link #bind}): another port sending from it while its owner is attached and has
 * used it within {@link #AGEING_NANOS} is spoofing ({@link #TAKEN}; the caller drops
 * the frame). An owner silent for that long loses it to whoever claims it next (an
 * address that moves between VMs on purpose, such as a floating IP, moves then). DHCP's
 * word is final: an assignment rebinds the address at once.
 *
 * <h2>Bounds</h2>
 * <p>A port keeps at most {@link #ADDRESSES_PER_PORT} addresses (an IPv4 address, a
 * link-local and a few global IPv6 ones, temporary addresses coming and going): a new
 * one replaces that port's least recently used. Addresses bound to no port (a service
 * told the network before the guest's MAC was seen) are at most {@link #UNBOUND_MAX},
 * replaced likewise. So the table holds at most ports times 16 plus 64 entries, and no
 * port can push out another's.
 */
final class NeighborTable {
    /** {@link #bind}: the mapping was there already. */
    static final int UNCHANGED = 0;
    /** {@link #bind}: the mapping is new or its MAC changed. */
    static final int CHANGED = 1;
    /** {@link #bind}: the address belongs to another attached port; nothing changed. */
    static final int TAKEN = 2;
    /**
     * How long an address stays its port's without being used: 300 s, the default
     * ageing time of IEEE 802.1D's filtering database and of Linux bridges.
     */
    static final long AGEING_NANOS = 300_000_000_000L;
    /** Addresses one port may hold. */
    static final int ADDRESSES_PER_PORT = 16;
    /** Addresses bound to no port. */
    static final int UNBOUND_MAX = 64;

    private final SlotTable t;
    private int unbound;
    private int lastSlot = -1;

    /** A table for {@code maxPorts} ports. */
    NeighborTable(int maxPorts) {
        this.t = new SlotTable(maxPorts * ADDRESSES_PER_PORT + UNBOUND_MAX);
    }

    /** The MAC of {@code (hi, lo)}, or {@link MacAddress#ZERO} if unknown. */
    long lookup(long hi, long lo) {
        int i = slot(hi, lo);
        return i < 0 ? MacAddress.ZERO : t.values[i];
    }

    /** The port {@code (hi, lo)} is bound to, or null. */
    SwitchPort portOf(long hi, long lo) {
        int i = slot(hi, lo);
        return i < 0 ? null : t.ports[i];
    }

    /** True if DHCP (or a service) assigned {@code (hi, lo)} to a MAC now on {@code port}. */
    boolean assignedTo(long hi, long lo, SwitchPort port) {
        int i = slot(hi, lo);
        return i >= 0 && t.flags[i] && t.ports[i] == port;
    }

    /**
     * Records that {@code (hi, lo)} is at {@code mac} on {@code port} (null: a port not
     * known yet).
     *
     * @param assigned DHCP or a service says so: binds even if another port holds it
     * @return {@link #UNCHANGED}, {@link #CHANGED} or {@link #TAKEN}
     */
    int bind(long hi, long lo, long mac, SwitchPort port, long now, boolean assigned) {
        int i = slot(hi, lo);
        if (i >= 0 && t.ports[i] == port) {
            t.times[i] = now;
            t.flags[i] |= assigned;
            if (t.values[i] == mac) {
                return UNCHANGED;
            }
            t.values[i] = mac;
            return CHANGED;
        }
        if (i >= 0) {
            SwitchPort owner = t.ports[i];
            if (!assigned && owner != null && owner.attached && now - t.times[i] < AGEING_NANOS) {
                return TAKEN;
            }
            remove(i);
        }
        makeRoom(port);
        i = t.insert(hi, lo);
        lastSlot = -1;
        t.ports[i] = port;
        t.values[i] = mac;
        t.times[i] = now;
        t.flags[i] = assigned;
        if (port != null) {
            port.addresses++;
        } else {
            unbound++;
        }
        return CHANGED;
    }

    /**
     * Unbinds every address of {@code port} (it detached): they are free for whoever
     * comes next, and their MACs stay known, so that the guest coming back on a new port
     * is reached without asking (and a guest that does not come back is not flooded
     * for: the switch drops the network's frames for a MAC on no port).
     */
    void unbindPort(SwitchPort port) {
        for (int i = 0; i < t.slots(); i++) {
            if (t.used(i) && t.ports[i] == port) {
                t.ports[i] = null;
                port.addresses--;
                unbound++;
            }
        }
        while (unbound > UNBOUND_MAX) {
            makeRoom(null);
        }
    }

    /** Number of entries. */
    int size() {
        return t.size();
    }

    /** Frees a slot of {@code port}'s (or of the unbound ones) if it is at its bound: the least recently used. */
    private void makeRoom(SwitchPort port) {
        if (port != null ? port.addresses < ADDRESSES_PER_PORT : unbound < UNBOUND_MAX) {
            return;
        }
        int oldest = -1;
        for (int i = 0; i < t.slots(); i++) {
            if (t.used(i) && t.ports[i] == port && (oldest < 0 || t.times[i] - t.times[oldest] < 0)) {
                oldest = i;
            }
        }
        if (oldest >= 0) {
            remove(oldest);
        }
    }

    private void remove(int i) {
        SwitchPort p = t.ports[i];
        if (p != null) {
            p.addresses--;
        } else {
            unbound--;
        }
        t.removeAt(i);
        lastSlot = -1;
    }

    private int slot(long hi, long lo) {
        int li = lastSlot;
        if (li >= 0 && t.los[li] == lo && t.his[li] == hi) {
            return li;
        }
        if (hi == 0 && lo == 0) {
            return -1;
        }
        int i = t.find(hi, lo);
        if (i >= 0) {
            lastSlot = i;
        }
        return i;
    }
}
