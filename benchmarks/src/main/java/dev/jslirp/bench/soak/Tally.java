package dev.jslirp.bench.soak;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The soak's own counts, by name ({@code bulk.g2h.v4.bytes}, {@code dns.v6.answers}...),
 * and its errors by kind, with the first few messages kept (and printed as they happen)
 * so a failed run says what went wrong. Written by every worker thread at once.
 */
final class Tally {
    /** Error messages kept, and printed, at most. */
    private static final int MESSAGES = 20;

    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
    private final List<String> messages = new ArrayList<>();
    private final Instant start = Instant.now();

    /** Adds {@code n} to count {@code name}. */
    void add(String name, long n) {
        counts.computeIfAbsent(name, k -> new LongAdder()).add(n);
    }

    /** The count {@code name} (0 if never added to). */
    long get(String name) {
        LongAdder a = counts.get(name);
        return a == null ? 0 : a.sum();
    }

    /** The sum of every count whose name starts with {@code prefix} and ends with {@code suffix}. */
    long sum(String prefix, String suffix) {
        long s = 0;
        for (Map.Entry<String, LongAdder> e : counts.entrySet()) {
            if (e.getKey().startsWith(prefix) && e.getKey().endsWith(suffix)) {
                s += e.getValue().sum();
            }
        }
        return s;
    }

    /** Counts an error of {@code kind}; keeps and prints the first messages. */
    void error(String kind, String message) {
        errors.computeIfAbsent(kind, k -> new LongAdder()).increment();
        synchronized (messages) {
            if (messages.size() < MESSAGES) {
                long s = Duration.between(start, Instant.now()).toSeconds();
                String line = String.format("%4d:%02d %s: %s", s / 60, s % 60, kind, message);
                messages.add(line);
                System.err.println("soak: error at " + line);
            }
        }
    }

    /** Counts an error of {@code kind} from an exception. */
    void error(String kind, Throwable t) {
        error(kind, t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage()));
    }

    /** Every error so far. */
    long errorCount() {
        return errors.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Errors by kind, sorted by name. */
    Map<String, Long> errorsByKind() {
        Map<String, Long> m = new TreeMap<>();
        errors.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /** The first error messages, with the run's minute and second each came at. */
    List<String> firstMessages() {
        synchronized (messages) {
            return List.copyOf(messages);
        }
    }
}
