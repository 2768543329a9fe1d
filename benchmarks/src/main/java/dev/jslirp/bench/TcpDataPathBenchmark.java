package dev.jslirp.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.channels.ServerSocketChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * TCP through the NAT, per segment, on a {@link LoopNetwork}: a {@link ScriptedTcpGuest}
 * connects to the host address (10.0.2.2, or fec0::2 with {@code family=ipv6}) at the
 * port of a listening socket the benchmark binds on the host's loopback of the family
 * (127.0.0.1, ::1), the NAT continues the connection there, and set-up accepts it.
 * <ul>
 *   <li>{@link #guestToHost}: {@value #BATCH} data segments of {@code payload} bytes
 *       handed to the loop in one task, through validation and the NAT, written to the
 *       host socket; the benchmark thread reads them all from the accepted socket;</li>
 *   <li>{@link #hostToGuest}: the accepted socket writes {@value #BATCH} x
 *       {@code payload} bytes; the NAT reads them, segments them to the guest (as it
 *       chooses, up to the MSS), and the guest acknowledges each burst; the benchmark
 *       thread waits until the guest has them all in order.</li>
 * </ul>
 * Both report per {@code payload}-byte chunk; over IPv6 a {@code payload} of 1460 is a
 * full segment of that family, 1440 bytes ({@link ScriptedTcpGuest#mss}), so both
 * families' "1460" rows are full segments at MTU 1500. Tear-down checks no frame was
 * dropped and no RST came.
 *
 * <p>If the NAT does not answer the SYN, set-up fails with "no SYN-ACK" and the
 * network's counters (a SYN no service takes is dropped as {@code NO_SERVICE}).
 */
public class TcpDataPathBenchmark extends BenchmarkDefaults {
    /** Segments per invocation. */
    static final int BATCH = 16;
    /** How long the NAT may take to answer, connect, or move a batch. */
    static final int TIMEOUT_MS = 5_000;
    /** The message set-up fails with when the NAT answers no SYN. */
    static final String NO_SYN_ACK = "no SYN-ACK from the TCP NAT";
    private static final int GUEST_PORT = 40001;

    /** The loop's I/O, and so the host sockets': {@code nio} or {@code epoll}. */
    @Param({"nio", "epoll"})
    public String io;

    /** Payload bytes per guest segment (and per chunk written by the host): small, and a full MSS. */
    @Param({"64", "1460"})
    public int payload;

    /** The address family of the guest's connection: {@code ipv4} or {@code ipv6}. */
    @Param({"ipv4", "ipv6"})
    public String family;

    /** Bytes per segment: {@code payload}, at most the family's MSS. */
    private int segment;
    private ServerSocketChannel listener;
    private ScriptedTcpGuest guest;
    private LoopNetwork net;
    private Socket host;
    private InputStream fromGuest;
    private OutputStream toGuest;
    private byte[] chunk;
    private byte[] sink;

    /**
     * Binds the listener, starts the network, and has the guest connect through the NAT.
     * On failure closes what it opened (JMH runs no tear-down after a failed set-up, and
     * the loop's thread would keep the JVM alive).
     */
    @Setup
    public void setUp() throws IOException {
        boolean ipv6 = switch (family) {
            case "ipv4" -> false;
            case "ipv6" -> true;
            default -> throw new IllegalArgumentException("family " + family + " (expected ipv4 or ipv6)");
        };
        segment = Math.min(payload, ScriptedTcpGuest.mss(ipv6));
        InetAddress loopback = ipv6 ? InetAddress.getByName("::1") : InetAddress.getLoopbackAddress();
        listener = ServerSocketChannel.open().bind(new InetSocketAddress(loopback, 0));
        listener.socket().setSoTimeout(TIMEOUT_MS);
        int port = ((InetSocketAddress) listener.getLocalAddress()).getPort();
        guest = new ScriptedTcpGuest(ipv6, GUEST_PORT, port, BATCH, segment);
        net = new LoopNetwork(io, guest);
        try {
            connect();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private void connect() throws IOException {
        net.onLoop(() -> {
            guest.start(net.guest());
            guest.sendSyn();
            return null;
        });
        try {
            guest.synAcks().await(1, TIMEOUT_MS, "the SYN-ACK");
        } catch (IllegalStateException e) {
            throw new IllegalStateException(NO_SYN_ACK + " within " + TIMEOUT_MS + " ms (the benchmark needs the TCP"
                    + " NAT, dev.jslirp.nat.tcp); counters: " + net.stats().snapshot(), e);
        }
        net.onLoop(() -> {
            guest.sendHandshakeAck();
            return null;
        });
        host = listener.socket().accept();
        host.setSoTimeout(TIMEOUT_MS);
        host.setTcpNoDelay(true);
        fromGuest = host.getInputStream();
        toGuest = host.getOutputStream();
        chunk = Templates.payload(BATCH * segment);
        sink = new byte[BATCH * segment];
    }

    /** Checks nothing was dropped or reset, then closes everything. */
    @TearDown
    public void tearDown() throws IOException {
        try {
            net.checkNoDrops();
            if (guest.resets().get() != 0) {
                throw new IllegalStateException("the NAT reset the connection: " + net.stats().snapshot());
            }
        } finally {
            close();
        }
    }

    private void close() throws IOException {
        try {
            if (host != null) {
                host.close();
            }
            listener.close();
            net.onLoop(() -> {
                guest.release();
                return null;
            });
        } finally {
            net.close();
        }
    }

    /** {@value #BATCH} segments from the guest, read by the host; reported per segment. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void guestToHost() throws IOException {
        net.eventLoop().execute(guest.burst());
        int got = 0;
        while (got < sink.length) {
            int n = fromGuest.read(sink, got, sink.length - got);
            if (n < 0) {
                throw new IOException("the NAT closed the host connection after " + got + " bytes");
            }
            got += n;
        }
    }

    /** {@value #BATCH} x {@code segment} bytes from the host, all received in order by the guest; per chunk. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void hostToGuest() throws IOException {
        long target = guest.received().get() + chunk.length;
        toGuest.write(chunk);
        guest.received().await(target, TIMEOUT_MS, "data at the guest");
    }
}
