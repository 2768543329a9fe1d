package dev.jslirp.nat.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.ArpPacket;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv6Packet;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.nat.EpollTestChannels;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.NatService;
import dev.jslirp.nat.guestfwd.GuestForwards;
import dev.jslirp.nat.guestfwd.GuestfwdCounter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Guest forwards ({@code guestfwd=}) of the TCP targets, on a real loop with real host
 * sockets on 127.0.0.1 and unix sockets in a temporary directory: the guest connects to an
 * address of its network and reaches the target, one host connection per guest connection.
 */
class GuestForwardTest {
    private static final int SERVER = Ipv4Address.parse("10.0.2.100");
    private static final int DEFAULT_SERVER = Ipv4Address.parse("10.0.2.4");

    @TempDir
    Path dir;

    /** A network with the NAT of {@code nat}, its guest forwards' addresses announced; on epoll if asked. */
    private static VirtualGuest guest(NatConfig nat, NetworkConfig base, boolean epoll) {
        NetworkConfig net = GuestForwards.announce(base, nat.guestForwards());
        NatService service = new NatService(nat);
        VirtualGuest g = epoll
                ? VirtualGuest.onRealLoop(net, EpollIoHandler.newFactory(), EpollTestChannels.HOST_CHANNELS, service)
                : VirtualGuest.onRealLoop(net, service);
        g.send(GuestFrames.arpRequest(GuestFrames.GATEWAY));
        g.expectFrame().release();
        return g;
    }

    private static VirtualGuest guest(NatConfig nat) {
        return guest(nat, NetworkConfig.defaults(), false);
    }

    private static long count(VirtualGuest g, TcpCounter c) {
        return g.network().stats().service("nat.tcp", TcpCounter.class).get(c);
    }

    private static long count(VirtualGuest g, GuestfwdCounter c) {
        return g.network().stats().service("nat.guestfwd", GuestfwdCounter.class).get(c);
    }

    private static ServerSocket listen() throws IOException {
        return new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    }

    /** Echoes what {@code s} reads back to it, upper-cased, until EOF; then closes. */
    private static void shout(Socket s) throws IOException {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            byte[] b = in.readAllBytes();
            out.write(new String(b, StandardCharsets.US_ASCII).toUpperCase().getBytes(StandardCharsets.US_ASCII));
        }
    }

    /** One guest connection to {@code server:port}: sends {@code text}, FIN, reads the answer to the FIN. */
    private static String exchange(GuestTcp c, String text) {
        c.connect();
        c.send(text.getBytes(StandardCharsets.US_ASCII));
        c.fin();
        byte[] answer = c.receive(text.length());
        c.expectFin();
        return new String(answer, StandardCharsets.US_ASCII);
    }

    @ParameterizedTest(name = "epoll: {0}")
    @ValueSource(booleans = {false, true})
    void guestConnectionToTheForwardReachesTheTcpTargetBothWays(boolean epoll) throws Exception {
        try (ServerSocket target = listen();
             VirtualGuest g = guest(NatConfig.builder().addGuestForward("tcp:10.0.2.100:1234-tcp:127.0.0.1:"
                     + target.getLocalPort()).build(), NetworkConfig.defaults(), epoll)) {
            Thread server = new Thread(() -> {
                try {
                    shout(target.accept());
                } catch (IOException ignored) {
                    // the assertion below fails then
                }
            });
            server.start();

            String answer = exchange(new GuestTcp(g, SERVER, 1234, 40000), "hello target");

            assertThat(answer).isEqualTo("HELLO TARGET");
            server.join(5000);
            assertThat(count(g, GuestfwdCounter.CONNECTS)).isEqualTo(1);
        }
    }

    @Test
    void everyGuestConnectionGetsAHostConnectionOfItsOwn() throws Exception {
        try (ServerSocket target = listen();
             VirtualGuest g = guest(NatConfig.builder().addGuestForward("tcp::80-tcp:127.0.0.1:"
                     + target.getLocalPort()).build())) {
            GuestTcp first = new GuestTcp(g, DEFAULT_SERVER, 80, 40001);
            GuestTcp second = new GuestTcp(g, DEFAULT_SERVER, 80, 40002);
            first.connect();
            second.connect();
            List<Socket> accepted = List.of(target.accept(), target.accept());

            // Each host connection's byte reaches one guest connection, a different one each.
            List<String> heard = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                accepted.get(i).getOutputStream().write('a' + i);
                Seg s = Seg.parse(g.expectFrame());
                heard.add(s.dstPort + "=" + new String(s.payload, StandardCharsets.US_ASCII));
            }
            assertThat(heard).hasSize(2).allMatch(h -> h.startsWith("40001=") || h.startsWith("40002="));
            assertThat(heard.get(0).substring(0, 5)).isNotEqualTo(heard.get(1).substring(0, 5));
            assertThat(count(g, GuestfwdCounter.CONNECTS)).isEqualTo(2);
            for (Socket s : accepted) {
                s.close();
            }
        }
    }

    @ParameterizedTest(name = "epoll: {0}")
    @ValueSource(booleans = {false, true})
    void guestConnectionReachesAUnixSocketTarget(boolean epoll) throws Exception {
        Path sock = dir.resolve("target.sock");
        try (ServerSocketChannel target = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             VirtualGuest g = guest(NatConfig.builder().addGuestForward("tcp:10.0.2.100:22-unix:" + sock).build(),
                     NetworkConfig.defaults(), epoll)) {
            target.bind(UnixDomainSocketAddress.of(sock));
            Thread server = new Thread(() -> {
                try (SocketChannel c = target.accept()) {
                    ByteBuffer in = ByteBuffer.allocate(64);
                    while (c.read(in) >= 0) {
                        // to the guest's FIN
                    }
                    in.flip();
                    c.write(ByteBuffer.wrap(StandardCharsets.US_ASCII.decode(in).toString().toUpperCase()
                            .getBytes(StandardCharsets.US_ASCII)));
                } catch (IOException ignored) {
                    // the assertion below fails then
                }
            });
            server.start();

            String answer = exchange(new GuestTcp(g, SERVER, 22, 40000), "over unix");

            assertThat(answer).isEqualTo("OVER UNIX");
            server.join(5000);
        }
    }

    @Test
    void targetThatRefusesGivesTheGuestARst() throws Exception {
        int closed;
        try (ServerSocket s = listen()) {
            closed = s.getLocalPort();
        }
        Path missing = dir.resolve("nobody-listens.sock");
        try (VirtualGuest g = guest(NatConfig.builder()
                .addGuestForward("tcp:10.0.2.100:1-tcp:127.0.0.1:" + closed)
                .addGuestForward("tcp:10.0.2.100:2-unix:" + missing).build())) {
            for (int port : new int[] {1, 2}) {
                GuestTcp c = new GuestTcp(g, SERVER, port, 40000 + port);
                c.syn();
                Seg rst = c.expect();
                assertThat(rst.has(TcpPacket.RST)).as("port %d: %s", port, rst).isTrue();
            }
            assertThat(count(g, TcpCounter.HOST_REFUSED) + count(g, TcpCounter.HOST_CONNECT_FAILED)).isEqualTo(2);
        }
    }

    @Test
    void targetThatNeverAnswersGivesTheGuestARstAfterTheConnectTimeout() throws Exception {
        // A listener with a full accept queue: the kernel drops further SYNs, the connect hangs.
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> fillers = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                fillers.add(new Socket(InetAddress.getLoopbackAddress(), full.getLocalPort()));
            }
            try (VirtualGuest g = guest(NatConfig.builder().tcpConnectTimeout(Duration.ofMillis(500))
                    .addGuestForward("tcp:10.0.2.100:3-tcp:127.0.0.1:" + full.getLocalPort()).build())) {
                GuestTcp c = new GuestTcp(g, SERVER, 3, 40003);
                c.wait = Duration.ofSeconds(10);
                c.syn();
                Seg rst = c.expect();
                assertThat(rst.has(TcpPacket.RST)).as("%s", rst).isTrue();
                assertThat(count(g, TcpCounter.HOST_CONNECT_TIMEOUT)).isEqualTo(1);
            } finally {
                for (Socket s : fillers) {
                    s.close();
                }
            }
        }
    }

    @Test
    void otherPortsOfTheForwardAddressAreRefusedAndItAnswersArp() throws Exception {
        try (ServerSocket target = listen();
             VirtualGuest g = guest(NatConfig.builder().addGuestForward("tcp:10.0.2.100:80-tcp:127.0.0.1:"
                     + target.getLocalPort()).build())) {
            g.send(GuestFrames.arpRequest(SERVER));
            ByteBuf reply = g.expectFrame();
            try {
                EthernetFrame eth = new EthernetFrame();
                ArpPacket arp = new ArpPacket();
                assertThat(eth.wrap(reply) && arp.wrap(reply, eth.payloadOffset(), reply.writerIndex())).isTrue();
                assertThat(arp.operation()).isEqualTo(ArpPacket.OP_REPLY);
                assertThat(arp.senderIp()).isEqualTo(SERVER);
            } finally {
                reply.release();
            }

            GuestTcp other = new GuestTcp(g, SERVER, 81, 40000);
            other.syn();
            assertThat(other.expect().has(TcpPacket.RST)).isTrue();
            assertThat(count(g, TcpCounter.REFUSED_BY_RULES)).isEqualTo(1);
        }
    }

    @Test
    void guestForwardsWorkUnderRestrict() throws Exception {
        try (ServerSocket target = listen();
             VirtualGuest g = guest(NatConfig.builder().addGuestForward("tcp:10.0.2.100:80-tcp:127.0.0.1:"
                     + target.getLocalPort()).build(), NetworkConfig.builder().restrict(true).build(), false)) {
            GuestTcp c = new GuestTcp(g, SERVER, 80, 40000);
            c.connect();
            try (Socket s = target.accept()) {
                assertThat(s.isConnected()).isTrue();
            }
        }
    }

    @Test
    void ipv6GuestForwardAnswersNeighbourDiscoveryAndReachesItsTarget() throws Exception {
        IpAddress server = IpAddress.parse("fec0::4");
        try (ServerSocket target = listen();
             VirtualGuest g = guest(NatConfig.builder().addGuestForward("tcp:[fec0::4]:80-tcp:127.0.0.1:"
                     + target.getLocalPort()).build())) {
            g.send(GuestFrames6.neighborSolicitation(GuestFrames6.GUEST6, server));
            assertThat(icmpv6Type(g.expectFrame())).as("a neighbour advertisement").isEqualTo(136);

            g.send(GuestFrames6.tcp(server, t -> t.from(40000).to(80).seq(1000).flags(TcpPacket.SYN).window(65535)
                    .mss(1440)));
            try (Socket accepted = target.accept()) {
                ByteBuf synAck = g.expectFrame();
                try {
                    EthernetFrame eth = new EthernetFrame();
                    Ipv6Packet ip = new Ipv6Packet();
                    TcpPacket tcp = new TcpPacket();
                    assertThat(eth.wrap(synAck) && ip.wrap(synAck, eth.payloadOffset(), synAck.writerIndex()) == null
                            && tcp.wrap(synAck, ip.upperOffset(), ip.upperLength())).isTrue();
                    assertThat(server.is(ip.sourceHi(), ip.sourceLo())).as("from the forward's address").isTrue();
                    assertThat(tcp.flags()).isEqualTo(TcpPacket.SYN | TcpPacket.ACK);
                    assertThat(tcp.ack()).isEqualTo(1001);
                } finally {
                    synAck.release();
                }
            }
        }
    }

    /** The ICMPv6 type of an IPv6 frame to the guest; releases it. */
    private static int icmpv6Type(ByteBuf frame) {
        try {
            EthernetFrame eth = new EthernetFrame();
            Ipv6Packet ip = new Ipv6Packet();
            assertThat(eth.wrap(frame) && ip.wrap(frame, eth.payloadOffset(), frame.writerIndex()) == null).isTrue();
            assertThat(ip.upperProtocol()).isEqualTo(58);
            return frame.getUnsignedByte(ip.upperOffset());
        } finally {
            frame.release();
        }
    }
}
