package dev.jslirp.transport.stream;

import static dev.jslirp.transport.TestNetwork.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.QemuStreamPeer;
import dev.jslirp.transport.TestNetwork;
import dev.jslirp.transport.TransportCounter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * jslirp connecting while the test plays QEMU with {@code server=on}: it listens on a
 * real unix or TCP socket and accepts jslirp's connections.
 */
class StreamClientTest {
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final Duration RECONNECT = Duration.ofMillis(100);

    @TempDir
    Path dir;


    /** A listening socket playing QEMU's {@code server=on} side. */
    private final class QemuListener implements AutoCloseable {
        final ServerSocketChannel server;
        final Endpoint endpoint;
        private final ExecutorService acceptor = Executors.newSingleThreadExecutor();

        QemuListener(String kind, int port) throws IOException {
            if (kind.equals("unix")) {
                Path p = dir.resolve("qemu.sock");
                server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
                server.bind(UnixDomainSocketAddress.of(p));
                endpoint = new Endpoint.Unix(p);
            } else {
                server = ServerSocketChannel.open();
                server.bind(new InetSocketAddress("127.0.0.1", port));
                endpoint = new Endpoint.Inet("tcp", "127.0.0.1", ((InetSocketAddress) server.getLocalAddress()).getPort());
            }
        }

        /** Accepts jslirp's next connection within {@code timeout}. */
        QemuStreamPeer accept(Duration timeout) throws Exception {
            Future<SocketChannel> f = acceptor.submit(server::accept);
            return QemuStreamPeer.accepted(f.get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        }

        @Override
        public void close() throws IOException {
            server.close();
            acceptor.shutdownNow();
        }
    }


    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.jslirp.transport.TestNetwork#streamTransports")
    void connectsToQemuAndReconnectsAfterQemuCloses(IoTransport io, String kind) throws Exception {
        try (TestNetwork tn = new TestNetwork(io); QemuListener qemuSide = new QemuListener(kind, 0);
             StreamClient client = new StreamClient(tn.network(), io, qemuSide.endpoint, LinkBuffers.DEFAULT,
                     RECONNECT)) {
            client.start();
            try (QemuStreamPeer qemu = qemuSide.accept(WAIT)) {
                await("attached", WAIT, tn::isAttached);
                qemu.assertArpRoundTrip();
            }
            await("detached after QEMU closed", WAIT, () -> !tn.isAttached());
            try (QemuStreamPeer qemu = qemuSide.accept(WAIT)) {
                await("attached again", WAIT, tn::isAttached);
                qemu.assertArpRoundTrip();
                assertThat(client.isConnected()).isTrue();
            }
            assertThat(tn.counters().get(TransportCounter.CONNECTIONS)).isGreaterThanOrEqualTo(2);
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.jslirp.transport.TestNetwork#streamTransports")
    void keepsTryingUntilQemuListens(IoTransport io, String kind) throws Exception {
        Endpoint target;
        int port = 0;
        if (kind.equals("unix")) {
            target = new Endpoint.Unix(dir.resolve("qemu.sock"));
        } else {
            try (ServerSocketChannel probe = ServerSocketChannel.open()) {
                probe.bind(new InetSocketAddress("127.0.0.1", 0));
                port = ((InetSocketAddress) probe.getLocalAddress()).getPort();
            }
            target = new Endpoint.Inet("tcp", "127.0.0.1", port);
        }
        try (TestNetwork tn = new TestNetwork(io);
             StreamClient client = new StreamClient(tn.network(), io, target, LinkBuffers.DEFAULT, RECONNECT)) {
            client.start();
            await("failed attempts", WAIT, () -> tn.counters().get(TransportCounter.CONNECT_FAILURES) >= 2);
            assertThat(tn.isAttached()).isFalse();
            try (QemuListener qemuSide = new QemuListener(kind, port);
                 QemuStreamPeer qemu = qemuSide.accept(WAIT)) {
                await("attached", WAIT, tn::isAttached);
                qemu.assertArpRoundTrip();
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.jslirp.transport.TestNetwork#streamTransports")
    void closeStopsReconnecting(IoTransport io, String kind) throws Exception {
        try (TestNetwork tn = new TestNetwork(io); QemuListener qemuSide = new QemuListener(kind, 0)) {
            StreamClient client = new StreamClient(tn.network(), io, qemuSide.endpoint, LinkBuffers.DEFAULT, RECONNECT);
            client.start();
            try (QemuStreamPeer qemu = qemuSide.accept(WAIT)) {
                qemu.assertArpRoundTrip();
                client.close();
                assertThat(qemu.closedByJslirp(WAIT)).isTrue();
            }
            assertThat(tn.isAttached()).isFalse();
            Thread.sleep(RECONNECT.toMillis() * 3);
            qemuSide.server.configureBlocking(false);
            assertThat(qemuSide.server.accept()).as("no new connection after close").isNull();
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.jslirp.transport.TestNetwork#streamTransports")
    void printsTheQemuArgumentsForAListeningQemu(IoTransport io, String kind) throws Exception {
        try (TestNetwork tn = new TestNetwork(io); QemuListener qemuSide = new QemuListener(kind, 0);
             StreamClient client = new StreamClient(tn.network(), io, qemuSide.endpoint, LinkBuffers.DEFAULT,
                     RECONNECT)) {
            if (kind.equals("unix")) {
                assertThat(client.qemuNetdevs("n1")).containsExactly(
                        "stream,id=n1,server=on,addr.type=unix,addr.path=" + dir.resolve("qemu.sock"));
            } else {
                int port = ((Endpoint.Inet) qemuSide.endpoint).port();
                assertThat(client.qemuNetdevs("n1")).containsExactly(
                        "stream,id=n1,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=" + port,
                        "socket,id=n1,listen=127.0.0.1:" + port);
            }
        }
    }
}
