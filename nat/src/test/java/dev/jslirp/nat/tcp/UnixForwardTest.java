package dev.jslirp.nat.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.hostfwd.HostForward;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Port forwards from a host unix socket ({@code hostfwd=unix:PATH-:PORT}): a client of the
 * socket becomes a TCP connection to the guest's port, both ways, on NIO and epoll (half-closed
 * both ways on epoll; NIO's unix channels cannot half-close); the socket file is QEMU's (replaced if a socket, refused if another file) and goes
 * with the forward.
 */
class UnixForwardTest {
    @TempDir
    Path dir;

    private static LoopbackRig rig(Path sock, boolean epoll) {
        NatConfig cfg = NatConfig.builder().addForward(HostForward.unix(sock, null, 22)).build();
        LoopbackRig r = new LoopbackRig(cfg, NetworkConfig.defaults(), epoll);
        r.g.send(GuestFrames.arpRequest(GuestFrames.GATEWAY));
        r.g.expectFrame().release();
        return r;
    }

    private static String read(SocketChannel c, int n) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining() && c.read(b) >= 0) {
            // until n bytes
        }
        return new String(b.array(), 0, b.position(), StandardCharsets.US_ASCII);
    }

    @ParameterizedTest(name = "epoll: {0}")
    @ValueSource(booleans = {false, true})
    void unixClientTalksToTheGuestBothWaysAndHalfCloses(boolean epoll) throws Exception {
        Path sock = dir.resolve("guest-ssh.sock");
        try (LoopbackRig r = rig(sock, epoll);
             SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            Seg syn = Seg.parse(r.g.expectFrame(Duration.ofSeconds(5)));
            assertThat(syn.flags).isEqualTo(TcpPacket.SYN);
            assertThat(syn.srcIp).isEqualTo(GuestFrames.GATEWAY);
            assertThat(syn.dstPort).isEqualTo(22);
            GuestTcp c = GuestTcp.answering(r.g, syn);
            c.synAckBack();
            c.expect();
            c.peerShift = syn.options.windowScale;

            client.write(StandardCharsets.US_ASCII.encode("hello guest"));
            assertThat(new String(c.receive(11), StandardCharsets.US_ASCII)).isEqualTo("hello guest");
            c.send("hello unix".getBytes(StandardCharsets.US_ASCII));
            assertThat(read(client, 10)).isEqualTo("hello unix");
            client.shutdownOutput();
            c.expectFin();
            if (epoll) {
                c.send("after".getBytes(StandardCharsets.US_ASCII));
                assertThat(read(client, 5)).as("the guest still talks after the client's EOF").isEqualTo("after");
            }
            // On NIO, Netty's unix channels close at the peer's EOF (no half-close, see
            // NettyHostSocket.channelInactive): the guest got the FIN all the same, not a reset.
            c.fin();
            assertThat(client.read(ByteBuffer.allocate(1))).as("EOF at the client").isEqualTo(-1);
        }
    }

    @Test
    void staleSocketFileIsReplacedAndTheFileGoesWithTheForward() throws Exception {
        Path sock = dir.resolve("stale.sock");
        try (ServerSocketChannel stale = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            stale.bind(UnixDomainSocketAddress.of(sock));
        }
        assertThat(sock).exists();
        try (LoopbackRig r = rig(sock, false)) {
            assertThat(r.forwards()).hasSize(1);
            assertThat(r.onLoop(() -> r.removeUnixForward(sock))).isTrue();
            assertThat(sock).doesNotExist();
        }
    }

    @Test
    void anotherFileAtThePathRefusesTheForwardNamingHostfwd() throws Exception {
        Path file = Files.writeString(dir.resolve("precious.txt"), "keep me");
        try (LoopbackRig r = new LoopbackRig(NatConfig.defaults())) {
            assertThatThrownBy(() -> r.addForward(HostForward.unix(file, null, 22)))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("hostfwd").hasMessageContaining("is not a unix socket");
        }
        assertThat(Files.readString(file)).isEqualTo("keep me");
    }

    @Test
    void unixRulesParseWithDashesInThePath() {
        HostForward f = HostForward.parse("unix:/run/vm-1/ssh.sock-10.0.2.15:22");
        assertThat(f.hostPath()).isEqualTo(Path.of("/run/vm-1/ssh.sock"));
        assertThat(f.guestPort()).isEqualTo(22);
        assertThat(f).hasToString("unix:/run/vm-1/ssh.sock-10.0.2.15:22");
        assertThatThrownBy(() -> HostForward.parse("unix:relative.sock-:22")).hasMessageContaining("absolute");
        assertThatThrownBy(() -> HostForward.parse("unix:/" + "x".repeat(120) + "-:22")).hasMessageContaining("too long");
    }
}
