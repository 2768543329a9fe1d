package dev.jslirp.bench;

import dev.jslirp.capture.CaptureCounter;
import dev.jslirp.capture.CaptureLimits;
import dev.jslirp.capture.PacketCapture;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.testkit.GuestFrames;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What packet capture costs the frame path: {@code FrameDispatchBenchmark.icmpEcho} (a
 * ping of the gateway answered, two frames) without a capture and with one to a file in
 * the temporary directory. With a capture, both frames are copied on the loop into the
 * writer's queue; the writer thread writes them (or, when it falls behind, the frames are
 * dropped from the capture and counted). The tear-down prints how many were written and
 * dropped, and checks that every ping was answered.
 */
public class PacketCaptureBenchmark extends BenchmarkDefaults {
    /** off: no tap; on: a capture to a file (64 MiB files, 2 kept, 8 MiB queue). */
    @Param({"off", "on"})
    public String capture;

    private EmbeddedNetwork net;
    private ByteBuf echo;
    private PacketCapture pcap;
    private Path dir;

    /** Builds the network, the echo template and the capture. */
    @Setup
    public void setUp() throws Exception {
        net = new EmbeddedNetwork();
        echo = Templates.pooled(GuestFrames.echoRequest(GuestFrames.GATEWAY, 1, 1, Templates.payload(56)));
        if (capture.equals("on")) {
            dir = Files.createTempDirectory("jslirp-bench-pcap");
            pcap = new PacketCapture(net.network(), CaptureLimits.defaults());
            pcap.start(dir.resolve("bench.pcap")).get();
        }
    }

    /** Ping of the gateway, answered; both frames captured when the capture is on. */
    @Benchmark
    public void icmpEcho() {
        net.send(echo.retainedSlice());
    }

    /** Stops the capture, reports it, checks the pings were answered, removes the files. */
    @TearDown
    public void tearDown() throws IOException {
        try {
            if (pcap != null) {
                CompletableFuture<String> stopped = pcap.stop();
                stopped.join();
                Counters<CaptureCounter> c = net.stats().service(PacketCapture.COUNTER_SET, CaptureCounter.class);
                System.out.println("capture: " + c.get(CaptureCounter.FRAMES_WRITTEN) + " frames written, "
                        + c.get(CaptureCounter.FRAMES_DROPPED) + " dropped (writer behind)");
            }
            net.checkNoDrops();
            long echoes = net.stats().traffic().get(NetworkStats.Traffic.ECHO_REPLIES);
            if (net.sink().frames().get() != echoes) {
                throw new IllegalStateException("frames to the guest " + net.sink().frames().get()
                        + " != echo replies " + echoes);
            }
        } finally {
            echo.release();
            net.close();
            if (dir != null) {
                try (Stream<Path> files = Files.list(dir)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        Files.delete(f);
                    }
                }
                Files.delete(dir);
            }
        }
    }
}
