package dev.jslirp.e2e.nat;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A UDP echo server (RFC 862): every datagram goes back unchanged to where it came from.
 * Datagrams up to the largest IPv4 UDP payload, 65507 bytes, are received whole, so the size a
 * test sees here is the size the NAT delivered after reassembly.
 */
public final class UdpEchoServer extends TestServer {
    /** One datagram echoed. */
    public record Echo(int size, String from) {
    }

    private static final int MAX_UDP_PAYLOAD = 65507;
    private final DatagramSocket socket;
    private final List<Echo> echoed = new CopyOnWriteArrayList<>();

    private UdpEchoServer(DatagramSocket socket) {
        super(socket, "udp-echo");
        this.socket = socket;
        startServing();
    }

    /** Echoes on {@code socket} (bound already, wherever the caller made it). */
    public static UdpEchoServer on(DatagramSocket socket) {
        return new UdpEchoServer(socket);
    }

    /** The port bound. */
    public int port() {
        return socket.getLocalPort();
    }

    /** The datagrams echoed so far. */
    public List<Echo> echoed() {
        return List.copyOf(echoed);
    }

    @Override
    void serve() {
        byte[] buf = new byte[MAX_UDP_PAYLOAD];
        while (!socket.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                socket.receive(p);
                socket.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
                InetSocketAddress from = (InetSocketAddress) p.getSocketAddress();
                echoed.add(new Echo(p.getLength(), from.getAddress().getHostAddress() + ":" + from.getPort()));
            } catch (IOException e) {
                if (socket.isClosed()) {
                    return;
                }
                // an ICMP error reported for an earlier reply: keep serving
            }
        }
    }
}
