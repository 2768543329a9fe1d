package dev.jslirp.nat.udp;

/**
 * Flows ordered by last use, least recently used first: an intrusive doubly linked
 * list through {@link UdpFlow#older} / {@link UdpFlow#newer}, so touching a flow on
 * every datagram moves it to the end in O(1) without allocating. The head is the next
 * to expire and the one evicted when the list is at its bound.
 */
final class IdleList {
    private UdpFlow oldest;
    private UdpFlow newest;
    private int size;

    /** Flows on the list. */
    int size() {
        return size;
    }

    /** The least recently used flow, or null. */
    UdpFlow oldest() {
        return oldest;
    }

    /** Appends {@code f}, not on any list, as the most recently used. */
    void add(UdpFlow f, long now) {
        f.lastActiveNanos = now;
        f.list = this;
        f.older = newest;
        f.newer = null;
        if (newest != null) {
            newest.newer = f;
        } else {
            oldest = f;
        }
        newest = f;
        size++;
    }

    /** Marks {@code f}, on this list, used at {@code now}. */
    void touch(UdpFlow f, long now) {
        f.lastActiveNanos = now;
        if (f != newest) {
            unlink(f);
            add(f, now);
        }
    }

    /** Takes {@code f} off this list. */
    void remove(UdpFlow f) {
        unlink(f);
        f.list = null;
    }

    private void unlink(UdpFlow f) {
        if (f.older != null) {
            f.older.newer = f.newer;
        } else {
            oldest = f.newer;
        }
        if (f.newer != null) {
            f.newer.older = f.older;
        } else {
            newest = f.older;
        }
        f.older = null;
        f.newer = null;
        size--;
    }
}
