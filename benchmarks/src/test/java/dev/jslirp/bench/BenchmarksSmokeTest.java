package dev.jslirp.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs every benchmark method once through JMH itself (in this JVM, one single-shot
 * invocation each, no warm-up): not for timing, but so that a change that breaks a
 * benchmark (its set-up, its self-checks at tear-down, a leak under the test suite's
 * paranoid leak detector) fails the build.
 */
class BenchmarksSmokeTest {
    @BeforeAll
    static void workersAreEventLoopThreads() {
        // What the benchmarks' @Fork(jvmArgsAppend) sets in a forked JVM; JMH reads it
        // once, when its runner class loads.
        System.setProperty("jmh.executor", "CUSTOM");
        System.setProperty("jmh.executor.class", EventLoopThreads.class.getName());
    }

    /** One single-shot invocation per benchmark and parameter set, in this JVM, failing on any error. */
    private static ChainedOptionsBuilder once(Class<?> benchmark) {
        return new OptionsBuilder()
                .include("^" + benchmark.getName() + "\\.")
                .mode(Mode.SingleShotTime)
                .warmupIterations(0)
                .measurementIterations(1)
                .measurementBatchSize(1)
                .forks(0)
                .shouldFailOnError(true)
                .verbosity(VerboseMode.SILENT);
    }

    private static Set<String> run(ChainedOptionsBuilder options) throws RunnerException {
        Collection<RunResult> results = new Runner(options.build()).run();
        Set<String> ran = new TreeSet<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            ran.add(name.substring(name.lastIndexOf('.', name.lastIndexOf('.') - 1) + 1));
        }
        return ran;
    }

    @Test
    void coreAndCodecBenchmarksRun() throws RunnerException {
        Set<String> ran = new TreeSet<>();
        ran.addAll(run(once(ChecksumBenchmark.class)));
        ran.addAll(run(once(FrameDispatchBenchmark.class).param("payload", "1460")));
        ran.addAll(run(once(StreamCodecBenchmark.class).param("frameSize", "1514")));
        ran.addAll(run(once(DhcpBenchmark.class)));
        ran.addAll(run(once(DnsBenchmark.class)));
        ran.addAll(run(once(PacketCaptureBenchmark.class)));
        ran.addAll(run(once(PcapWriteBenchmark.class).param("frameSize", "1514")));
        assertThat(ran).containsExactlyInAnyOrder(
                "PacketCaptureBenchmark.icmpEcho", "PcapWriteBenchmark.direct", "PcapWriteBenchmark.pcap4jDumper",
                "ChecksumBenchmark.addAndFold",
                "FrameDispatchBenchmark.arpRequest", "FrameDispatchBenchmark.icmpEcho",
                "FrameDispatchBenchmark.udpToService", "FrameDispatchBenchmark.tcpToService",
                "StreamCodecBenchmark.decodeBatch", "StreamCodecBenchmark.encodeWithHeadroom",
                "StreamCodecBenchmark.encodeWithoutHeadroom",
                "DhcpBenchmark.discoverOffer", "DhcpBenchmark.requestAck",
                "DnsBenchmark.localName");
    }

    @Test
    void realLoopBenchmarksRunOnNioAndEpoll() throws RunnerException {
        Set<String> ran = new TreeSet<>();
        ran.addAll(run(once(UdpNatBenchmark.class).param("payload", "1472")));
        ran.addAll(run(once(LoopHandoffBenchmark.class)));
        assertThat(ran).containsExactlyInAnyOrder(
                "UdpNatBenchmark.guestToHost", "UdpNatBenchmark.hostToGuest", "LoopHandoffBenchmark.emptyTask");
    }

    @Test
    void tcpDataPathRuns() throws RunnerException {
        Set<String> ran = new TreeSet<>();
        ran.addAll(run(once(TcpDataPathBenchmark.class).param("io", "epoll").param("payload", "1460")));
        ran.addAll(run(once(TcpDataPathBenchmark.class).param("io", "nio").param("payload", "64")));
        assertThat(ran).containsExactlyInAnyOrder("TcpDataPathBenchmark.guestToHost",
                "TcpDataPathBenchmark.hostToGuest");
    }

}
