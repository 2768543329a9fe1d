package dev.jslirp.nat.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.nat.NatConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IpV4Packet;

/** The TCP NAT end to end: a scripted guest, real Netty host sockets, real host peers on 127.0.0.1. */
class TcpLoopbackTest {
    private static final int MB4 = 4 << 20;

    private static byte[] random(int n, long seed) {
        return TestBytes.random(n, seed);
    }

    @Test
    void guestConnectsToALoopbackPortThroughTheGateway() throws Exception {
        try (LoopbackRig r = new LoopbackRig(NatConfig.defaults())) {
            ServerSocket server = r.listen();
            CompletableFuture<String> peer = r.serve(server, s -> s.getInetAddress().getHostAddress());
            GuestTcp c = r.conn(server.getLocalPort());
            Seg synAck = c.connect();
            assertThat(synAck.srcIp).isEqualTo(dev.jslirp.core.testkit.GuestFrames.GATEWAY);
            assertThat(peer.get(5, TimeUnit.SECONDS)).isEqualTo("127.0.0.1");
            waitFor(() -> r.count(TcpCounter.ESTABLISHED) == 1);
        }
    }

    /** slirp4netns's --outbound-addr: the host socket is bound to the address before it connects. */
    @Test
    void guestConnectionLeavesFromTheOutboundAddress() throws Exception {
        NatConfig nat = NatConfig.builder().outboundAddress(java.net.InetAddress.getByName("127.0.0.2")).build();
        try (LoopbackRig r = new LoopbackRig(nat)) {
            ServerSocket server = r.listen();
            CompletableFuture<String> peer = r.serve(server, s -> s.getInetAddress().getHostAddress());
            r.conn(server.getLocalPort()).connect();
            assertThat(peer.get(5, TimeUnit.SECONDS)).isEqualTo("127.0.0.2");
        }
    }

    @Test
    void closedHostPortIsRefusedAtOnce() throws Exception {
        try (LoopbackRig r = new LoopbackRig(NatConfig.defaults())) {
            int port;
            try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
                port = s.getLocalPort();
            }
            GuestTcp c = r.conn(port);
            long t0 = System.nanoTime();
            c.syn();
            Seg rst = c.expect();
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertThat(rst.flags).isEqualTo(TcpPacket.RST | TcpPacket.ACK);
            assertThat(rst.ack).isEqualTo(c.iss + 1);
            assertThat(ms).as("no hang").isLessThan(2000);
            assertThat(r.count(TcpCounter.HOST_REFUSED)).isEqualTo(1);
            assertThat(r.onLoop(r.nat::flowCount)).isZero();
        }
    }

    @Test
    void restrictedNetworkRefusesWithoutTouchingTheHost() throws Exception {
        NetworkConfig net = NetworkConfig.builder().restrict(true).build();
        try (LoopbackRig r = new LoopbackRig(NatConfig.defaults(), net)) {
            ServerSocket server = r.listen();
            server.setSoTimeout(300);
            GuestTcp c = r.conn(server.getLocalPort());
            c.syn();
            Seg rst = c.expect();
            assertThat(rst.flags).isEqualTo(TcpPacket.RST | TcpPacket.ACK);
            assertThat(r.count(TcpCounter.REFUSED_BY_RULES)).isEqualTo(1);
            assertThatThrownBy(server::accept).isInstanceOf(java.net.SocketTimeoutException.class);
        }
    }

    @Test
    void dataFlowsBothWaysWithValidChecksums() throws Exception {
        try (LoopbackRig r = new LoopbackRig(NatConfig.defaults())) {
            ServerSocket server = r.listen();
            CompletableFuture<Void> echo = r.serve(server, s -> {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                byte[] buf = new byte[4096];
                int n;
                while ((n = in.read(buf)) >= 0) {
                    out.write(buf, 0, n);
                }
                return null;
            });
            GuestTcp c = r.conn(server.getLocalPort());
            c.connect();
            c.send("ping over jslirp".getBytes());
            // Cross-check one frame with a decoder nobody here wrote.
            ByteBuf frame = null;
            byte[] got = new byte[0];
            while (got.length < 16) {
                frame = r.g.expectFrame(Duration.ofSeconds(5));
                byte[] raw = ByteBufUtil.getBytes(frame);
                EthernetPacket eth = EthernetPacket.newPacket(raw, 0, raw.length);
                IpV4Packet ip = eth.get(IpV4Packet.class);
                assertThat(ip.getHeader().hasValidChecksum(false)).isTrue();
                org.pcap4j.packet.TcpPacket tcp = eth.get(org.pcap4j.packet.TcpPacket.class);
                assertThat(tcp.hasValidChecksum(ip.getHeader().getSrcAddr(), ip.getHeader().getDstAddr(), false)).isTrue();
                Seg s = Seg.parse(frame);
                if (s.len() > 0) {
                    got = s.payload;
                    c.rcvNxt += s.len();
                    c.ack();
                }
            }
            assertThat(new String(got)).isEqualTo("ping over jslirp");
            c.fin();
            // Echo server sees EOF, closes: FIN comes back.
            Seg fin;
            do {
                fin = c.expect();
            } while (!fin.has(TcpPacket.FIN));
            c.rcvNxt = fin.seq + fin.len() + 1;
            c.ack();
            echo.get(5, TimeUnit.SECONDS);
            waitFor(() -> r.onLoop(r.nat::flowCount) == 0);
        }
    }

    @Test
    void multiMegabyteUploadArrivesIntact() throws Exception {
        try (LoopbackRig r = new LoopbackRig(NatConfig.defaults())) {
            ServerSocket server = r.listen();
            CompletableFuture<Object[]> sink = r.serve(server, s -> LoopbackRig.digestToEof(s.getInputStream()));
            GuestTcp c = r.conn(server.getLocalPort());
            c.connect();
            byte[] data = random(MB4, 11);
            c.sendAll(data, 1448);
            c.fin();
            Object[] result = sink.get(30, TimeUnit.SECONDS);
            assertThat((long) result[1]).isEqualTo(MB4);
            assertThat((byte[]) result[0]).isEqualTo(LoopbackRig.sha256(data));
            assertThat(r.count(TcpCounter.BYTES_FROM_GUEST)).isEqualTo(MB4);
        }
    }

    @Test
    void multiMegabyteDownloadArrivesIntact() throws Exception {
        try (LoopbackRig r = new LoopbackRig(NatConfig.defaults())) {
            ServerSocket server = r.listen();
            byte[] data = random(MB4, 12);
            CompletableFuture<Void> source = r.serve(server, s -> {
                s.getOutputStream().write(data);
                s.shutdownOutput();
                s.getInputStream().read();         // until the guest closes too
                return null;
            });
            GuestTcp c = r.conn(server.getLocalPort());
            c.window = 4096;                        // 4096 << 7 = 512 KiB
            c.connect();
            byte[] got;
            try {
                got = c.receive(MB4);
            } catch (AssertionError e) {
                throw new AssertionError(r.dump(), e);
            }
            assertThat(LoopbackRig.sha256(got)).isEqualTo(LoopbackRig.sha256(data));
            c.expectFin();
            c.fin();
            c.expectAck();
            source.get(10, TimeUnit.SECONDS);
            assertThat(r.count(TcpCounter.BYTES_TO_GUEST)).isEqualTo(MB4);
            assertThat(r.count(TcpCounter.RETRANSMITTED_SEGMENTS)).isZero();
        }
    }

    @Test
    void hostPeerThatNeverReadsClosesTheWindowWithBoundedMemory() throws Exception {
        int buffer = 64 << 10;
        NatConfig cfg = NatConfig.builder().tcpBufferBytes(buffer).build();
        try (LoopbackRig r = new LoopbackRig(cfg)) {
            ServerSocket server = r.listenSmall();
            CompletableFuture<Void> lazy = new CompletableFuture<>();
            CompletableFuture<Void> peer = r.serve(server, s -> {
                s.setReceiveBufferSize(8192);
                lazy.get(30, TimeUnit.SECONDS);    // never reads until told
                return null;
            });
            GuestTcp c = r.conn(server.getLocalPort());
            c.connect();
            byte[] chunk = random(1448, 13);
            Seg last = null;
            long sent = 0;
            while (true) {
                while (dev.jslirp.core.seq.SeqNum.lt(c.sndNxt, c.peerWindowEdge)) {
                    int n = Math.min(1448, c.peerWindowEdge - c.sndNxt);
                    c.send(Arrays.copyOf(chunk, n));
                    sent += n;
                }
                ByteBuf f = r.g.sink().poll(1000);
                if (f == null) {
                    break;                          // stalled: no ACK opens the window
                }
                last = Seg.parse(f);
                if (last.options.hasTimestamp) {
                    c.tsRecent = last.options.tsVal;
                }
                c.peerWindowEdge = last.ack + (last.window << c.peerShift);
                assertThat(sent).as("bounded by kernel buffers plus ours").isLessThan(16L << 20);
            }
            assertThat(last).isNotNull();
            assertThat(last.window).as("window closed").isZero();
            // Netty counts ~96 bytes of bookkeeping per queued write on top of the data
            // (TcpFlow.COALESCE_BELOW keeps that under a fifth).
            assertThat(r.onLoop(r.nat::bufferedBytes)).isLessThanOrEqualTo(buffer + buffer / 5L);
            lazy.complete(null);
            peer.get(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void hostResetBecomesRstToTheGuest() throws Exception {
        try (LoopbackRig r = new LoopbackRig(NatConfig.defaults())) {
            ServerSocket server = r.listen();
            CompletableFuture<Void> peer = r.serve(server, s -> {
                s.setSoLinger(true, 0);
                s.getOutputStream().write("x".getBytes());
                Thread.sleep(200);
                return null;                       // closing with linger 0 resets
            });
            GuestTcp c = r.conn(server.getLocalPort());
            c.connect();
            peer.get(5, TimeUnit.SECONDS);
            Seg s;
            do {
                s = c.expect();
                if (s.len() > 0) {
                    c.rcvNxt += s.len();
                    c.ack();
                }
            } while (!s.has(TcpPacket.RST));
            assertThat(r.count(TcpCounter.RST_FROM_HOST)).isEqualTo(1);
            waitFor(() -> r.onLoop(r.nat::flowCount) == 0);
        }
    }

    @Test
    void guestRstResetsTheHostPeer() throws Exception {
        try (LoopbackRig r = new LoopbackRig(NatConfig.defaults())) {
            ServerSocket server = r.listen();
            CompletableFuture<Throwable> peer = r.serve(server, s -> {
                try {
                    s.getInputStream().read();
                    return null;
                } catch (SocketException e) {
                    return e;
                }
            });
            GuestTcp c = r.conn(server.getLocalPort());
            c.connect();
            c.rst();
            Throwable e = peer.get(5, TimeUnit.SECONDS);
            assertThat(e).as("the host peer sees a reset, not an EOF").isNotNull();
            assertThat(e.getMessage()).containsIgnoringCase("reset");
        }
    }

    @Test
    void guestHalfCloseLetsTheHostAnswerAfterEof() throws Exception {
        try (LoopbackRig r = new LoopbackRig(NatConfig.defaults())) {
            ServerSocket server = r.listen();
            CompletableFuture<String> peer = r.serve(server, s -> {
                byte[] req = s.getInputStream().readAllBytes();   // until the guest's FIN
                s.getOutputStream().write(("got " + req.length).getBytes());
                return new String(req);
            });
            GuestTcp c = r.conn(server.getLocalPort());
            c.connect();
            c.send("request body".getBytes());
            c.fin();
            assertThat(peer.get(5, TimeUnit.SECONDS)).isEqualTo("request body");
            byte[] answer = c.receive(6);
            assertThat(new String(answer)).isEqualTo("got 12");
            c.expectFin();
            waitFor(() -> r.onLoop(r.nat::flowCount) == 0);
        }
    }

    @Test
    void hostHalfCloseLetsTheGuestKeepSending() throws Exception {
        try (LoopbackRig r = new LoopbackRig(NatConfig.defaults())) {
            ServerSocket server = r.listen();
            CompletableFuture<String> peer = r.serve(server, s -> {
                s.getOutputStream().write("hello".getBytes());
                s.shutdownOutput();
                return new String(s.getInputStream().readAllBytes());
            });
            GuestTcp c = r.conn(server.getLocalPort());
            c.connect();
            assertThat(new String(c.receive(5))).isEqualTo("hello");
            c.expectFin();
            c.send("after your FIN".getBytes());
            c.expectAck();
            c.fin();
            c.expectAck();
            assertThat(peer.get(5, TimeUnit.SECONDS)).isEqualTo("after your FIN");
            assertThat(r.onLoop(() -> r.nat.flowCount())).as("TIME_WAIT").isEqualTo(1);
        }
    }

    @Test
    void maxTcpFlowsRefusesFurtherConnections() throws Exception {
        NatConfig cfg = NatConfig.builder().maxTcpFlows(3).build();
        try (LoopbackRig r = new LoopbackRig(cfg)) {
            ServerSocket server = r.listen();
            for (int i = 0; i < 3; i++) {
                r.serve(server, s -> s.getInputStream().read());
                r.conn(server.getLocalPort()).connect();
            }
            GuestTcp c = r.conn(server.getLocalPort());
            c.syn();
            assertThat(c.expect().has(TcpPacket.RST)).isTrue();
            assertThat(r.count(TcpCounter.FLOW_LIMIT)).isEqualTo(1);
            assertThat(r.onLoop(r.nat::flowCount)).isEqualTo(3);
        }
    }

    static void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
        LoopbackTestSupport.waitFor(cond);
    }

    static String ip(int a) {
        return Ipv4Address.toString(a);
    }
}
