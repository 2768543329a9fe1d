package dev.jslirp.nat.tcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.nat.HostTarget;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A forwarded connection from a host client that is not the host itself reaches the guest from
 * the client's own address and port, and the guest's answers to that address find the
 * connection: on the embedded core with a fake host, so no packet leaves the process (the
 * clients' addresses are TEST-NET-2's, RFC 5737).
 */
class TcpForwardClientAddressTest {
    private static final IpAddress CLIENT = IpAddress.parse("198.51.100.7");
    private static final int CLIENT_PORT = 40001;
    private static final IpAddress GUEST = IpAddress.ipv4(GuestFrames.GUEST_IP);

    /** Opens a forwarded connection from {@code client:port} to the guest's port 22, as an accepted host client would. */
    private static FakeHost.Socket open(EmbeddedRig r, IpAddress client, int port) {
        FakeHost.Socket[] socket = new FakeHost.Socket[1];
        r.g.onLoop(() -> {
            TcpStack stack = r.nat.stackForTests();
            long now = stack.ctx.nanoTime();
            TcpFlow f = stack.connector.openToGuest(GUEST, 22, client, port, now);
            socket[0] = r.host.new Socket(f, null);
            r.host.sockets.add(socket[0]);
            f.host.attach(socket[0]);
            stack.connector.sendForwardSyn(f, now);
        });
        return socket[0];
    }

    private static EmbeddedRig rig() {
        EmbeddedRig r = new EmbeddedRig();
        r.g.send(GuestFrames.arpRequest(GuestFrames.GATEWAY));
        r.g.expectFrame().release();
        return r;
    }

    @Test
    void guestSeesTheClientsOwnAddressAndPortAndItsAnswersReachTheClient() {
        try (EmbeddedRig r = rig()) {
            FakeHost.Socket host = open(r, CLIENT, CLIENT_PORT);

            Seg syn = Seg.parse(r.g.expectFrame());
            assertThat(Ipv4Address.toString(syn.srcIp)).isEqualTo("198.51.100.7");
            assertThat(syn.srcPort).isEqualTo(CLIENT_PORT);
            assertThat(syn.dstIp).isEqualTo(GuestFrames.GUEST_IP);
            // The guest answers the client's address (through its default route): the NAT
            // maps it back to the accepted host socket.
            GuestTcp c = GuestTcp.answering(r.g, syn);
            c.synAckBack();
            assertThat(c.expect().flags).isEqualTo(TcpPacket.ACK);
            c.peerShift = syn.options.windowScale;
            c.send("SSH-2.0-guest\r\n".getBytes(StandardCharsets.US_ASCII));
            c.expectAllowingAckDelay();

            assertThat(new String(host.receivedBytes(), StandardCharsets.US_ASCII)).isEqualTo("SSH-2.0-guest\r\n");
            assertThat(r.count(TcpCounter.FORWARD_CLIENT_TUPLE_BUSY)).isZero();
        }
    }

    @Test
    void guestConnectionToTheClientsAddressIsAConnectionOfItsOwn() {
        try (EmbeddedRig r = rig()) {
            open(r, CLIENT, CLIENT_PORT);
            Seg syn = Seg.parse(r.g.expectFrame());
            GuestTcp forwarded = GuestTcp.answering(r.g, syn);
            forwarded.synAckBack();
            forwarded.expect();

            // The guest connects out to the very address and port the client came from, from
            // another port of its own: a second flow, to the world, not the forwarded one.
            GuestTcp out = new GuestTcp(r.g, Ipv4Address.parse("198.51.100.7"), CLIENT_PORT, 50000);
            out.syn();

            assertThat(r.host.last().target).isEqualTo(new HostTarget.Inet(new InetSocketAddress("198.51.100.7", CLIENT_PORT)));
            assertThat(r.host.sockets).hasSize(2);
            assertThat(r.nat.flowCount()).isEqualTo(2);
        }
    }

    @Test
    void clientWhoseTupleIsTakenComesFromTheGatewayInstead() {
        try (EmbeddedRig r = rig()) {
            open(r, CLIENT, CLIENT_PORT);
            Seg first = Seg.parse(r.g.expectFrame());

            // Two forwards to one guest port, one client port on both: the second cannot
            // use the tuple the first holds.
            open(r, CLIENT, CLIENT_PORT);
            Seg second = Seg.parse(r.g.expectFrame());

            assertThat(first.srcIp).isEqualTo(Ipv4Address.parse("198.51.100.7"));
            assertThat(second.srcIp).isEqualTo(GuestFrames.GATEWAY);
            assertThat(second.srcPort).isBetween(49152, 65535);
            assertThat(r.count(TcpCounter.FORWARD_CLIENT_TUPLE_BUSY)).isEqualTo(1);
        }
    }
}
