package dev.jslirp.transport.stream;

import static dev.jslirp.transport.TestNetwork.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.QemuStreamPeer;
import dev.jslirp.transport.TestNetwork;
import dev.jslirp.transport.TransportCounter;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * jslirp listening while the test plays QEMU with {@code server=off}: real unix and
 * TCP sockets, on the epoll and the NIO transport.
 */
class StreamServerTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final long OTHER_MAC = MacAddress.parse("52:54:00:12:34:57");
    private static final int OTHER_IP = Ipv4Address.parse("10.0.2.16");

    @TempDir
    Path dir;


    private Endpoint endpoint(String kind) {
        return kind.equals("unix") ? new Endpoint.Unix(dir.resolve("j.sock")) : new Endpoint.Inet("tcp", "127.0.0.1", 0);
    }


    /** A test body run against a started server. */
    private interface ServerScenario {
        void run(TestNetwork tn, StreamServer server) throws Exception;
    }

    /** Runs {@code scenario} with a network on {@code io} and a started server on a {@code kind} socket. */
    private void withServer(IoTransport io, String kind, LinkBuffers buffers, ServerScenario scenario) throws Exception {
        try (TestNetwork tn = new TestNetwork(io);
             StreamServer server = new StreamServer(tn.network(), io, endpoint(kind), buffers)) {
            server.start();
            scenario.run(tn, server);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.jslirp.transport.TestNetwork#streamTransports")
    void arpRequestFromQemuGetsTheGatewaysReply(IoTransport io, String kind) throws Exception {
        withServer(io, kind, LinkBuffers.DEFAULT, (tn, server) -> {
            try (QemuStreamPeer qemu = QemuStreamPeer.connect(server.endpoint())) {
                await("attached", WAIT, tn::isAttached);
                qemu.assertArpRoundTrip();
            }
            await("detached", WAIT, () -> !tn.isAttached());
            assertThat(tn.counters().get(TransportCounter.CONNECTIONS)).isEqualTo(1);
            assertThat(tn.counters().get(TransportCounter.DISCONNECTS)).isEqualTo(1);
        });
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.jslirp.transport.TestNetwork#streamTransports")
    void twentyConnectDisconnectCyclesReattachEachTimeAndLeakNothing(IoTransport io, String kind) throws Exception {
        withServer(io, kind, LinkBuffers.DEFAULT, (tn, server) -> {
            // One cycle first, so lazily created resources (JIT, pools) are not counted as leaks.
            try (QemuStreamPeer qemu = QemuStreamPeer.connect(server.endpoint())) {
                qemu.assertArpRoundTrip();
            }
            await("detached", WAIT, () -> !tn.isAttached());
            long fdsBefore = TestNetwork.openFileDescriptors();
            for (int i = 0; i < 20; i++) {
                try (QemuStreamPeer qemu = QemuStreamPeer.connect(server.endpoint())) {
                    await("attached", WAIT, tn::isAttached);
                    qemu.assertArpRoundTrip();
                }
                await("detached", WAIT, () -> !tn.isAttached());
                assertThat(server.isConnected()).isFalse();
            }
            assertThat(tn.counters().get(TransportCounter.CONNECTIONS)).isEqualTo(21);
            assertThat(tn.counters().get(TransportCounter.DISCONNECTS)).isEqualTo(21);
            assertThat(tn.counters().get(TransportCounter.REFUSED_CONNECTIONS)).isZero();
            await("file descriptors back to " + fdsBefore, WAIT, () -> TestNetwork.openFileDescriptors() <= fdsBefore);
        });
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.jslirp.transport.TestNetwork#streamTransports")
    void twoConcurrentQemusAreTwoPortsAndOneLeavingDoesNotDisturbTheOther(IoTransport io, String kind)
            throws Exception {
        withServer(io, kind, LinkBuffers.DEFAULT, (tn, server) -> {
            try (QemuStreamPeer first = QemuStreamPeer.connect(server.endpoint())) {
                first.assertArpRoundTrip();
                try (QemuStreamPeer second = QemuStreamPeer.connect(server.endpoint())) {
                    second.assertArpRoundTrip(OTHER_MAC, OTHER_IP);
                    first.assertArpRoundTrip();
                    assertThat(server.connectionCount()).isEqualTo(2);
                    assertThat(tn.network().ports()).hasSize(2);
                }
                await("the second's port detached", WAIT, () -> tn.network().ports().size() == 1);
                first.assertArpRoundTrip();
                assertThat(first.closedByJslirp(Duration.ofMillis(100))).isFalse();
            }
            await("detached", WAIT, () -> !tn.isAttached());
            assertThat(tn.counters().get(TransportCounter.CONNECTIONS)).isEqualTo(2);
            assertThat(tn.counters().get(TransportCounter.REFUSED_CONNECTIONS)).isZero();
        });
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.jslirp.transport.TestNetwork#streamTransports")
    void connectionBeyondTheNetworksPortsIsRefusedWhileTheOthersKeepWorking(IoTransport io, String kind)
            throws Exception {
        try (TestNetwork tn = new TestNetwork(io, NetworkConfig.builder().maxPorts(1).build());
             StreamServer server = new StreamServer(tn.network(), io, endpoint(kind), LinkBuffers.DEFAULT)) {
            server.start();
            try (QemuStreamPeer first = QemuStreamPeer.connect(server.endpoint())) {
                first.assertArpRoundTrip();
                try (QemuStreamPeer second = QemuStreamPeer.connect(server.endpoint())) {
                    assertThat(second.closedByJslirp(WAIT)).as("second connection closed by jslirp").isTrue();
                }
                assertThat(tn.counters().get(TransportCounter.REFUSED_CONNECTIONS)).isEqualTo(1);
                first.assertArpRoundTrip();
            }
        }
    }

    /**
     * Issue 13's lock-out: a QEMU that closes its connection and reconnects at once may
     * be accepted before its old connection's close is read; a network that took one
     * guest at a time refused it (about 1 in 12). Now the new connection is a port of
     * its own whose first frames wait, briefly, for the old port to go: every one of
     * 1000 back-to-back cycles gets its ARP answered, file descriptors and the switch's
     * ports end where they started, and resident memory is flat over the second half.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.jslirp.transport.TestNetwork#streamTransports")
    void thousandBackToBackReconnectsAreEachServedAndLeaveNothingBehind(IoTransport io, String kind)
            throws Exception {
        withServer(io, kind, LinkBuffers.DEFAULT, (tn, server) -> {
            for (int i = 0; i < 50; i++) {          // warm-up: JIT, pools, the JVM's own descriptors
                try (QemuStreamPeer qemu = QemuStreamPeer.connect(server.endpoint())) {
                    qemu.assertArpRoundTrip();
                }
            }
            await("detached", WAIT, () -> !tn.isAttached());
            long fdsBefore = TestNetwork.openFileDescriptors();
            long[] rss = new long[11];
            for (int i = 0; i < 1000; i++) {
                if (i % 100 == 0) {
                    rss[i / 100] = TestNetwork.residentBytesAfterGc();
                }
                try (QemuStreamPeer qemu = QemuStreamPeer.connect(server.endpoint())) {
                    qemu.assertArpRoundTrip();
                } catch (AssertionError e) {
                    throw new AssertionError("cycle " + i + ": " + e.getMessage() + "; counters "
                            + tn.network().stats().snapshot(), e);
                }
            }
            await("detached", WAIT, () -> !tn.isAttached());
            assertThat(tn.counters().get(TransportCounter.REFUSED_CONNECTIONS)).isZero();
            assertThat(tn.counters().get(TransportCounter.CONNECTIONS)).isEqualTo(1050);
            assertThat(tn.network().ports()).isEmpty();
            await("file descriptors back to " + fdsBefore, WAIT, () -> TestNetwork.openFileDescriptors() <= fdsBefore);
            rss[10] = TestNetwork.residentBytesAfterGc();
            System.out.println(io + " " + kind + ": resident bytes every 100 cycles " + java.util.Arrays.toString(rss)
                    + ", descriptors " + fdsBefore + " -> " + TestNetwork.openFileDescriptors());
            // Garbage is collected before each sample (G1 then gives unused heap back), so
            // what remains is what the cycles keep; a leak per cycle shows in the second half.
            assertThat(rss[10] - rss[5]).as("resident memory over the last 500 cycles, samples every 100: %s",
                    java.util.Arrays.toString(rss)).isLessThan(16L << 20);
        });
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.jslirp.transport.TestNetwork#streamTransports")
    void oversizedLengthClosesTheConnectionAsQemuWouldAndTheNextOneWorks(IoTransport io, String kind) throws Exception {
        withServer(io, kind, LinkBuffers.DEFAULT, (tn, server) -> {
            try (QemuStreamPeer qemu = QemuStreamPeer.connect(server.endpoint())) {
                await("attached", WAIT, tn::isAttached);
                qemu.sendRaw(ByteBuffer.allocate(8).putInt(StreamFrameDecoder.MAX_FRAME + 1).putInt(0).flip());
                assertThat(qemu.closedByJslirp(WAIT)).isTrue();
            }
            assertThat(tn.counters().get(TransportCounter.OVERSIZED_FRAMES)).isEqualTo(1);
            await("detached", WAIT, () -> !tn.isAttached());
            try (QemuStreamPeer qemu = QemuStreamPeer.connect(server.endpoint())) {
                qemu.assertArpRoundTrip();
            }
        });
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.jslirp.transport.TestNetwork#streamTransports")
    void qemuThatStopsReadingMakesTheLinkUnwritableUntilItReadsAgain(IoTransport io, String kind) throws Exception {
        LinkBuffers small = new LinkBuffers(16 << 10, 64 << 10, 64 << 20);
        withServer(io, kind, small, (tn, server) -> {
            try (QemuStreamPeer qemu = QemuStreamPeer.connect(server.endpoint(), false)) {
                await("attached", WAIT, tn::isAttached);
                int sent = tn.sendToGuestUntil("unwritable", () -> !tn.isWritable());
                assertThat(tn.nextWritabilityChange(WAIT)).as("services told: not writable").isFalse();
                assertThat(tn.counters().get(TransportCounter.BECAME_UNWRITABLE)).isEqualTo(1);
                Thread.sleep(200);
                assertThat(tn.isWritable()).as("stays unwritable while QEMU does not read").isFalse();

                qemu.startReading();
                assertThat(tn.nextWritabilityChange(Duration.ofSeconds(20))).as("services told: writable").isTrue();
                qemu.awaitReceivedAndDiscard(sent);
                assertThat(tn.counters().get(TransportCounter.QUEUE_FULL)).isZero();
                qemu.assertArpRoundTrip();
            }
        });
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.jslirp.transport.TestNetwork#streamTransports")
    void framesBeyondTheQueueBoundAreDroppedAndCounted(IoTransport io, String kind) throws Exception {
        LinkBuffers bounded = new LinkBuffers(16 << 10, 64 << 10, 256 << 10);
        withServer(io, kind, bounded, (tn, server) -> {
            try (QemuStreamPeer qemu = QemuStreamPeer.connect(server.endpoint(), false)) {
                await("attached", WAIT, tn::isAttached);
                int sent = tn.sendToGuestUntil("queue bound hit",
                        () -> tn.counters().get(TransportCounter.QUEUE_FULL) > 0);
                long dropped = tn.counters().get(TransportCounter.QUEUE_FULL);
                qemu.startReading();
                qemu.awaitReceivedAndDiscard(sent - dropped);
                qemu.assertArpRoundTrip();
            }
        });
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.jslirp.transport.TestNetwork#streamTransports")
    void printsTheQemuArgumentsForItsAddress(IoTransport io, String kind) throws Exception {
        withServer(io, kind, LinkBuffers.DEFAULT, (tn, server) -> {
            List<String> forms = server.qemuNetdevs("n0");
            if (kind.equals("unix")) {
                assertThat(forms).containsExactly(
                        "stream,id=n0,server=off,addr.type=unix,addr.path=" + dir.resolve("j.sock"));
            } else {
                int port = ((Endpoint.Inet) server.endpoint()).port();
                assertThat(port).isPositive();
                assertThat(forms).containsExactly(
                        "stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=" + port,
                        "socket,id=n0,connect=127.0.0.1:" + port);
            }
        });
    }

    @Test
    void staleSocketFileIsReplacedAndOwnSocketRemovedAtClose() throws Exception {
        Path sock = dir.resolve("stale.sock");
        try (ServerSocketChannel crashed = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            crashed.bind(UnixDomainSocketAddress.of(sock));
        }
        assertThat(sock).exists();
        IoTransport io = IoTransport.best();
        try (TestNetwork tn = new TestNetwork(io)) {
            StreamServer server = new StreamServer(tn.network(), io, new Endpoint.Unix(sock), LinkBuffers.DEFAULT);
            server.start();
            try (QemuStreamPeer qemu = QemuStreamPeer.connect(server.endpoint())) {
                qemu.assertArpRoundTrip();
            }
            server.close();
            assertThat(sock).doesNotExist();
        }
    }

    @Test
    void regularFileInTheWayIsRefusedAndKept() throws Exception {
        Path file = dir.resolve("data.sock");
        Files.writeString(file, "not a socket");
        IoTransport io = IoTransport.best();
        try (TestNetwork tn = new TestNetwork(io)) {
            StreamServer server = new StreamServer(tn.network(), io, new Endpoint.Unix(file), LinkBuffers.DEFAULT);
            assertThatThrownBy(server::start).isInstanceOf(IOException.class).hasMessageContaining("not a socket");
            assertThat(Files.readString(file)).isEqualTo("not a socket");
            server.close();
        }
    }

    @Test
    void socketSomeoneListensOnIsRefused() throws Exception {
        Path sock = dir.resolve("live.sock");
        IoTransport io = IoTransport.best();
        try (TestNetwork a = new TestNetwork(io); TestNetwork b = new TestNetwork(io);
             StreamServer first = new StreamServer(a.network(), io, new Endpoint.Unix(sock), LinkBuffers.DEFAULT)) {
            first.start();
            StreamServer second = new StreamServer(b.network(), io, new Endpoint.Unix(sock), LinkBuffers.DEFAULT);
            assertThatThrownBy(second::start).isInstanceOf(IOException.class).hasMessageContaining("in use");
            second.close();
            assertThat(sock).exists();
        }
    }

    @Test
    void tcpPortInUseIsReportedWithTheAddress() throws Exception {
        IoTransport io = IoTransport.best();
        try (TestNetwork a = new TestNetwork(io); TestNetwork b = new TestNetwork(io);
             StreamServer first = new StreamServer(a.network(), io, new Endpoint.Inet("tcp", "127.0.0.1", 0),
                     LinkBuffers.DEFAULT)) {
            first.start();
            StreamServer second = new StreamServer(b.network(), io, first.endpoint(), LinkBuffers.DEFAULT);
            assertThatThrownBy(second::start).isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot listen on " + first.endpoint());
            second.close();
        }
    }
}
