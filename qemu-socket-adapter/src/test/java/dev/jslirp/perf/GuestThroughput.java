package dev.jslirp.perf;

import dev.jslirp.guest.QemuGuest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Single-stream TCP throughput between a real guest ({@link QemuGuest}) and the host's
 * loopback, with jslirp and QEMU's own {@code -netdev user} (libslirp) side by side. A
 * measurement tool run by hand, not a test (the machine's load decides the numbers).
 *
 * <h2>What it does</h2>
 * <p>For each of {@code rounds} rounds, each backend in turn gets a freshly booted guest
 * (and, for jslirp, a fresh jslirp process: its JIT starts cold, as for a user) and
 * runs {@code runs} downloads and uploads ({@link Transfers}) alternately. Backends
 * alternate within a round so that a change in the machine's load hits both alike.
 * The summary gives per backend and direction the median MB/s of all runs, of each
 * boot's first run ("cold") and of the others ("warm").
 *
 * <h2>Running it</h2>
 * <p>It needs the jslirp jar ({@code ./mvnw -q -o -DskipTests -pl qemu-socket-adapter
 * -am package}) and the compiled test classes; nothing else is on its class path:
 * <pre>
 * java -cp qemu-socket-adapter/target/test-classes dev.jslirp.perf.GuestThroughput [key=value...]
 *   backends=user,jslirp  which, in this order each round; LABEL@JAR is jslirp from JAR
 *   rounds=3              boots per backend
 *   runs=3                transfers per direction and boot
 *   size=20               MB per download;  upsize=MB per upload (default: size)
 *   dir=both|down|up
 *   sink=CMD              guest command the download is piped into (default: -O /dev/null),
 *                         e.g. sink=sha256sum for a guest that reads the data
 *   jar=PATH              jslirp jar (default qemu-socket-adapter/target/jslirp.jar)
 *   jvm="OPTS"            JVM options of the jslirp process, e.g.
 *                         jvm="-XX:StartFlightRecording=filename=/tmp/j.jfr,settings=profile"
 *   args="ARGS"           more jslirp arguments
 *   pcap=DIR              record each boot's frames (QEMU filter-dump) as DIR/BACKEND-ROUND.pcap
 *   wait=S                pause S seconds after boot (to attach strace or a profiler)
 * </pre>
 * Traffic goes to 127.0.0.1 only.
 */
public final class GuestThroughput {
    private GuestThroughput() {
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> o = options(argv);
        List<String> backends = Arrays.asList(o.get("backends").split(","));
        int rounds = Integer.parseInt(o.get("rounds"));
        int runs = Integer.parseInt(o.get("runs"));
        long size = Long.parseLong(o.get("size")) << 20;
        long upMb = Long.parseLong(o.getOrDefault("upsize", o.get("size")));
        String dir = o.get("dir");
        String sink = o.get("sink");
        int wait = Integer.parseInt(o.get("wait"));
        Path jar = Path.of(o.get("jar"));
        Path pcapDir = o.containsKey("pcap") ? Path.of(o.get("pcap")) : null;
        Map<String, Samples> results = new LinkedHashMap<>();
        for (int round = 0; round < rounds; round++) {
            for (String name : backends) {
                String label = name.contains("@") ? name.substring(0, name.indexOf('@')) : name;
                Samples down = results.computeIfAbsent(label + " download", k -> new Samples());
                Samples up = results.computeIfAbsent(label + " upload", k -> new Samples());
                try (Backend b = Backend.start(name, jar, words(o.get("jvm")), words(o.get("args")))) {
                    QemuGuest.Builder gb = QemuGuest.builder().name("perf-" + label).netdev(b.netdev());
                    if (pcapDir != null) {
                        gb.pcap(pcapDir.resolve(label + "-" + round + ".pcap"));
                    }
                    try (QemuGuest guest = gb.start()) {
                        System.out.println(label + " round " + round + ": guest up (" + guest.accelerator()
                                + "), qemu pid " + guest.pid());
                        guest.runOk("ip link set eth0 up && udhcpc -i eth0 -q -n -t 10 >/dev/null 2>&1");
                        if (wait > 0) {
                            System.out.println("waiting " + wait + " s");
                            Thread.sleep(wait * 1000L);
                        }
                        Transfers t = new Transfers(guest);
                        for (int run = 0; run < runs; run++) {
                            if (!dir.equals("up")) {
                                down.add(run == 0, report(label, round, run, "download", size,
                                        t.download(size, sink)));
                            }
                            if (!dir.equals("down")) {
                                up.add(run == 0, report(label, round, run, "upload", upMb << 20, t.upload(upMb)));
                            }
                        }
                    }
                }
            }
        }
        System.out.println();
        results.forEach((what, s) -> {
            if (!s.all.isEmpty()) {
                System.out.printf(Locale.ROOT, "RESULT %-16s median %6.1f MB/s  cold %6.1f  warm %6.1f  (min %.1f,"
                        + " max %.1f, n=%d)%n", what, Samples.median(s.all), Samples.median(s.cold),
                        Samples.median(s.warm), s.all.stream().mapToDouble(d -> d).min().orElse(0),
                        s.all.stream().mapToDouble(d -> d).max().orElse(0), s.all.size());
            }
        });
    }

    private static double report(String backend, int round, int run, String what, long bytes, double seconds) {
        double mbps = bytes / seconds / 1e6;
        System.out.printf(Locale.ROOT, "%s round %d run %d %-8s %7.3f s %7.1f MB/s%n", backend, round, run, what,
                seconds, mbps);
        return mbps;
    }

    private static Map<String, String> options(String[] argv) {
        Map<String, String> o = new LinkedHashMap<>();
        o.put("backends", String.join(",", Backend.NAMES));
        o.put("rounds", "3");
        o.put("runs", "3");
        o.put("size", "20");
        o.put("dir", "both");
        o.put("sink", "");
        o.put("wait", "0");
        o.put("jar", "qemu-socket-adapter/target/jslirp.jar");
        o.put("jvm", "");
        o.put("args", "");
        for (String a : argv) {
            int eq = a.indexOf('=');
            if (eq < 0 || !(o.containsKey(a.substring(0, eq)) || a.startsWith("upsize=") || a.startsWith("pcap="))) {
                throw new IllegalArgumentException("unknown option " + a + "; see the class documentation");
            }
            o.put(a.substring(0, eq), a.substring(eq + 1));
        }
        return o;
    }

    private static List<String> words(String s) {
        return s.isBlank() ? List.of() : Arrays.asList(s.trim().split("\\s+"));
    }

    /** MB/s of one backend and direction. */
    private static final class Samples {
        final List<Double> all = new ArrayList<>();
        final List<Double> cold = new ArrayList<>();
        final List<Double> warm = new ArrayList<>();

        void add(boolean first, double mbps) {
            all.add(mbps);
            (first ? cold : warm).add(mbps);
        }

        static double median(List<Double> values) {
            if (values.isEmpty()) {
                return Double.NaN;
            }
            double[] v = values.stream().mapToDouble(d -> d).sorted().toArray();
            return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        }
    }
}
