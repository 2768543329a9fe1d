package dev.jslirp.transport.dgram;

import static dev.jslirp.core.testkit.GuestFrames.GATEWAY;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.fuzz.BugLog;
import dev.jslirp.core.testkit.fuzz.FrameScript;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.TestNetwork;
import dev.jslirp.transport.TransportCounter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes QEMU's datagram framing ({@code -netdev dgram}: one bare frame per datagram)
 * through a real UDP socket on 127.0.0.1 and the real transport and network on an NIO
 * loop: each script frame is one datagram from QEMU (empty ones included), an action
 * one datagram from another sender, which must be refused. Checks once the datagrams
 * are in: each was delivered to the network or counted (empty, foreign), no exception
 * escaped, every frame delivered is accounted for. Leaks are Netty's paranoid
 * detector's to find (the transport reads into the channel's own buffers).
 */
class DatagramFramingFuzzTest {
    private static final int MAX_DATAGRAM = 65507;

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "10m")
    void datagramsFromQemu(byte[] script) throws Exception {
        BugLog.install();
        BugLog.assertNone("before the input ran");
        try (TestNetwork tn = new TestNetwork(IoTransport.NIO);
             DatagramSocket qemu = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DatagramSocket stranger = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DatagramTransport t = new DatagramTransport(tn.network(), IoTransport.NIO,
                     new Endpoint.Inet("udp", "127.0.0.1", 0),
                     new Endpoint.Inet("udp", "127.0.0.1", qemu.getLocalPort()), LinkBuffers.DEFAULT)) {
            t.start();
            int port = ((Endpoint.Inet) t.endpoint()).port();
            long[] sent = {0};
            FrameScript.run(script, new FrameScript.Target() {
                @Override
                public void frame(byte[] frame, boolean repaired) {
                    send(qemu, frame, port);
                    awaitAccounted(tn, ++sent[0]);
                }

                @Override
                public void advance(Duration d) {
                }

                @Override
                public void action(int arg) {
                    send(stranger, new byte[] {(byte) arg}, port);
                    awaitAccounted(tn, ++sent[0]);
                }
            });
        }
        BugLog.assertNone("while the transport closed");
    }

    private static void send(DatagramSocket from, byte[] frame, int port) {
        byte[] d = frame.length > MAX_DATAGRAM ? java.util.Arrays.copyOf(frame, MAX_DATAGRAM) : frame;
        try {
            from.send(new DatagramPacket(d, d.length, InetAddress.getLoopbackAddress(), port));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Waits until every datagram sent reached the network or a transport counter, then
     * checks the invariants. One datagram at a time: sent back to back, a few hundred
     * would overflow the socket's receive buffer while the loop is busy, and the kernel
     * would drop some (a fuzzing finding of the first runs, the harness's, not jslirp's).
     */
    private static void awaitAccounted(TestNetwork tn, long sent) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            String state = tn.network().eventLoop().submit(() -> {
                NetworkStats stats = tn.network().stats();
                long delivered = stats.traffic().get(NetworkStats.Traffic.FRAMES_FROM_GUEST);
                long counted = tn.counters().get(TransportCounter.ZERO_LENGTH_FRAMES)
                        + tn.counters().get(TransportCounter.FOREIGN_DATAGRAMS);
                if (stats.drops().get(DropReason.SERVICE_ERROR) != 0) {
                    throw new AssertionError("SERVICE_ERROR: " + stats.snapshot());
                }
                if (stats.framesAccountedFor() < delivered) {
                    throw new AssertionError("frames not accounted for: " + stats.snapshot());
                }
                return delivered + counted == sent ? null : (delivered + counted) + " of " + sent + " datagrams in; "
                        + stats.snapshot();
            }).syncUninterruptibly().getNow();
            if (state == null) {
                BugLog.assertNone("after the datagrams");
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("datagrams neither delivered nor counted: " + state);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
        }
    }

    static Stream<Arguments> seeds() {
        return Stream.of(
                seed("arp request", FrameScript.builder().frame(GuestFrames.arpRequest(GATEWAY))),
                seed("an empty datagram", FrameScript.builder().frame(new byte[0])),
                seed("a stranger's datagram", FrameScript.builder().action(1)
                        .frame(GuestFrames.echoRequest(GATEWAY, 1, 1, new byte[56]))),
                seed("a 9000-byte frame", FrameScript.builder().frame(bytes(GuestFrames.udp(1000, GATEWAY, 7,
                        new byte[9000])))));
    }

    private static byte[] bytes(ByteBuf b) {
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    private static Arguments seed(String name, FrameScript.Builder script) {
        return Arguments.of(Named.of(name, script.build()));
    }
}
