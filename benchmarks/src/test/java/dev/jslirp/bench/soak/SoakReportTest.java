package dev.jslirp.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntToLongFunction;
import org.junit.jupiter.api.Test;

/** The soak's verdict from its samples: what passes, what fails, and when growth is judged at all. */
class SoakReportTest {
    private static final SoakReport.Limits LIMITS = SoakReport.Limits.DEFAULT;

    /** A run of {@code minutes}, a sample every 5 s, with fds and TCP flows as given per sample index. */
    private static List<Sample> run(double minutes, IntToLongFunction fds, IntToLongFunction tcpFlows) {
        List<Sample> samples = new ArrayList<>();
        int n = (int) (minutes * 12) + 1;
        for (int i = 0; i < n; i++) {
            samples.add(new Sample(i * 5.0, 300_000 + i % 3, fds.applyAsLong(i), 20, i * 2.5,
                    tcpFlows.applyAsLong(i), 0, 50, 0, 8 << 20, 4 << 20, i * 1_000_000L, i * 10L, i * 5L, i * 40L, 0,
                    i / 2, 0));
        }
        return samples;
    }

    /** Every kind of traffic done, no errors. */
    private static Tally busy() {
        Tally t = new Tally();
        t.add("bulk.gw4.g2h.bytes", 1 << 20);
        return t;
    }

    @Test
    void flatRunWithTrafficPasses() {
        SoakReport.Verdict v = SoakReport.judge(run(30, i -> 60 + i % 7, i -> 400 + (i * 31) % 50), busy(), 30, LIMITS);
        assertThat(v.failures()).isEmpty();
        assertThat(v.text()).contains("verdict: PASS").contains("growth judged: fds")
                .contains("slopes over the second half (15.0 minutes, 181 samples)");
    }

    @Test
    void fdsThatKeepGrowingFailTheRun() {
        // One more descriptor a minute: 15 over the second half, under the limit; three a minute is 45, over.
        assertThat(SoakReport.judge(run(30, i -> 60 + i / 12, i -> 400), busy(), 30, LIMITS).passed()).isTrue();
        SoakReport.Verdict v = SoakReport.judge(run(30, i -> 60 + i / 4, i -> 400), busy(), 30, LIMITS);
        assertThat(v.failures()).singleElement().asString().startsWith("open fds grow +45");
    }

    @Test
    void flowsThatKeepGrowingFailTheRun() {
        SoakReport.Verdict v = SoakReport.judge(run(30, i -> 60, i -> 400 + i), busy(), 30, LIMITS);
        assertThat(v.failures()).singleElement().asString().startsWith("flows grow +180");
    }

    /** A smoke run is all warm-up: growth is printed, not judged. */
    @Test
    void shortRunsDoNotJudgeGrowth() {
        SoakReport.Verdict v = SoakReport.judge(run(1, i -> 60 + 10L * i, i -> 100 + 30L * i), busy(), 1, LIMITS);
        assertThat(v.passed()).isTrue();
        assertThat(v.text()).contains("growth not judged: runs shorter than 10 minutes");
    }

    @Test
    void anErrorOrTooMuchUdpLossFailsTheRun() {
        Tally errors = busy();
        errors.error("short.gw4.corrupt", "echo from /10.0.2.2:80: 3 bytes back of 4");
        SoakReport.Verdict v = SoakReport.judge(run(30, i -> 60, i -> 400), errors, 30, LIMITS);
        assertThat(v.failures()).containsExactly("1 traffic errors");
        assertThat(v.text()).contains("errors: 1 {short.gw4.corrupt=1}").contains("3 bytes back of 4");

        List<Sample> lossy = run(30, i -> 60, i -> 400);
        Sample last = lossy.remove(lossy.size() - 1);
        lossy.add(new Sample(last.seconds(), last.rssKib(), last.fds(), last.threads(), last.cpuSeconds(),
                last.tcpFlows(), 0, last.udpFlows(), 0, last.directBytes(), last.heapBytes(), last.bulkBytes(),
                last.shortConnections(), last.dnsAnswers(), 980, 20, last.forwardCycles(), 0));
        assertThat(SoakReport.judge(lossy, busy(), 30, LIMITS).failures()).containsExactly("UDP loss 2.000% above 1.000%");
    }

    @Test
    void aKindOfTrafficThatNeverRanFailsTheRun() {
        assertThat(SoakReport.judge(run(30, i -> 60, i -> 400), new Tally(), 30, LIMITS).failures())
                .containsExactly("no bulk TCP at all");
    }

    @Test
    void statsJsonIsFlattenedToDottedNames() throws Exception {
        var m = JslirpProbe.flatten("{\"counters\":{\"nat.tcp\":{\"connects\":12}},\"gauges\":{\"tcp_flows\":3,"
                + "\"buffer_direct_bytes\":4194304},\"latencies\":{\"dns.upstream\":{\"count\":2,"
                + "\"buckets\":[{\"le\":0.1,\"count\":2}]}}}");
        assertThat(m).containsEntry("counters.nat.tcp.connects", 12.0).containsEntry("gauges.tcp_flows", 3.0)
                .containsEntry("gauges.buffer_direct_bytes", 4194304.0).containsEntry("latencies.dns.upstream.count", 2.0)
                .hasSize(4);
    }
}
