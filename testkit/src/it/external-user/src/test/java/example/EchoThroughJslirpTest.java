package example;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jslirp.testkit.*;
import java.net.*;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class EchoThroughJslirpTest {
    @RegisterExtension
    final JslirpExtension jslirp = new JslirpExtension();   // a network per test, leak-checked

    @Test
    void leaseThenTcpAndUdpEchoThroughTheNat(Guest guest) throws Exception {
        InetAddress host = InetAddress.getLoopbackAddress();   // the guest reaches it at 10.0.2.2
        try (ServerSocket tcpServer = new ServerSocket(0, 1, host); DatagramSocket udpServer = new DatagramSocket(0, host)) {
            assertEquals("10.0.2.15", guest.lease());
            TcpConnection tcp = guest.tcp("10.0.2.2", tcpServer.getLocalPort());
            try (Socket peer = tcpServer.accept()) {
                tcp.write("hello over TCP");
                peer.getOutputStream().write(peer.getInputStream().readNBytes(14));   // echo
                assertEquals("hello over TCP", tcp.readString(14));
            }
            UdpSocket udp = guest.udp("10.0.2.2", udpServer.getLocalPort());
            udp.send("hello over UDP");
            DatagramPacket p = new DatagramPacket(new byte[64], 64);
            udpServer.receive(p);
            udpServer.send(p);   // echo, back to where it came from
            assertEquals("hello over UDP", udp.receiveString());
        }
    }
}
