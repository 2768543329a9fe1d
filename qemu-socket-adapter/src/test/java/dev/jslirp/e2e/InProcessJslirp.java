package dev.jslirp.e2e;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.guest.HostSockets;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.GuestTransport;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.dgram.DatagramTransport;
import dev.jslirp.transport.stream.StreamClient;
import dev.jslirp.transport.stream.StreamServer;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * One jslirp network running inside the test JVM, as a library user assembles it:
 * {@link JslirpNetwork} plus one QEMU transport, both on an event loop the test owns (so
 * Netty's leak detector watches every buffer they touch). The transport is chosen by
 * {@link Attachment}; {@link #netdev(String)} is the {@code -netdev} value a QEMU needs to reach
 * it, taken from the transport itself ({@link GuestTransport#qemuNetdevs}) as jslirp prints it
 * for users.
 */
public final class InProcessJslirp implements AutoCloseable {
    /** How QEMU and jslirp meet. */
    public enum Attachment {
        /** jslirp listens on a unix socket; QEMU {@code -netdev stream,server=off} connects. */
        STREAM_UNIX_LISTEN,
        /** jslirp listens on 127.0.0.1 TCP; QEMU's legacy {@code -netdev socket,connect=} connects. */
        SOCKET_TCP_LISTEN,
        /** QEMU {@code -netdev stream,server=on} listens on a unix socket; jslirp connects (and retries). */
        STREAM_UNIX_CONNECT,
        /** {@code -netdev dgram} over UDP on 127.0.0.1: one frame per datagram. */
        DGRAM_UDP,
        /** {@code -netdev dgram} over unix datagram sockets (jslirp needs epoll for them). */
        DGRAM_UNIX,
    }

    /** jslirp's reconnect delay when it connects to a listening QEMU. */
    private static final Duration RECONNECT_DELAY = Duration.ofMillis(200);

    private final JslirpNetwork network;
    private final GuestTransport transport;
    private final Attachment attachment;
    private final List<Path> socketFiles;

    private InProcessJslirp(JslirpNetwork network, GuestTransport transport, Attachment attachment,
                            List<Path> socketFiles) {
        this.network = network;
        this.transport = transport;
        this.attachment = attachment;
        this.socketFiles = socketFiles;
    }

    /**
     * Starts a network with {@code options} and {@code dns} on {@code loop} and binds (or starts
     * connecting) its transport.
     *
     * @param dns must name an upstream the test started on 127.0.0.1: without one jslirp would
     *            read the host's resolv.conf, and tests never talk to the host's resolver
     */
    public static InProcessJslirp start(EventLoop loop, IoTransport io, UserOptions options, DnsConfig dns,
                                        Attachment attachment) {
        if (dns.upstreams().isEmpty() || !dns.upstreams().stream().allMatch(a -> a.getAddress().isLoopbackAddress())) {
            throw new IllegalArgumentException("e2e tests forward DNS only to servers they start on 127.0.0.1: "
                    + dns.upstreams());
        }
        JslirpNetwork network = JslirpNetwork.builder()
                .network(options.networkConfig())
                .dhcp(options.dhcpConfig())
                .dns(dns)
                .nat(options.natConfig())
                .tftp(options.tftpConfig())
                .eventLoop(loop, io.hostChannels())
                .build();
        List<Path> files = new ArrayList<>();
        GuestTransport transport = null;
        try {
            transport = transport(network, io, attachment, files);
            transport.start();
            return new InProcessJslirp(network, transport, attachment, files);
        } catch (IOException | RuntimeException e) {
            if (transport != null) {
                transport.close();
            }
            network.close();
            throw e instanceof IOException io2 ? new UncheckedIOException(io2) : (RuntimeException) e;
        }
    }

    private static GuestTransport transport(JslirpNetwork network, IoTransport io, Attachment a, List<Path> files) {
        LinkBuffers buffers = LinkBuffers.DEFAULT;
        switch (a) {
            case STREAM_UNIX_LISTEN:
                return new StreamServer(network.guest(), io, unix("listen", files), buffers);
            case SOCKET_TCP_LISTEN:
                return new StreamServer(network.guest(), io, new Endpoint.Inet("tcp", "127.0.0.1", 0), buffers);
            case STREAM_UNIX_CONNECT:
                return new StreamClient(network.guest(), io, unix("qemu", files), buffers, RECONNECT_DELAY);
            case DGRAM_UDP:
                return new DatagramTransport(network.guest(), io, new Endpoint.Inet("udp", "127.0.0.1", 0),
                        new Endpoint.Inet("udp", "127.0.0.1", freeLoopbackUdpPort()), buffers);
            case DGRAM_UNIX:
                return new DatagramTransport(network.guest(), io, unix("dgram", files), unix("qemudg", files), buffers);
            default:
                throw new IllegalArgumentException(a.toString());
        }
    }

    private static Endpoint.Unix unix(String prefix, List<Path> files) {
        Path p = HostSockets.tempUnixSocketPath(prefix);
        files.add(p);
        return new Endpoint.Unix(p);
    }

    /** A UDP port on 127.0.0.1 that was free a moment ago (QEMU binds it, not us). */
    static int freeLoopbackUdpPort() {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return s.getLocalPort();
        } catch (SocketException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The {@code -netdev} value for QEMU, with id {@code id}: the first form the transport
     * offers, except for {@link Attachment#SOCKET_TCP_LISTEN}, which takes the legacy
     * {@code socket} form.
     */
    public String netdev(String id) {
        List<String> forms = transport.qemuNetdevs(id);
        String form = attachment == Attachment.SOCKET_TCP_LISTEN ? forms.get(1) : forms.get(0);
        if (attachment == Attachment.SOCKET_TCP_LISTEN && !form.startsWith("socket,")) {
            throw new IllegalStateException("no legacy socket form among " + forms);
        }
        return form;
    }

    /** How QEMU is attached. */
    public Attachment attachment() {
        return attachment;
    }

    /** The assembled network. */
    public JslirpNetwork network() {
        return network;
    }

    /** The transport. */
    public GuestTransport transport() {
        return transport;
    }

    /** Every non-zero counter, {@code set.NAME -> value} (e.g. {@code dhcp.ACK_SENT}). */
    public Map<String, Long> counters() {
        return network.stats().snapshot();
    }

    /** One counter by its snapshot name, 0 if never counted. */
    public long counter(String name) {
        return counters().getOrDefault(name, 0L);
    }

    /** The drop counters of the core, {@code NAME -> value}. */
    public Map<String, Long> drops() {
        return network.stats().drops().snapshot();
    }

    /** The DHCP leases offered, bound or declined now, e.g. {@code 10.0.2.15 BOUND 52:54:00:12:34:56}. */
    public List<String> activeLeases() {
        EventLoop loop = network.eventLoop();
        return loop.submit(() -> network.dhcp().activeLeases()).syncUninterruptibly().getNow();
    }

    /** Waits up to {@code timeout} for {@code condition}. */
    public static boolean await(Duration timeout, BooleanSupplier condition) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                return false;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** Closes the transport (removing its socket file) and the network. */
    @Override
    public void close() {
        try {
            transport.close();
        } finally {
            network.close();
            for (Path p : socketFiles) {
                try {
                    Files.deleteIfExists(p); // QEMU's own socket files (server=on, dgram local)
                } catch (IOException ignored) {
                    // a leftover file in /tmp is harmless
                }
            }
        }
    }

    @Override
    public String toString() {
        return "jslirp " + attachment + " " + transport;
    }
}
