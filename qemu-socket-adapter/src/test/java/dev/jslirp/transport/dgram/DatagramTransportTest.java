package dev.jslirp.transport.dgram;

import static dev.jslirp.transport.TestNetwork.arpRequestForGateway;
import static dev.jslirp.transport.TestNetwork.await;
import static dev.jslirp.transport.TestNetwork.isArpReplyFromGateway;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.TestNetwork;
import dev.jslirp.transport.TransportCounter;
import dev.jslirp.transport.UnixDatagramPeer;
import io.netty.channel.Channel;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * jslirp on datagram sockets while the test plays QEMU's {@code -netdev dgram}: bare
 * frames in UDP datagrams (epoll and NIO) and unix datagrams (epoll only).
 */
class DatagramTransportTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    static Stream<IoTransport> transports() {
        return Arrays.stream(IoTransport.values()).filter(IoTransport::isAvailable);
    }

    private static Endpoint.Inet udp(int port) {
        return new Endpoint.Inet("udp", "127.0.0.1", port);
    }

    /** QEMU's side of a UDP dgram netdev: a plain UDP socket on loopback. */
    private static DatagramSocket qemuUdp() throws Exception {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0));
        s.setSoTimeout((int) WAIT.toMillis());
        return s;
    }

    private static void send(DatagramSocket from, Endpoint to, byte[] frame) throws Exception {
        Endpoint.Inet in = (Endpoint.Inet) to;
        from.send(new DatagramPacket(frame, frame.length, InetAddress.getByName("127.0.0.1"), in.port()));
    }

    private static byte[] receive(DatagramSocket s) throws Exception {
        DatagramPacket p = new DatagramPacket(new byte[70000], 70000);
        s.receive(p);
        return Arrays.copyOf(p.getData(), p.getLength());
    }

    @ParameterizedTest
    @MethodSource("transports")
    void udpFramesGoBothWaysWithQemusAddressGiven(IoTransport io) throws Exception {
        try (TestNetwork tn = new TestNetwork(io); DatagramSocket qemu = qemuUdp()) {
            Endpoint qemuAddr = udp(qemu.getLocalPort());
            try (DatagramTransport t = new DatagramTransport(tn.network(), io, udp(0), qemuAddr, LinkBuffers.DEFAULT)) {
                t.start();
                assertThat(tn.isAttached()).as("attached at start when QEMU's address is given").isTrue();
                send(qemu, t.endpoint(), arpRequestForGateway());
                assertThat(isArpReplyFromGateway(receive(qemu))).isTrue();
            }
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void udpPeerIsLearnedFromTheFirstDatagram(IoTransport io) throws Exception {
        try (TestNetwork tn = new TestNetwork(io); DatagramSocket qemu = qemuUdp();
             DatagramTransport t = new DatagramTransport(tn.network(), io, udp(0), null, LinkBuffers.DEFAULT)) {
            t.start();
            assertThat(tn.isAttached()).isFalse();
            send(qemu, t.endpoint(), arpRequestForGateway());
            assertThat(isArpReplyFromGateway(receive(qemu))).isTrue();
            assertThat(tn.isAttached()).isTrue();
            assertThat(((InetSocketAddress) t.peer()).getPort()).isEqualTo(qemu.getLocalPort());
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void datagramsFromAnotherAddressAreDroppedAndCounted(IoTransport io) throws Exception {
        try (TestNetwork tn = new TestNetwork(io); DatagramSocket qemu = qemuUdp(); DatagramSocket intruder = qemuUdp();
             DatagramTransport t = new DatagramTransport(tn.network(), io, udp(0), null, LinkBuffers.DEFAULT)) {
            t.start();
            send(qemu, t.endpoint(), arpRequestForGateway());
            assertThat(isArpReplyFromGateway(receive(qemu))).isTrue();
            send(intruder, t.endpoint(), arpRequestForGateway());
            await("foreign datagram counted", WAIT, () -> tn.counters().get(TransportCounter.FOREIGN_DATAGRAMS) == 1);
            intruder.setSoTimeout(200);
            assertThatThrownBy(() -> receive(intruder)).isInstanceOf(SocketTimeoutException.class);
            // QEMU itself still gets answers.
            send(qemu, t.endpoint(), arpRequestForGateway());
            assertThat(isArpReplyFromGateway(receive(qemu))).isTrue();
        }
    }

    @ParameterizedTest
    @MethodSource("transports")
    void printsTheQemuArgumentsForUdp(IoTransport io) throws Exception {
        try (TestNetwork tn = new TestNetwork(io);
             DatagramTransport t = new DatagramTransport(tn.network(), io, udp(0), udp(5556), LinkBuffers.DEFAULT)) {
            t.start();
            int port = ((Endpoint.Inet) t.endpoint()).port();
            assertThat(t.qemuNetdevs("n0")).containsExactly(
                    "dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=5556,"
                            + "remote.type=inet,remote.host=127.0.0.1,remote.port=" + port,
                    "socket,id=n0,udp=127.0.0.1:" + port + ",localaddr=127.0.0.1:5556");
        }
    }

    @Test
    void unixDatagramFramesGoBothWaysOnEpoll() throws Exception {
        assertThat(IoTransport.EPOLL.isAvailable()).as("unix datagram sockets need epoll (Linux)").isTrue();
        IoTransport io = IoTransport.EPOLL;
        Path mine = dir.resolve("jslirp.dgram");
        Path qemuPath = dir.resolve("qemu.dgram");
        try (TestNetwork tn = new TestNetwork(io); UnixDatagramPeer qemu = new UnixDatagramPeer(qemuPath)) {
            DatagramTransport t = new DatagramTransport(tn.network(), io, new Endpoint.Unix(mine),
                    new Endpoint.Unix(qemuPath), LinkBuffers.DEFAULT);
            t.start();
            qemu.send(t.endpoint(), arpRequestForGateway());
            byte[] reply = qemu.receive(WAIT);
            assertThat(reply).isNotNull();
            assertThat(isArpReplyFromGateway(reply)).isTrue();
            assertThat(t.qemuNetdevs("n0")).containsExactly("dgram,id=n0,local.type=unix,local.path=" + qemuPath
                    + ",remote.type=unix,remote.path=" + mine);
            t.close();
            assertThat(mine).doesNotExist();
        }
    }

    @Test
    void unixDatagramPeerIsLearnedFromItsBoundAddress() throws Exception {
        assertThat(IoTransport.EPOLL.isAvailable()).as("unix datagram sockets need epoll (Linux)").isTrue();
        IoTransport io = IoTransport.EPOLL;
        Path mine = dir.resolve("jslirp.dgram");
        try (TestNetwork tn = new TestNetwork(io); UnixDatagramPeer qemu = new UnixDatagramPeer(dir.resolve("qemu.dgram"));
             DatagramTransport t = new DatagramTransport(tn.network(), io, new Endpoint.Unix(mine), null,
                     LinkBuffers.DEFAULT)) {
            t.start();
            qemu.send(t.endpoint(), arpRequestForGateway());
            byte[] reply = qemu.receive(WAIT);
            assertThat(reply).isNotNull();
            assertThat(isArpReplyFromGateway(reply)).isTrue();
        }
    }

    @Test
    void unixDatagramOnNioIsRefusedNamingEpoll() throws Exception {
        try (TestNetwork tn = new TestNetwork(IoTransport.NIO)) {
            DatagramTransport t = new DatagramTransport(tn.network(), IoTransport.NIO,
                    new Endpoint.Unix(dir.resolve("j.dgram")), null, LinkBuffers.DEFAULT);
            assertThatThrownBy(t::start).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("unix datagram sockets need Netty's native epoll transport");
            t.close();
        }
    }

    @Test
    void sendingBeforeQemuIsThereCountsErrorsAndKeepsTheLinkUp() throws Exception {
        assertThat(IoTransport.EPOLL.isAvailable()).as("unix datagram sockets need epoll (Linux)").isTrue();
        IoTransport io = IoTransport.EPOLL;
        Path qemuPath = dir.resolve("qemu.dgram");
        try (TestNetwork tn = new TestNetwork(io);
             DatagramTransport t = new DatagramTransport(tn.network(), io, new Endpoint.Unix(dir.resolve("j.dgram")),
                     new Endpoint.Unix(qemuPath), LinkBuffers.DEFAULT)) {
            t.start();
            tn.sendFramesToGuest(3, 60);
            await("send errors counted", WAIT, () -> tn.counters().get(TransportCounter.SEND_ERRORS) >= 1);
            try (UnixDatagramPeer qemu = new UnixDatagramPeer(qemuPath)) {
                qemu.send(t.endpoint(), arpRequestForGateway());
                byte[] reply = qemu.receive(WAIT);
                assertThat(reply).isNotNull();
                assertThat(isArpReplyFromGateway(reply)).isTrue();
            }
        }
    }
}
