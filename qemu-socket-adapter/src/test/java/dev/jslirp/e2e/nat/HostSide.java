package dev.jslirp.e2e.nat;

import dev.jslirp.transport.tap.NetworkNamespace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * The network namespace a backend's host sockets live in, where "the host" of the guest is:
 * the test JVM's own for jslirp running in-process, the {@link dev.jslirp.e2e.NetnsSandbox}
 * libslirp runs in (QEMU is inside it, so 10.0.2.2 reaches that namespace's 127.0.0.1 and
 * {@code hostfwd=} listens there).
 *
 * <p>A socket belongs to the namespace of the thread that created it, for good: {@link #call}
 * creates sockets there ({@link NetworkNamespace#call} on a fresh thread inside), and any
 * thread may use them afterwards. So the servers the guest reaches at 10.0.2.2 and the clients
 * that connect to forwarded ports work the same way for both backends.
 */
public final class HostSide {
    private final String netns;

    private HostSide(String netns) {
        this.netns = netns;
    }

    /** The test JVM's own namespace. */
    public static HostSide thisProcess() {
        return new HostSide(null);
    }

    /** The namespace {@code ip netns} knows as {@code name}. */
    public static HostSide namespace(String name) {
        return new HostSide(name);
    }

    /** The {@code ip netns} name, or null for the test JVM's own namespace. */
    public String netnsName() {
        return netns;
    }

    /** Runs {@code task} inside this namespace (on this thread if it is the JVM's own). */
    public <T> T call(NetworkNamespace.Task<T> task) {
        try {
            return netns == null ? task.run() : NetworkNamespace.of(netns).call(task);
        } catch (IOException e) {
            throw new UncheckedIOException("in " + this, e);
        }
    }

    /** {@code ip} with {@code args}, run in this namespace ({@code ip -n NAME ...}). */
    public String[] ip(String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        if (netns != null) {
            cmd.addAll(List.of("-n", netns));
        }
        cmd.addAll(List.of(args));
        return cmd.toArray(new String[0]);
    }

    /** A TCP port on 127.0.0.1 here that nothing listened on a moment ago. */
    public int freeLoopbackTcpPort() {
        return call(() -> {
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                return s.getLocalPort();
            }
        });
    }

    /** A UDP port on 127.0.0.1 here that nothing was bound to a moment ago. */
    public int freeLoopbackUdpPort() {
        return call(() -> {
            try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                return s.getLocalPort();
            }
        });
    }

    /** A TCP client socket connected from here to {@code address:port} (a forwarded port, say). */
    public Socket connect(InetAddress address, int port, int timeoutMillis) {
        return call(() -> {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(address, port), timeoutMillis);
                return s;
            } catch (IOException e) {
                s.close();
                throw e;
            }
        });
    }

    /** An unconnected UDP socket here, bound to {@code address} (null: all addresses). */
    public DatagramSocket udpSocket(InetAddress address) {
        return call(() -> new DatagramSocket(new InetSocketAddress(address, 0)));
    }

    @Override
    public String toString() {
        return netns == null ? "the test JVM's network namespace" : "network namespace " + netns;
    }
}
