package dev.jslirp.metrics;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeoutException;

/**
 * The network's snapshot in the Prometheus client's model, taken at each scrape.
 *
 * <p>Names: each counter set is one counter family, {@code jslirp_SET_total} with the
 * counter's name as label {@code counter} ({@code jslirp_nat_tcp_total{counter="connects"}}),
 * except the core's drops, {@code jslirp_drops_total{reason="ipv4_bad_checksum"}}; a new
 * counter of any set appears without a change here. Gauges are {@code jslirp_NAME},
 * histograms {@code jslirp_NAME_seconds} with classic buckets from 100 µs to 10 s.
 */
final class PrometheusMetrics implements MultiCollector {
    /** How long a scrape waits for the event loop's snapshot. */
    static final Duration SNAPSHOT_TIMEOUT = Duration.ofSeconds(5);

    private final NetworkMetrics metrics;

    PrometheusMetrics(NetworkMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public MetricSnapshots collect() {
        MetricsSnapshot s;
        try {
            s = metrics.snapshot(SNAPSHOT_TIMEOUT);
        } catch (TimeoutException e) {
            throw new IllegalStateException("the event loop did not answer within " + SNAPSHOT_TIMEOUT, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
        return toPrometheus(s);
    }

    /** {@code s} as Prometheus snapshots. */
    static MetricSnapshots toPrometheus(MetricsSnapshot s) {
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        for (Map.Entry<String, Map<String, Long>> set : s.counters().entrySet()) {
            boolean drops = set.getKey().equals("drop");
            String label = drops ? "reason" : "counter";
            CounterSnapshot.Builder c = CounterSnapshot.builder()
                    .name(drops ? "jslirp_drops" : "jslirp_" + sanitize(set.getKey()))
                    .help(drops ? "Frames from the guest the core dropped, by reason"
                            : "Counters of jslirp's " + set.getKey() + " (one per label value)");
            set.getValue().forEach((name, value) -> c.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                    .labels(Labels.of(label, name)).value(value).build()));
            out.metricSnapshot(c.build());
        }
        for (MetricsSnapshot.Gauge g : s.gauges()) {
            out.metricSnapshot(GaugeSnapshot.builder().name("jslirp_" + g.name()).help(g.help())
                    .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(g.value()).build()).build());
        }
        for (Map.Entry<String, MetricsSnapshot.Histogram> e : s.latencies().entrySet()) {
            MetricsSnapshot.Histogram h = e.getValue();
            out.metricSnapshot(HistogramSnapshot.builder().name("jslirp_" + sanitize(e.getKey()) + "_seconds")
                    .unit(Unit.SECONDS).help(h.help())
                    .dataPoint(HistogramSnapshot.HistogramDataPointSnapshot.builder()
                            .classicHistogramBuckets(ClassicHistogramBuckets.of(h.upperBoundsSeconds(), h.counts()))
                            .sum(h.sumSeconds()).build())
                    .build());
        }
        return out.build();
    }

    /** A set's name as part of a metric name: {@code nat.tcp} as {@code nat_tcp}. */
    static String sanitize(String name) {
        return name.replaceAll("[^a-zA-Z0-9_]", "_");
    }
}
