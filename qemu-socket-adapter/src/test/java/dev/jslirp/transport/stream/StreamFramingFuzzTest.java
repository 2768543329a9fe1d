package dev.jslirp.transport.stream;

import static dev.jslirp.core.testkit.GuestFrames.GATEWAY;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.fuzz.BugLog;
import dev.jslirp.core.testkit.fuzz.FrameScript;
import dev.jslirp.core.testkit.fuzz.TrackingAllocator;
import dev.jslirp.transport.GuestTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.TransportCounter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes QEMU's stream framing (a 4-byte big-endian length before each frame) as the
 * transport reads it: the script's frames are reads from QEMU's socket, cut anywhere
 * (half a length prefix, a frame and a half, zero lengths, lengths over QEMU's limit);
 * an action ends the connection and QEMU connects again. The network behind is the
 * real one on an embedded loop. Checks after each read: no exception escaped the
 * pipeline or the network, every frame the decoder passed on is accounted for, an
 * oversized length closed the connection; once everything closed, no buffer is held.
 */
class StreamFramingFuzzTest {
    @MethodSource("seeds")
    @FuzzTest(maxDuration = "10m")
    void readsFromQemu(byte[] script) {
        BugLog.install();
        BugLog.assertNone("before the input ran");
        TrackingAllocator alloc = new TrackingAllocator();
        EmbeddedChannel loop = new EmbeddedChannel();
        loop.freezeTime();
        GuestNetwork network = GuestNetwork.builder(loop.eventLoop()).alloc(alloc).build();
        Counters<TransportCounter> counters = GuestTransport.counters(network);
        EmbeddedChannel[] qemu = {connect(network)};
        Throwable failure = null;
        try {
            FrameScript.run(script, new FrameScript.Target() {
                @Override
                public void frame(byte[] read, boolean repaired) {
                    if (qemu[0].isOpen()) {
                        ByteBuf b = alloc.heapBuffer(Math.max(1, read.length));
                        b.writeBytes(read);
                        qemu[0].writeInbound(b);
                    }
                    settle("after a read of " + read.length + " bytes");
                }

                @Override
                public void advance(Duration d) {
                    loop.advanceTimeBy(d.toNanos(), TimeUnit.NANOSECONDS);
                    settle("after time passed");
                }

                @Override
                public void action(int arg) {
                    qemu[0].finishAndReleaseAll();
                    qemu[0] = connect(network);
                    settle("after QEMU connected again");
                }

                private void settle(String when) {
                    loop.runPendingTasks();
                    loop.runScheduledPendingTasks();
                    qemu[0].runPendingTasks();
                    Object out;
                    while ((out = qemu[0].readOutbound()) != null) {
                        io.netty.util.ReferenceCountUtil.release(out);
                    }
                    check(network, counters, qemu[0], when);
                }
            });
        } catch (RuntimeException | Error e) {
            failure = e;
            throw e;
        } finally {
            qemu[0].finishAndReleaseAll();
            network.close();
            loop.runPendingTasks();
            loop.finishAndReleaseAll();
            if (failure == null) {
                BugLog.assertNone("while closing");
                alloc.assertAllReleased("once the connection and the network closed");
            }
        }
    }

    /** A new connection from QEMU, its pipeline as the stream server sets it up. */
    private static EmbeddedChannel connect(GuestNetwork network) {
        EmbeddedChannel ch = new EmbeddedChannel(false, false);
        StreamLinkHandler.install(ch, network, LinkBuffers.DEFAULT, dev.jslirp.core.config.PortOptions.named("fuzz"), () -> { });
        try {
            ch.register();
        } catch (Exception e) {
            throw new AssertionError("an embedded channel failed to register", e);
        }
        return ch;
    }

    private static void check(GuestNetwork network, Counters<TransportCounter> counters, EmbeddedChannel qemu,
                              String when) {
        NetworkStats stats = network.stats();
        if (stats.drops().get(DropReason.SERVICE_ERROR) != 0) {
            throw new AssertionError("SERVICE_ERROR " + when);
        }
        BugLog.assertNone(when);
        long received = stats.traffic().get(NetworkStats.Traffic.FRAMES_FROM_GUEST);
        if (stats.framesAccountedFor() < received) {
            throw new AssertionError("frames not accounted for " + when + ": " + stats.snapshot());
        }
        if (counters.get(TransportCounter.OVERSIZED_FRAMES) > 0 && qemu.isOpen()
                && counters.get(TransportCounter.CONNECTIONS) == 1) {
            throw new AssertionError("an oversized length left the connection open " + when);
        }
        try {
            qemu.checkException();
        } catch (Exception e) {
            throw new AssertionError("the pipeline failed " + when, e);
        }
    }

    static Stream<Arguments> seeds() {
        byte[] arp = bytes(GuestFrames.arpRequest(GATEWAY));
        byte[] echo = bytes(GuestFrames.echoRequest(GATEWAY, 1, 1, new byte[56]));
        byte[] two = concat(prefixed(arp), prefixed(echo));
        byte[] half = java.util.Arrays.copyOf(two, 30);
        byte[] rest = java.util.Arrays.copyOfRange(two, 30, two.length);
        return Stream.of(
                seed("two frames in one read", FrameScript.builder().frame(two)),
                seed("frames split across reads", FrameScript.builder().frame(half).frame(rest)),
                seed("a length prefix split", FrameScript.builder().frame(new byte[] {0, 0})
                        .frame(concat(new byte[] {0, (byte) arp.length}, arp))),
                seed("a zero length, then a frame", FrameScript.builder().frame(concat(new byte[4], prefixed(arp)))),
                seed("a length over QEMU's limit", FrameScript.builder()
                        .frame(new byte[] {0, 1, 0x10, 1, 1, 2, 3}).frame(prefixed(arp))),
                seed("QEMU leaves mid-frame and comes back", FrameScript.builder().frame(half).action(0)
                        .frame(two).advance(5)));
    }

    private static byte[] bytes(ByteBuf b) {
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    private static byte[] prefixed(byte[] frame) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(frame.length >>> 24);
        out.write(frame.length >>> 16);
        out.write(frame.length >>> 8);
        out.write(frame.length);
        out.writeBytes(frame);
        return out.toByteArray();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static Arguments seed(String name, FrameScript.Builder script) {
        return Arguments.of(Named.of(name, script.build()));
    }
}
