package dev.jslirp.core.stats;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
    @Test
    void observationsLandInTheFirstBucketWhoseBoundHoldsThem() {
        LatencyHistogram h = new LatencyHistogram();
        h.record(50_000);          // 50 us: first bucket (<= 100 us)
        h.record(100_000);         // exactly on the bound: inclusive
        h.record(3_000_000);       // 3 ms: <= 5 ms
        h.record(60_000_000_000L); // a minute: the unbounded bucket
        h.record(-5);              // a clock step back counts as 0
        long[] c = h.counts();
        assertThat(c).hasSize(LatencyHistogram.boundsNanos().length + 1);
        assertThat(c[0]).isEqualTo(3);
        assertThat(c[5]).isEqualTo(1);
        assertThat(c[c.length - 1]).isEqualTo(1);
        assertThat(h.count()).isEqualTo(5);
        assertThat(h.sumNanos()).isEqualTo(50_000 + 100_000 + 3_000_000 + 60_000_000_000L);
    }

    @Test
    void theNetworkStatsKeepOneHistogramPerName() {
        NetworkStats s = new NetworkStats();
        assertThat(s.latency("a")).isSameAs(s.latency("a"));
        assertThat(s.latencies()).containsOnlyKeys("a");
    }
}
