package dev.jslirp.nat.flow;

/**
 * Entries ordered by last use, least recently used first: an intrusive doubly linked
 * list through each {@link Entry}'s own links, so touching an entry on every datagram
 * moves it to the end in O(1) without allocating. The head is the next to expire and
 * the one evicted when the list is at its bound. Not thread-safe: used on the
 * network's event loop only.
 *
 * @param <E> the entries' type
 */
public final class IdleList<E extends IdleList.Entry> {
    /** What a list holds: the links and the time of last use live in the entry itself. */
    public abstract static class Entry {
        Entry older;
        Entry newer;
        IdleList<?> list;
        long lastActiveNanos;

        /** Last use, on the network's clock; set by {@link IdleList#add} and {@link IdleList#touch}. */
        public final long lastActiveNanos() {
            return lastActiveNanos;
        }

        /** The list this entry is on, or null. */
        public final IdleList<?> list() {
            return list;
        }
    }

    private Entry oldest;
    private Entry newest;
    private int size;

    /** Entries on the list. */
    public int size() {
        return size;
    }

    /** The least recently used entry, or null. */
    @SuppressWarnings("unchecked")
    public E oldest() {
        return (E) oldest;
    }

    /** The entry used next after {@code e}, on this list, or null if {@code e} is the newest. */
    @SuppressWarnings("unchecked")
    public E newer(E e) {
        return (E) e.newer;
    }

    /** Appends {@code e}, not on any list, as the most recently used. */
    public void add(E e, long now) {
        e.lastActiveNanos = now;
        e.list = this;
        e.older = newest;
        e.newer = null;
        if (newest != null) {
            newest.newer = e;
        } else {
            oldest = e;
        }
        newest = e;
        size++;
    }

    /** Marks {@code e}, on this list, used at {@code now}. */
    public void touch(E e, long now) {
        e.lastActiveNanos = now;
        if (e != newest) {
            unlink(e);
            add(e, now);
        }
    }

    /** Takes {@code e} off this list. */
    public void remove(E e) {
        unlink(e);
        e.list = null;
    }

    private void unlink(Entry e) {
        if (e.older != null) {
            e.older.newer = e.newer;
        } else {
            oldest = e.newer;
        }
        if (e.newer != null) {
            e.newer.older = e.older;
        } else {
            newest = e.older;
        }
        e.older = null;
        e.newer = null;
        size--;
    }
}
