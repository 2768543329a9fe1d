package dev.jslirp.bench.guest;

import dev.jslirp.guest.QemuGuest;
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
 * <p>{@code benchmarks/guest/run-guest-throughput.sh [key=value...]} builds what is missing
 * (the jslirp jar, benchmarks.jar, which holds this tool and the guest fixture
 * {@link QemuGuest} from qemu-socket-adapter's test-jar) and runs:
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.jslirp.bench.guest.GuestThroughput [key=value...]
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
 * The summary ends with one {@code RATIO} line per direction and backend other than
 * {@code user}: its median over {@code user}'s (above 1: faster than libslirp).
 * Traffic goes to 127.0.0.1 only.
 */
public final class GuestThroughput {
    private static final String DOWNLOAD = "download";
    private static final String UPLOAD = "upload";

    private GuestThroughput() {
    }

    public static void main(String[] argv) throws Exception {
        ThroughputOptions o;
        try {
            o = ThroughputOptions.parse(argv);
        } catch (IllegalArgumentException e) {
            System.err.println("GuestThroughput: " + e.getMessage());
            System.exit(2);
            return;
        }
        Map<String, Samples> results = new LinkedHashMap<>();
        for (int round = 0; round < o.rounds(); round++) {
            for (String name : o.backends()) {
                String label = Backend.label(name);
                Samples down = results.computeIfAbsent(label + " " + DOWNLOAD, k -> new Samples());
                Samples up = results.computeIfAbsent(label + " " + UPLOAD, k -> new Samples());
                try (Backend b = Backend.start(name, o.jar(), o.jvm(), o.args())) {
                    QemuGuest.Builder gb = QemuGuest.builder().name("perf-" + label).netdev(b.netdev());
                    if (o.pcapDir() != null) {
                        gb.pcap(o.pcapDir().resolve(label + "-" + round + ".pcap"));
                    }
                    try (QemuGuest guest = gb.start()) {
                        System.out.println(label + " round " + round + ": guest up (" + guest.accelerator()
                                + "), qemu pid " + guest.pid());
                        guest.runOk("ip link set eth0 up && udhcpc -i eth0 -q -n -t 10 >/dev/null 2>&1");
                        if (o.waitSeconds() > 0) {
                            System.out.println("waiting " + o.waitSeconds() + " s");
                            Thread.sleep(o.waitSeconds() * 1000L);
                        }
                        Transfers t = new Transfers(guest);
                        for (int run = 0; run < o.runs(); run++) {
                            if (o.downloads()) {
                                down.add(run == 0, report(label, round, run, DOWNLOAD, o.downloadMb() << 20,
                                        t.download(o.downloadMb() << 20, o.sink())));
                            }
                            if (o.uploads()) {
                                up.add(run == 0, report(label, round, run, UPLOAD, o.uploadMb() << 20,
                                        t.upload(o.uploadMb())));
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
        ratios(results);
    }

    /** Prints each backend's medians over libslirp's ({@code user}), per direction. */
    private static void ratios(Map<String, Samples> results) {
        for (String direction : List.of(DOWNLOAD, UPLOAD)) {
            Samples base = results.get("user " + direction);
            if (base == null || base.all.isEmpty()) {
                continue;
            }
            results.forEach((what, s) -> {
                String label = what.substring(0, what.indexOf(' '));
                if (what.endsWith(" " + direction) && !label.equals("user") && !s.all.isEmpty()) {
                    System.out.printf(Locale.ROOT, "RATIO  %-8s %s/libslirp  median %.2f  cold %.2f  warm %.2f%n",
                            direction, label, Samples.median(s.all) / Samples.median(base.all),
                            Samples.median(s.cold) / Samples.median(base.cold),
                            Samples.median(s.warm) / Samples.median(base.warm));
                }
            });
        }
    }

    private static double report(String backend, int round, int run, String what, long bytes, double seconds) {
        double mbps = bytes / seconds / 1e6;
        System.out.printf(Locale.ROOT, "%s round %d run %d %-8s %7.3f s %7.1f MB/s%n", backend, round, run, what,
                seconds, mbps);
        return mbps;
    }
}
