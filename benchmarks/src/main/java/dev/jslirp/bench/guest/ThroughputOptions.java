package dev.jslirp.bench.guest;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The options of {@link GuestThroughput}, {@code key=value} words, checked before any
 * guest boots: an unknown key or a value out of its form fails at once with a message
 * naming the option and what it accepts (a measurement that dies after ten minutes of
 * booting for a typo wastes the machine).
 *
 * @param backends    backend names in the order each round runs them ({@link Backend#label})
 * @param rounds      boots per backend, at least 1
 * @param runs        transfers per direction and boot, at least 1
 * @param downloadMb  MB per download, at least 1
 * @param uploadMb    MB per upload, at least 1
 * @param downloads   whether to measure downloads (host to guest)
 * @param uploads     whether to measure uploads (guest to host)
 * @param sink        guest command the download is piped into; blank: {@code wget -O /dev/null}
 * @param waitSeconds pause after boot, 0 or more
 * @param jar         the jslirp jar of the backend {@code jslirp}
 * @param jvm         JVM options of each jslirp process
 * @param args        more jslirp arguments
 * @param pcapDir     where to record each boot's frames, or {@code null}
 */
record ThroughputOptions(List<String> backends, int rounds, int runs, long downloadMb, long uploadMb,
                         boolean downloads, boolean uploads, String sink, int waitSeconds, Path jar,
                         List<String> jvm, List<String> args, Path pcapDir) {

    /** The keys and their defaults; {@code upsize} defaults to {@code size}, {@code pcap} to none. */
    private static final Map<String, String> DEFAULTS = defaults();
    private static final Set<String> OPTIONAL = Set.of("upsize", "pcap");

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("backends", String.join(",", Backend.NAMES));
        d.put("rounds", "3");
        d.put("runs", "3");
        d.put("size", "20");
        d.put("dir", "both");
        d.put("sink", "");
        d.put("wait", "0");
        d.put("jar", "qemu-socket-adapter/target/jslirp.jar");
        d.put("jvm", "");
        d.put("args", "");
        return d;
    }

    /**
     * Parses {@code key=value} words over the defaults.
     *
     * @throws IllegalArgumentException naming the option and its accepted form
     */
    static ThroughputOptions parse(String... argv) {
        Map<String, String> o = new LinkedHashMap<>(DEFAULTS);
        for (String a : argv) {
            int eq = a.indexOf('=');
            String key = eq < 0 ? a : a.substring(0, eq);
            if (eq < 0 || !(DEFAULTS.containsKey(key) || OPTIONAL.contains(key))) {
                throw new IllegalArgumentException("unknown option " + a + "; options are key=value with key one of "
                        + DEFAULTS.keySet() + " or " + OPTIONAL);
            }
            o.put(key, a.substring(eq + 1));
        }
        List<String> backends = Arrays.asList(o.get("backends").split(","));
        backends.forEach(Backend::label);
        String dir = o.get("dir");
        if (!Set.of("both", "down", "up").contains(dir)) {
            throw new IllegalArgumentException("dir=" + dir + ": must be both, down or up");
        }
        long size = positive(o, "size");
        return new ThroughputOptions(backends, (int) positive(o, "rounds"), (int) positive(o, "runs"), size,
                o.containsKey("upsize") ? positive(o, "upsize") : size, !dir.equals("up"), !dir.equals("down"),
                o.get("sink"), (int) atLeast(o, "wait", 0), Path.of(o.get("jar")), words(o.get("jvm")),
                words(o.get("args")), o.containsKey("pcap") ? Path.of(o.get("pcap")) : null);
    }

    private static long positive(Map<String, String> o, String key) {
        return atLeast(o, key, 1);
    }

    private static long atLeast(Map<String, String> o, String key, int min) {
        String v = o.get(key);
        try {
            int n = Integer.parseInt(v);
            if (n >= min) {
                return n;
            }
        } catch (NumberFormatException e) {
            // the message below says what is accepted
        }
        throw new IllegalArgumentException(key + "=" + v + ": must be a whole number, at least " + min);
    }

    private static List<String> words(String s) {
        return s.isBlank() ? List.of() : Arrays.asList(s.trim().split("\\s+"));
    }
}
