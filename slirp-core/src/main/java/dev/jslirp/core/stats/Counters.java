package dev.jslirp.core.stats;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A fixed set of counters named by an enum. Increments come from the guest's event
 * loop; reads may come from any thread (monitoring, tests), so the values live in an
 * {@link AtomicLongArray} written with release semantics and no contention.
 *
 * @param <E> the enum naming the counters
 */
public final class Counters<E extends Enum<E>> {
    private final Class<E> type;
    private final E[] constants;
    private final AtomicLongArray values;

    /** Counters for every constant of {@code type}, all zero. */
    public Counters(Class<E> type) {
        this.type = type;
        this.constants = type.getEnumConstants();
        this.values = new AtomicLongArray(constants.length);
    }

    /** The enum these counters are named by. */
    public Class<E> type() {
        return type;
    }

    /** Adds one. Only the owning event loop increments, so a plain store suffices. */
    public void increment(E counter) {
        int i = counter.ordinal();
        values.lazySet(i, values.get(i) + 1);
    }

    /** Adds {@code n}. */
    public void add(E counter, long n) {
        int i = counter.ordinal();
        values.lazySet(i, values.get(i) + n);
    }

    /** The current value. */
    public long get(E counter) {
        return values.get(counter.ordinal());
    }

    /** The sum of all counters. */
    public long total() {
        long t = 0;
        for (int i = 0; i < constants.length; i++) {
            t += values.get(i);
        }
        return t;
    }

    /** The non-zero counters by name, in declaration order. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (E c : constants) {
            long v = values.get(c.ordinal());
            if (v != 0) {
                m.put(c.name(), v);
            }
        }
        return m;
    }

    @Override
    public String toString() {
        return type.getSimpleName() + snapshot();
    }
}
