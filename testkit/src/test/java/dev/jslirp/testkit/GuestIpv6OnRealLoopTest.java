package dev.jslirp.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.NatConfig;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The guest over IPv6 against the whole network on a real loop, with peers on ::1. */
class GuestIpv6OnRealLoopTest {
    private static final InetAddress LOOPBACK6 = IpAddress.V6_LOOPBACK.toInetAddress();
    /** A free UDP port on ::1 for the forward, chosen before the network starts. */
    private static final int FORWARDED_PORT = freeUdpPort();

    @RegisterExtension
    final JslirpExtension jslirp = new JslirpExtension().configure(b -> b.nat(NatConfig.builder()
            .addForward("udp:[::1]:" + FORWARDED_PORT + "-[fec0::5054:ff:fe12:3456]:7777").build()));

    @Test
    void slaacGivesAnAddressInTheAdvertisedPrefixFromEachGuestsMac(Guest guest) {
        assertThat(guest.address6()).isNull();
        assertThat(guest.linkLocalAddress()).isEqualTo("fe80::5054:ff:fe12:3456");
        String address = guest.autoconfigure6();
        assertThat(address).isEqualTo("fec0::5054:ff:fe12:3456").isEqualTo(guest.address6());
        assertThat(IpAddress.parse(address).inPrefix(IpAddress.parse("fec0::"), 64)).isTrue();
        assertThat(guest.address()).as("IPv4 is lease()'s").isNull();
        assertThat(jslirp.addGuest().autoconfigure6()).isEqualTo("fec0::5054:ff:fe12:3457");
    }

    @Test
    void aMegabyteEchoedOverTcpToTheHostsIpv6LoopbackComesBackWhole(Guest guest) throws Exception {
        guest.autoconfigure6();
        assertThat(TcpEcho.megabyte(guest, "fec0::2", LOOPBACK6)).isEqualTo(LOOPBACK6);
    }

    @Test
    void udpOverIpv6EchoesWithTheHostAddressAsSource(Guest guest) throws Exception {
        guest.autoconfigure6();
        try (DatagramSocket server = new DatagramSocket(0, LOOPBACK6)) {
            UdpSocket udp = guest.udp("[fec0::2]", server.getLocalPort());
            assertThat(udp.toString()).isEqualTo("UDP [fec0::5054:ff:fe12:3456]:" + udp.localPort() + " > [fec0::2]:"
                    + server.getLocalPort());
            udp.send("hello over IPv6");
            DatagramPacket p = new DatagramPacket(new byte[64], 64);
            server.receive(p);
            assertThat(p.getAddress()).isEqualTo(LOOPBACK6);
            server.send(p);
            Frame.Udp reply = udp.receiveDatagram();
            assertThat(reply.source()).isEqualTo("fec0::2");
            assertThat(reply.sourcePort()).isEqualTo(server.getLocalPort());
            assertThat(reply.destination()).isEqualTo("fec0::5054:ff:fe12:3456");
            assertThat(reply.payloadString()).isEqualTo("hello over IPv6");
        }
    }

    @Test
    void bothFamiliesAtOnce(Guest guest) throws Exception {
        guest.lease();
        guest.autoconfigure6();
        try (DatagramSocket v4 = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             DatagramSocket v6 = new DatagramSocket(0, LOOPBACK6)) {
            guest.udp("10.0.2.2", v4.getLocalPort()).send("four");
            guest.udp("fec0::2", v6.getLocalPort()).send("six");
            assertThat(receive(v4)).isEqualTo("four");
            assertThat(receive(v6)).isEqualTo("six");
        }
    }

    @Test
    void aForwardedDatagramReachesTheGuestOnceItAnswersTheNetworksNeighbourSolicitation(Guest guest)
            throws Exception {
        // The guest sent nothing from its SLAAC address yet, so the network must ask for its
        // MAC (RFC 4861 7.2.2) before it can deliver the datagram: no answer, no datagram.
        guest.autoconfigure6();
        try (DatagramSocket host = new DatagramSocket(0, LOOPBACK6)) {
            byte[] m = "into the guest".getBytes(StandardCharsets.US_ASCII);
            host.send(new DatagramPacket(m, m.length, new InetSocketAddress(LOOPBACK6, FORWARDED_PORT)));
            Frame f = guest.nextFrame();
            assertThat(f.destinationMac()).isEqualTo("52:54:00:12:34:56");
            assertThat(f.packet()).isInstanceOfSatisfying(Frame.Udp.class, u -> {
                assertThat(u.destination()).isEqualTo("fec0::5054:ff:fe12:3456");
                assertThat(u.destinationPort()).isEqualTo(7777);
                assertThat(u.payloadString()).isEqualTo("into the guest");
            });
        }
    }

    @Test
    void ipv6EndpointsNeedAutoconfigurationFirstAndALeaseIsNotEnough(Guest guest) {
        guest.lease();
        assertThatThrownBy(() -> guest.tcp("fec0::2", 80))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("autoconfigure6()");
        assertThatThrownBy(() -> guest.udp("fec0::2", 53))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("autoconfigure6()");
        assertThatThrownBy(() -> guest.udp("host.example", 53))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an IP address");
    }

    @Test
    void aClosedIpv6HostPortIsRefusedSayingTheNetworkAnsweredRst(Guest guest) throws Exception {
        guest.autoconfigure6();
        int closed = TcpEcho.closedPort(LOOPBACK6);
        assertThatThrownBy(() -> guest.tcp("fec0::2", closed))
                .isInstanceOf(GuestException.class)
                .hasMessageContaining("[fec0::2]:" + closed).hasMessageContaining("RST");
    }

    private static String receive(DatagramSocket s) throws Exception {
        DatagramPacket p = new DatagramPacket(new byte[64], 64);
        s.setSoTimeout(5000);
        s.receive(p);
        return new String(p.getData(), 0, p.getLength(), StandardCharsets.US_ASCII);
    }

    private static int freeUdpPort() {
        try (DatagramSocket s = new DatagramSocket(0, IpAddress.V6_LOOPBACK.toInetAddress())) {
            return s.getLocalPort();
        } catch (java.net.SocketException e) {
            throw new IllegalStateException("no UDP port on ::1 (the tests need IPv6 loopback)", e);
        }
    }
}
