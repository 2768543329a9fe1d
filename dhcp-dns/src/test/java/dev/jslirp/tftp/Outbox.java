package dev.jslirp.tftp;

import java.util.ArrayList;
import java.util.List;

/** What a rig recorded as sent, taken out in order by the test. */
final class Outbox<T> {
    private final List<T> items = new ArrayList<>();

    void add(T item) {
        items.add(item);
    }

    /** Everything recorded since the last call, which is forgotten. */
    List<T> drain() {
        List<T> all = new ArrayList<>(items);
        items.clear();
        return all;
    }

    /** The one item recorded since the last call; fails if there are none or several. */
    T one() {
        List<T> all = drain();
        if (all.size() != 1) {
            throw new AssertionError("expected one message, got " + all);
        }
        return all.get(0);
    }
}
