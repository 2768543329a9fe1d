package dev.jslirp.bench.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * What a soak run shows: the least-squares slopes of jslirp's resident set, file
 * descriptors, flows and buffer memory over the second half of the run (the first half
 * is warm-up: the JIT, the pools filling, UDP flows reaching the level at which as many
 * expire as open), the traffic done, and the verdict.
 *
 * <p>The run fails on any error (data that arrived wrong, a connection or DNS query that
 * failed, a forward that could not be added or used), on UDP loss above
 * {@link Limits#maxUdpLossPercent}, and, in runs of at least
 * {@link Limits#judgeAfterMinutes} (shorter ones are still warming up), when the line
 * fitted to the open file descriptors or to the flows rises by more than its limit
 * across the second half. The resident set and the buffer memory are reported, not
 * judged: a JVM's resident set moves with its collector and compiler, so its slope is
 * for a reader to weigh. (The script adds what only jslirp's log shows: a Netty
 * {@code LEAK:} report or an error logged fails the run too.)
 */
final class SoakReport {
    /** The thresholds. */
    record Limits(double judgeAfterMinutes, double maxFdGrowth, double maxFlowGrowth, double maxUdpLossPercent) {
        static final Limits DEFAULT = new Limits(10, 32, 64, 1.0);
    }

    /** The report's text and why the run failed (empty: it passed). */
    record Verdict(String text, List<String> failures) {
        boolean passed() {
            return failures.isEmpty();
        }
    }

    private SoakReport() {
    }

    /** One row of the slope table. */
    private record Series(String name, String unit, double scale, ToDoubleFunction<Sample> value) {
    }

    private static final List<Series> SERIES = List.of(
            new Series("RSS", "MiB", 1.0 / 1024, Sample::rssKib),
            new Series("open fds", "", 1, Sample::fds),
            new Series("TCP flows", "", 1, Sample::tcpFlows),
            new Series("UDP flows", "", 1, Sample::udpFlows),
            new Series("pool direct memory", "MiB", 1.0 / (1024 * 1024), Sample::directBytes),
            new Series("pool heap memory", "MiB", 1.0 / (1024 * 1024), Sample::heapBytes),
            new Series("threads", "", 1, Sample::threads));

    /**
     * Judges {@code samples} (taken during the traffic, in order) with the traffic's
     * {@code tally}; {@code minutes} is the traffic's planned length.
     */
    static Verdict judge(List<Sample> samples, Tally tally, double minutes, Limits limits) {
        StringBuilder b = new StringBuilder();
        List<String> failures = new ArrayList<>();
        if (samples.size() < 4) {
            failures.add("only " + samples.size() + " samples: too few to judge");
            return new Verdict("soak: " + failures.get(0) + "\n", failures);
        }
        Sample first = samples.get(0);
        Sample last = samples.get(samples.size() - 1);
        double seconds = last.seconds() - first.seconds();
        List<Sample> half = samples.subList(samples.size() / 2, samples.size());
        double[] t = half.stream().mapToDouble(Sample::seconds).toArray();
        f(b, "soak: %.1f minutes of traffic, %d samples; jslirp used %.0f%% of one CPU on average%n", seconds / 60,
                samples.size(), 100 * (last.cpuSeconds() - first.cpuSeconds()) / seconds);
        f(b, "slopes over the second half (%.1f minutes, %d samples), least squares:%n", (t[t.length - 1] - t[0]) / 60,
                half.size());
        f(b, "  %-20s %14s %15s %12s   %s%n", "", "per hour", "over the half", "mean", "min .. max");
        Slope fds = null;
        Slope flows = Slope.fit(t, half.stream().mapToDouble(Sample::flows).toArray());
        for (Series s : SERIES) {
            double[] y = half.stream().mapToDouble(s.value()).map(v -> v * s.scale()).toArray();
            Slope slope = Slope.fit(t, y);
            if (s.name().equals("open fds")) {
                fds = slope;
            }
            double mean = java.util.Arrays.stream(y).average().orElse(Double.NaN);
            double min = java.util.Arrays.stream(y).min().orElse(Double.NaN);
            double max = java.util.Arrays.stream(y).max().orElse(Double.NaN);
            String u = s.unit().isEmpty() ? "" : " " + s.unit();
            f(b, "  %-20s %14s %15s %12s   %.1f .. %.1f%s%n", s.name(),
                    String.format(Locale.ROOT, "%+.2f%s/h", slope.perHour(), u),
                    String.format(Locale.ROOT, "%+.2f%s", slope.growth(), u),
                    String.format(Locale.ROOT, "%.1f%s", mean, u), min, max, u);
        }
        f(b, "traffic:%n");
        f(b, "  bulk TCP %.2f GiB: guest to host %.2f GiB (via 10.0.2.2 %.2f, fec0::2 %.2f, forwards %.2f, %.2f), "
                        + "host to guest %.2f GiB (via 10.0.2.2 %.2f, fec0::2 %.2f, forwards %.2f, %.2f)%n",
                gib(tally.sum("bulk.", ".bytes")), gib(tally.sum("bulk.", ".g2h.bytes")),
                gib(tally.get("bulk.gw4.g2h.bytes")), gib(tally.get("bulk.gw6.g2h.bytes")),
                gib(tally.get("bulk.fwd4.g2h.bytes")), gib(tally.get("bulk.fwd6.g2h.bytes")),
                gib(tally.sum("bulk.", ".h2g.bytes")), gib(tally.get("bulk.gw4.h2g.bytes")),
                gib(tally.get("bulk.gw6.h2g.bytes")), gib(tally.get("bulk.fwd4.h2g.bytes")),
                gib(tally.get("bulk.fwd6.h2g.bytes")));
        f(b, "  %d short TCP connections (guest to host %d, host to guest through forwards %d)%n",
                last.shortConnections(), tally.sum("short.gw", ".done"), tally.sum("short.fwd", ".done"));
        f(b, "  %d DNS queries answered (IPv4 %d, IPv6 %d; %d of them by the upstream)%n", last.dnsAnswers(),
                tally.get("dns.v4.answers"), tally.get("dns.v6.answers"), tally.get("dns.upstream.answers"));
        long udpSent = last.udpEchoes() + last.udpLost();
        double loss = udpSent == 0 ? 0 : 100.0 * last.udpLost() / udpSent;
        f(b, "  %d UDP datagrams echoed, %d lost (%.3f%%: guest to host via 10.0.2.2 %d, fec0::2 %d, host to guest "
                        + "through forwards %d, %d), every tenth in fragments%n", last.udpEchoes(), last.udpLost(), loss,
                tally.get("udp.gw4.lost"), tally.get("udp.gw6.lost"), tally.get("udp.fwd4.lost"),
                tally.get("udp.fwd6.lost"));
        f(b, "  %d forwards added at run time, used and removed%n", last.forwardCycles());
        Map<String, Long> errors = tally.errorsByKind();
        f(b, "errors: %d%s%n", tally.errorCount(), errors.isEmpty() ? "" : " " + errors);
        tally.firstMessages().forEach(m -> f(b, "  %s%n", m));

        if (tally.errorCount() > 0) {
            failures.add(tally.errorCount() + " traffic errors");
        }
        if (loss > limits.maxUdpLossPercent()) {
            failures.add(String.format(Locale.ROOT, "UDP loss %.3f%% above %.3f%%", loss, limits.maxUdpLossPercent()));
        }
        for (String[] kind : new String[][] {{"bulk TCP", Long.toString(tally.sum("bulk.", ".bytes"))},
                {"short connections", Long.toString(last.shortConnections())},
                {"DNS answers", Long.toString(last.dnsAnswers())}, {"UDP echoes", Long.toString(last.udpEchoes())},
                {"forward cycles", Long.toString(last.forwardCycles())}}) {
            if (kind[1].equals("0")) {
                failures.add("no " + kind[0] + " at all");
            }
        }
        if (minutes >= limits.judgeAfterMinutes()) {
            if (fds.growth() > limits.maxFdGrowth()) {
                failures.add(String.format(Locale.ROOT, "open fds grow %+.1f over the second half (limit %+.0f)",
                        fds.growth(), limits.maxFdGrowth()));
            }
            if (flows.growth() > limits.maxFlowGrowth()) {
                failures.add(String.format(Locale.ROOT, "flows grow %+.1f over the second half (limit %+.0f)",
                        flows.growth(), limits.maxFlowGrowth()));
            }
            f(b, "growth judged: fds %+.1f (limit %+.0f), TCP+UDP flows %+.1f (limit %+.0f) over the second half%n",
                    fds.growth(), limits.maxFdGrowth(), flows.growth(), limits.maxFlowGrowth());
        } else {
            f(b, "growth not judged: runs shorter than %.0f minutes are still warming up (UDP flows live 240 s)%n",
                    limits.judgeAfterMinutes());
        }
        f(b, "verdict: %s%n", failures.isEmpty() ? "PASS" : "FAIL: " + String.join("; ", failures));
        return new Verdict(b.toString(), failures);
    }

    private static double gib(long bytes) {
        return bytes / (1024.0 * 1024 * 1024);
    }

    private static void f(StringBuilder b, String format, Object... args) {
        b.append(String.format(Locale.ROOT, format, args));
    }
}
