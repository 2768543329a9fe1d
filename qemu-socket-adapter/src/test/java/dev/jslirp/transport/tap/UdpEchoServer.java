package dev.jslirp.transport.tap;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;

/** A UDP echo server on the host's 127.0.0.1 that answers each datagram with {@code echo:} and the datagram. */
final class UdpEchoServer implements AutoCloseable {
    private final DatagramSocket socket;
    private final Thread thread;

    UdpEchoServer() throws IOException {
        socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        thread = new Thread(this::serve, "udp-echo");
        thread.setDaemon(true);
        thread.start();
    }

    int port() {
        return socket.getLocalPort();
    }

    private void serve() {
        byte[] buf = new byte[2048];
        byte[] prefix = "echo:".getBytes(StandardCharsets.US_ASCII);
        while (!socket.isClosed()) {
            try {
                DatagramPacket in = new DatagramPacket(buf, buf.length);
                socket.receive(in);
                byte[] out = new byte[prefix.length + in.getLength()];
                System.arraycopy(prefix, 0, out, 0, prefix.length);
                System.arraycopy(in.getData(), 0, out, prefix.length, in.getLength());
                socket.send(new DatagramPacket(out, out.length, in.getSocketAddress()));
            } catch (SocketException e) {
                return;                             // closed
            } catch (IOException e) {
                // one failed datagram; keep serving
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        thread.join(2000);
    }
}
