package dev.jslirp.metrics;

import java.util.List;
import java.util.Map;

/**
 * The network's numbers at one moment, in a form neither Prometheus nor JSON: what
 * {@link PrometheusMetrics} and {@link StatsJson} both write, so the two always agree.
 *
 * @param counters   every counter by set ({@code traffic}, {@code drop}, {@code dhcp},
 *                   {@code nat.tcp}...) and name (lower case), zeros included; sets and names
 *                   in a fixed order
 * @param gauges     current levels, in a fixed order
 * @param latencies  latency histograms by name ({@code nat.tcp.host_connect}), sorted
 */
public record MetricsSnapshot(Map<String, Map<String, Long>> counters, List<Gauge> gauges,
                              Map<String, Histogram> latencies) {
    /** A level: {@code name} in lower case with underscores, what it measures, its value. */
    public record Gauge(String name, String help, double value) {
    }

    /**
     * A latency histogram.
     *
     * @param upperBoundsSeconds the buckets' inclusive upper bounds, the last one infinite
     * @param counts             observations per bucket, not cumulative, as many as bounds
     * @param sumSeconds         the sum of all observations
     * @param help               what is measured
     */
    public record Histogram(double[] upperBoundsSeconds, long[] counts, double sumSeconds, String help) {
        /** The number of observations. */
        public long count() {
            long n = 0;
            for (long c : counts) {
                n += c;
            }
            return n;
        }
    }
}
