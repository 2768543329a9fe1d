package dev.jslirp.core.iface;

/**
 * The switch's forwarding table: the port each guest MAC was last seen on (IEEE
 * 802.1D's filtering database), over a {@link SlotTable} (lookups allocate nothing).
 * Bounded by the number of ports times the MACs one port may have, which each port
 * keeps to ({@link SwitchPort#macs}).
 *
 * <p>Entries do not age while their port is attached: a quiet VM keeps its entry, so
 * frames for it are never flooded to the others. A port's entries go when it detaches
 * ({@link #removePort}); a port at its bound may reuse its own entries not seen for the
 * ageing time ({@link #evictStale}); an entry not seen for that long may move to
 * another port.
 *
 * <p>Confined to the network's event loop.
 */
final class MacTable {
    private final SlotTable t;

    /** A table for at most {@code maxEntries} MACs. */
    MacTable(int maxEntries) {
        this.t = new SlotTable(maxEntries);
    }

    /** Entries in the table. */
    int size() {
        return t.size();
    }

    /** The port {@code mac} was last seen on, or null. */
    SwitchPort lookup(long mac) {
        int i = t.find(0, mac);
        return i < 0 ? null : t.ports[i];
    }

    /** When {@code mac} was last seen; {@link Long#MIN_VALUE} if it is not in the table. */
    long lastSeen(long mac) {
        int i = t.find(0, mac);
        return i < 0 ? Long.MIN_VALUE : t.times[i];
    }

    /** Notes that {@code mac} was seen at {@code now}, if it is in the table. */
    void refresh(long mac, long now) {
        int i = t.find(0, mac);
        if (i >= 0) {
            t.times[i] = now;
        }
    }

    /**
     * Records {@code mac} on {@code port}, moving it from another port if it was there;
     * keeps both ports' counts. The caller checked the per-port bound.
     */
    void put(long mac, SwitchPort port, long now) {
        int i = t.find(0, mac);
        if (i < 0) {
            i = t.insert(0, mac);
            port.macs++;
        } else if (t.ports[i] != port) {
            t.ports[i].macs--;
            port.macs++;
        }
        t.ports[i] = port;
        t.times[i] = now;
    }

    /**
     * Forgets {@code port}'s MACs not seen since {@code before}, so that a port at its
     * bound can learn a new one.
     *
     * @return how many were forgotten
     */
    int evictStale(SwitchPort port, long before) {
        int freed = 0;
        for (int i = 0; i < t.slots(); i++) {
            while (t.used(i) && t.ports[i] == port && t.times[i] - before < 0) {
                remove(i);
                freed++;
            }
        }
        return freed;
    }

    /** Forgets every MAC of {@code port} (it detached). */
    void removePort(SwitchPort port) {
        for (int i = 0; i < t.slots(); i++) {
            while (t.used(i) && t.ports[i] == port) {
                remove(i);
            }
        }
    }

    private void remove(int i) {
        t.ports[i].macs--;
        t.removeAt(i);
    }
}
