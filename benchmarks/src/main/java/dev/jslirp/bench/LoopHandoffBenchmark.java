package dev.jslirp.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What the real-loop benchmarks pay to hand work to the event loop and hear back,
 * alone: an empty task {@code execute}d on an idle {@link LoopNetwork}'s loop that
 * raises a {@link Progress}, awaited by the benchmark thread. Subtract it (per
 * invocation, so divided by the batch) from {@link UdpNatBenchmark#guestToHost} and
 * {@link TcpDataPathBenchmark#guestToHost} to see the network's own share.
 */
public class LoopHandoffBenchmark extends BenchmarkDefaults {
    /** The loop's I/O: {@code nio} or {@code epoll}. */
    @Param({"nio", "epoll"})
    public String io;

    private LoopNetwork net;
    private final Progress done = new Progress();
    private final Runnable signal = () -> done.advance(1);

    /** Starts the network and its loop. */
    @Setup
    public void setUp() {
        net = new LoopNetwork(io, null);
    }

    /** Stops them. */
    @TearDown
    public void tearDown() {
        net.close();
    }

    /** One empty task there and back. */
    @Benchmark
    public long emptyTask() {
        long target = done.get() + 1;
        net.eventLoop().execute(signal);
        done.await(target, 5_000, "the empty task");
        return target;
    }
}
