package dev.jslirp.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The guest client against the whole network on a real loop, with peers on 127.0.0.1. */
class GuestOnRealLoopTest {
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @RegisterExtension
    final JslirpExtension jslirp = new JslirpExtension();

    @Test
    void leaseGivesQemusFirstAddressAndASecondGuestTheNext(Guest guest) {
        assertThat(guest.address()).isNull();
        assertThat(guest.lease()).isEqualTo("10.0.2.15");
        assertThat(guest.mac()).isEqualTo("52:54:00:12:34:56");
        Guest second = jslirp.addGuest();
        assertThat(second.lease()).isEqualTo("10.0.2.16");
        assertThat(second.mac()).isEqualTo("52:54:00:12:34:57");
    }

    @Test
    void aMegabyteEchoedOverTcpComesBackWholeAndInOrder(Guest guest) throws Exception {
        guest.lease();
        assertThat(TcpEcho.megabyte(guest, "10.0.2.2", LOOPBACK)).isEqualTo(LOOPBACK);
    }

    @Test
    void linesAndEverythingUntilThePeerCloses(Guest guest) throws Exception {
        guest.lease();
        try (ServerSocket server = new ServerSocket(0, 1, LOOPBACK)) {
            TcpConnection c = guest.tcp("10.0.2.2", server.getLocalPort());
            try (Socket peer = server.accept()) {
                peer.getOutputStream().write("220 ready\r\nsecond\nrest".getBytes(StandardCharsets.US_ASCII));
                assertThat(c.readLine()).isEqualTo("220 ready");
                assertThat(c.readLine()).isEqualTo("second");
                peer.shutdownOutput();
                assertThat(new String(c.readAll(), StandardCharsets.US_ASCII)).isEqualTo("rest");
            }
            c.close();
        }
    }

    @Test
    void aClosedHostPortIsRefusedSayingTheNetworkAnsweredRst(Guest guest) throws Exception {
        guest.lease();
        int closed = TcpEcho.closedPort(LOOPBACK);
        assertThatThrownBy(() -> guest.tcp("10.0.2.2", closed))
                .isInstanceOf(GuestException.class)
                .hasMessageContaining("refused").hasMessageContaining("RST");
    }

    @Test
    void endpointsNeedALeaseFirst(Guest guest) {
        assertThatThrownBy(() -> guest.tcp("10.0.2.2", 80))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("lease()");
    }

    @Test
    void udpRepliesCarryTheGatewayAsSourceAndStrayOnesAreDecodedFrames(Guest guest) throws Exception {
        guest.lease();
        try (DatagramSocket server = new DatagramSocket(0, LOOPBACK)) {
            UdpSocket udp = guest.udp("10.0.2.2", server.getLocalPort());
            udp.send(new byte[] {1, 2, 3});
            DatagramPacket p = new DatagramPacket(new byte[16], 16);
            server.receive(p);
            server.send(p);
            Frame.Udp reply = udp.receiveDatagram();
            assertThat(reply.source()).isEqualTo("10.0.2.2");
            assertThat(reply.sourcePort()).isEqualTo(server.getLocalPort());
            assertThat(reply.destination()).isEqualTo("10.0.2.15");
            assertThat(reply.payload()).containsExactly(1, 2, 3);

            udp.close();   // the flow stays in the NAT: a later datagram is nobody's
            server.send(new DatagramPacket("late".getBytes(StandardCharsets.US_ASCII), 4, p.getSocketAddress()));
            Frame stray = guest.nextFrame();
            assertThat(stray.sourceMac()).isEqualTo("52:55:0a:00:02:02");
            assertThat(stray.destinationMac()).isEqualTo("52:54:00:12:34:56");
            assertThat(stray.packet()).isInstanceOfSatisfying(Frame.Udp.class,
                    u -> assertThat(u.payloadString()).isEqualTo("late"));
        }
    }
}
