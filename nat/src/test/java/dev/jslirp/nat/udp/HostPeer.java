package dev.jslirp.nat.udp;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/**
 * A real UDP socket on 127.0.0.1 for tests: a peer that sends and receives, or a
 * server that answers each datagram to its sender on a thread of its own.
 */
final class HostPeer implements AutoCloseable {
    /** A datagram the peer received. */
    record Received(byte[] data, InetSocketAddress sender) {
    }

    private final DatagramSocket socket;
    private final List<InetSocketAddress> senders = new CopyOnWriteArrayList<>();
    private final List<byte[]> requests = new CopyOnWriteArrayList<>();
    private Thread server;

    private HostPeer(DatagramSocket socket) {
        this.socket = socket;
    }

    /** A socket on 127.0.0.1 and a free port. */
    static HostPeer bind() {
        return bind(InetAddress.getLoopbackAddress());
    }

    /** A socket on ::1 and a free port. */
    static HostPeer bind6() {
        try {
            return bind(InetAddress.getByName("::1"));
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static HostPeer bind(InetAddress address) {
        try {
            return new HostPeer(new DatagramSocket(new InetSocketAddress(address, 0)));
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A server answering every datagram with the same bytes. */
    static HostPeer echo() {
        return serve(UnaryOperator.identity());
    }

    /** A server answering every datagram with {@code reply.apply(data)}. */
    static HostPeer serve(UnaryOperator<byte[]> reply) {
        HostPeer p = bind();
        p.server = new Thread(() -> p.serveLoop(reply), "udp-test-server-" + p.port());
        p.server.setDaemon(true);
        p.server.start();
        return p;
    }

    private void serveLoop(UnaryOperator<byte[]> reply) {
        byte[] buf = new byte[65535];
        while (!socket.isClosed()) {
            DatagramPacket in = new DatagramPacket(buf, buf.length);
            try {
                socket.receive(in);
                byte[] data = Arrays.copyOf(in.getData(), in.getLength());
                senders.add((InetSocketAddress) in.getSocketAddress());
                requests.add(data);
                byte[] out = reply.apply(data);
                socket.send(new DatagramPacket(out, out.length, in.getSocketAddress()));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** The port it listens on. */
    int port() {
        return socket.getLocalPort();
    }

    /** Where it listens. */
    InetSocketAddress address() {
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** The senders of the datagrams a server answered, in order. */
    List<InetSocketAddress> senders() {
        return senders;
    }

    /** The datagrams a server answered, in order. */
    List<byte[]> requests() {
        return requests;
    }

    /** Sends {@code data} to {@code to}. */
    void send(byte[] data, InetSocketAddress to) {
        try {
            socket.send(new DatagramPacket(data, data.length, to));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The next datagram within {@code timeout}, or null. Not for servers. */
    Received receive(Duration timeout) {
        byte[] buf = new byte[65535];
        DatagramPacket in = new DatagramPacket(buf, buf.length);
        try {
            socket.setSoTimeout((int) timeout.toMillis());
            socket.receive(in);
            return new Received(Arrays.copyOf(in.getData(), in.getLength()), (InetSocketAddress) in.getSocketAddress());
        } catch (SocketTimeoutException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        socket.close();
        if (server != null) {
            server.join(2000);
        }
    }
}
