package dev.jslirp.nat.tcp;

import dev.jslirp.core.wire.IpAddress;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.spi.HostChannels;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.hostfwd.HostForward;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Port forwards: host clients on a forwarded port become connections jslirp opens to the guest. */
class TcpForwardTest {
    private static final int LOOPBACK = Ipv4Address.parse("127.0.0.1");

    private static int boundPort(LoopbackRig r) {
        assertThat(r.forwards()).hasSize(1);
        return r.forwards().get(0).listening().getPort();
    }

    /** The guest makes itself known (as any guest does before traffic), so SYNs need no ARP round trip. */
    private static void guestSpeaks(LoopbackRig r) {
        r.g.send(GuestFrames.arpRequest(GuestFrames.GATEWAY));
        r.g.expectFrame().release();
    }

    private static Socket connectClient(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
        s.setSoTimeout(5000);
        return s;
    }

    @Test
    void hostClientOnAForwardedPortTalksToTheGuest() throws Exception {
        NatConfig cfg = NatConfig.builder().addForward("tcp:127.0.0.1:0-:22").build();
        try (LoopbackRig r = new LoopbackRig(cfg)) {
            guestSpeaks(r);
            int port = boundPort(r);
            assertThat(port).isPositive();
            try (Socket client = connectClient(port)) {
                Seg syn = Seg.parse(r.g.expectFrame(Duration.ofSeconds(5)));
                assertThat(syn.flags).isEqualTo(TcpPacket.SYN);
                assertThat(syn.srcIp).as("from the gateway").isEqualTo(GuestFrames.GATEWAY);
                assertThat(syn.dstIp).as("to the first DHCP address").isEqualTo(GuestFrames.GUEST_IP);
                assertThat(syn.dstPort).isEqualTo(22);
                assertThat(syn.srcPort).isBetween(49152, 65535);
                assertThat(syn.options.mss).isEqualTo(1460);
                assertThat(syn.options.windowScale).isEqualTo(5);
                assertThat(syn.options.sackPermitted).isTrue();
                assertThat(syn.options.hasTimestamp).isTrue();
                GuestTcp c = GuestTcp.answering(r.g, syn);
                c.synAckBack();
                Seg ack = c.expect();
                assertThat(ack.flags).isEqualTo(TcpPacket.ACK);
                assertThat(ack.ack).isEqualTo(c.iss + 1);
                c.peerShift = 5;

                client.getOutputStream().write("hello guest".getBytes());
                assertThat(new String(c.receive(11))).isEqualTo("hello guest");
                c.send("hello host".getBytes());
                byte[] buf = new byte[10];
                InputStream in = client.getInputStream();
                int n = 0;
                while (n < 10) {
                    n += in.read(buf, n, 10 - n);
                }
                assertThat(new String(buf)).isEqualTo("hello host");
                client.shutdownOutput();
                c.expectFin();
                c.fin();
                assertThat(in.read()).as("EOF at the host client").isEqualTo(-1);
            }
            assertThat(r.count(TcpCounter.FORWARD_ACCEPTED)).isEqualTo(1);
        }
    }

    @Test
    void aForwardByNameGoesWhereTheGuestIsNowAndIsRefusedWhileNoGuestHasTheName() throws Exception {
        NatConfig cfg = NatConfig.builder().addForward("tcp:127.0.0.1:0-vm1:22").build();
        java.util.concurrent.atomic.AtomicReference<dev.jslirp.core.wire.IpAddress> where =
                new java.util.concurrent.atomic.AtomicReference<>();
        try (LoopbackRig r = new LoopbackRig(cfg, name -> name.equals("vm1") ? where.get() : null)) {
            guestSpeaks(r);
            try (Socket client = connectClient(boundPort(r))) {
                assertThat(client.getInputStream().read()).as("closed at once: no guest is vm1").isEqualTo(-1);
            } catch (java.net.SocketException reset) {
                // closed with a reset: the same refusal
            }
            assertThat(r.count(TcpCounter.FORWARD_NO_GUEST)).isEqualTo(1);
            where.set(dev.jslirp.core.wire.IpAddress.ipv4(GuestFrames.GUEST_IP));
            try (Socket client = connectClient(boundPort(r))) {
                Seg syn = Seg.parse(r.g.expectFrame(Duration.ofSeconds(5)));
                assertThat(syn.dstIp).as("to vm1's address now").isEqualTo(GuestFrames.GUEST_IP);
                assertThat(syn.dstPort).isEqualTo(22);
            }
        }
    }

    @Test
    void guestRefusalResetsTheHostClient() throws Exception {
        NatConfig cfg = NatConfig.builder().addForward("tcp:127.0.0.1:0-:23").build();
        try (LoopbackRig r = new LoopbackRig(cfg)) {
            guestSpeaks(r);
            try (Socket client = connectClient(boundPort(r))) {
                Seg syn = Seg.parse(r.g.expectFrame(Duration.ofSeconds(5)));
                GuestTcp c = GuestTcp.answering(r.g, syn);
                c.sendRaw(t -> t.seq(0).ack(syn.seq + 1).flags(TcpPacket.RST));
                int got;
                try {
                    got = client.getInputStream().read();
                } catch (java.net.SocketException e) {
                    got = -2;          // reset
                }
                assertThat(got).as("closed or reset, no data").isLessThan(0);
                LoopbackTestSupport.waitFor(() -> r.count(TcpCounter.FORWARD_REFUSED) == 1);
                assertThat(r.onLoop(r.nat::flowCount)).isZero();
            }
        }
    }

    @Test
    void bindFailureAtRunTimeNamesHostfwdAndTheAddress() throws Exception {
        try (LoopbackRig r = new LoopbackRig(NatConfig.defaults());
             ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            HostForward f = HostForward.parse("tcp:127.0.0.1:" + busy.getLocalPort() + "-:22");
            assertThatThrownBy(() -> r.addForward(f))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("hostfwd")
                    .hasMessageContaining("127.0.0.1:" + busy.getLocalPort());
            assertThat(r.forwards()).isEmpty();
        }
    }

    @Test
    void bindFailureAtStartRefusesTheNetwork() throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            NatConfig cfg = NatConfig.builder().addForward("tcp:127.0.0.1:" + busy.getLocalPort() + "-:22").build();
            TcpNat nat = new TcpNat(cfg);
            assertThatThrownBy(() -> GuestNetwork.builder(group.next()).config(NetworkConfig.defaults())
                    .hostChannels(HostChannels.nio()).service(new TcpOnlyService(nat)).build())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("hostfwd");
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void forwardsCanBeAddedAndRemovedAtRunTime() throws Exception {
        try (LoopbackRig r = new LoopbackRig(NatConfig.defaults())) {
            guestSpeaks(r);
            InetSocketAddress bound = r.addForward(HostForward.parse("tcp:127.0.0.1:0-10.0.2.15:80"));
            assertThat(bound.getPort()).isPositive();
            try (Socket client = connectClient(bound.getPort())) {
                Seg syn = Seg.parse(r.g.expectFrame(Duration.ofSeconds(5)));
                assertThat(syn.dstPort).isEqualTo(80);
                assertThat(client.isConnected()).isTrue();
            }
            assertThat(r.removeForward(IpAddress.ipv4(LOOPBACK), bound.getPort())).isTrue();
            assertThat(r.removeForward(IpAddress.ipv4(LOOPBACK), bound.getPort())).isFalse();
            assertThat(r.forwards()).isEmpty();
            // The listening socket is released once the loop deregisters it (at once, or
            // after the select that was under way).
            LoopbackTestSupport.waitFor(() -> {
                try (Socket s = connectClient(bound.getPort())) {
                    return !s.isConnected();
                } catch (IOException e) {
                    return e instanceof java.net.ConnectException;
                }
            });
            r.g.sink().releaseAll();
        }
    }

    @Test
    void duplicateForwardIsRefused() {
        try (LoopbackRig r = new LoopbackRig(NatConfig.defaults())) {
            InetSocketAddress bound = r.addForward(HostForward.parse("tcp:127.0.0.1:0-:22"));
            HostForward again = HostForward.parse("tcp:127.0.0.1:" + bound.getPort() + "-:23");
            assertThatThrownBy(() -> r.addForward(again)).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("hostfwd");
        }
    }

    @Test
    void forwardsSurviveTheGuestDetaching() throws Exception {
        NatConfig cfg = NatConfig.builder().addForward("tcp:127.0.0.1:0-:22").build();
        try (LoopbackRig r = new LoopbackRig(cfg)) {
            int port = boundPort(r);
            r.g.network().detach();
            r.g.network().attach(r.g.sink());
            guestSpeaks(r);
            try (Socket client = connectClient(port)) {
                Seg syn = Seg.parse(r.g.expectFrame(Duration.ofSeconds(5)));
                assertThat(syn.flags).isEqualTo(TcpPacket.SYN);
                assertThat(client.isConnected()).isTrue();
            }
        }
    }

    /** On the embedded core: an unanswered forward SYN is retransmitted, then the host client reset. */
    @Test
    void unansweredForwardSynIsRetransmittedThenGivenUp() {
        try (EmbeddedRig r = new EmbeddedRig()) {
            r.g.send(GuestFrames.arpRequest(GuestFrames.GATEWAY));
            r.g.expectFrame().release();
            FakeHost.Socket[] socket = new FakeHost.Socket[1];
            r.g.onLoop(() -> {
                TcpStack stack = r.nat.stackForTests();
                long now = stack.ctx.nanoTime();
                TcpFlow f = stack.connector.openToGuest(IpAddress.ipv4(GuestFrames.GUEST_IP), 22, null, 0, now);
                socket[0] = r.host.new Socket(f, null);
                r.host.sockets.add(socket[0]);
                f.host.attach(socket[0]);
                stack.connector.sendForwardSyn(f, now);
            });
            Seg syn = Seg.parse(r.g.expectFrame());
            assertThat(syn.flags).isEqualTo(TcpPacket.SYN);
            long wait = 1000;
            for (int i = 0; i < TcpConnector.MAX_SYN_RETRIES; i++) {
                r.advanceMillis(wait);
                Seg again = Seg.parse(r.g.expectFrame());
                assertThat(again.seq).isEqualTo(syn.seq);
                wait *= 2;
            }
            r.advanceMillis(wait);
            r.g.expectNothing();
            assertThat(socket[0].aborted).isTrue();
            assertThat(r.count(TcpCounter.FORWARD_TIMEOUT)).isEqualTo(1);
            assertThat(r.nat.flowCount()).isZero();
        }
    }
}
