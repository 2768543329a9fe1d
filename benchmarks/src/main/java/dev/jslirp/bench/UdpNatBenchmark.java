package dev.jslirp.bench;

import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.wire.UdpPacket;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.UdpFiltering;
import dev.jslirp.nat.udp.UdpCounter;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * UDP through the NAT to a real host socket and back, per datagram, on a
 * {@link LoopNetwork} (the default network: DHCP and DNS look at each datagram first).
 *
 * <p>The guest (10.0.2.15:40000) talks to the gateway, 10.0.2.2, at the port of a UDP
 * socket the benchmark binds on 127.0.0.1 (the gateway is the host's loopback). Set-up
 * sends one datagram, which opens the NAT's flow, and connects the benchmark's socket
 * to the flow's host socket, so both ends then use connected, allocation-free reads and
 * writes.
 * <ul>
 *   <li>{@link #guestToHost}: {@value #BATCH} guest frames handed to the loop in one
 *       task (a burst, as one read from QEMU gives), through validation and the NAT,
 *       written to the flow's socket (one flush for the burst), read by the benchmark's
 *       socket;</li>
 *   <li>{@link #hostToGuest}: {@value #BATCH} datagrams sent to the flow's socket, read
 *       by the loop into buffers with headroom, headers written in front, frames handed
 *       to the guest's sink, which the benchmark thread awaits.</li>
 * </ul>
 * Both report per datagram, for each {@code filtering}: {@code endpoint} (the default: the
 * flow's host socket is not connected, datagrams carry their address through Netty) and
 * {@code address-port} (a connected socket per flow). Tear-down checks the NAT's counters:
 * every datagram passed, none dropped, none copied on the way to the guest.
 */
public class UdpNatBenchmark extends BenchmarkDefaults {
    /** Datagrams per invocation. */
    static final int BATCH = 16;
    private static final int GUEST_PORT = 40000;

    /** The loop's I/O, and so the host sockets': {@code nio} or {@code epoll}. */
    @Param({"nio", "epoll"})
    public String io;

    /** UDP payload bytes: a small datagram, and the largest without fragments at MTU 1500. */
    @Param({"64", "1472"})
    public int payload;

    /** The NAT's UDP filtering ({@code --udp-filtering}). */
    @Param({"endpoint", "address-port"})
    public String filtering;

    private LoopNetwork net;
    private DatagramChannel peer;
    private ByteBuf frame;
    private final ByteBuffer received = ByteBuffer.allocateDirect(65536);
    private ByteBuffer reply;
    private Runnable burst;
    private long guestOps;
    private long hostOps;

    /**
     * Starts the network, binds the host socket, opens the flow and connects to it. On
     * failure closes what it opened (JMH runs no tear-down after a failed set-up).
     */
    @Setup
    public void setUp() throws IOException {
        net = new LoopNetwork(io, null, NatConfig.builder().udpFiltering(UdpFiltering.parse(filtering)).build());
        try {
            openFlow();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    private void openFlow() throws IOException {
        peer = DatagramChannel.open(StandardProtocolFamily.INET)
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int port = ((InetSocketAddress) peer.getLocalAddress()).getPort();
        byte[] data = Templates.payload(payload);
        // Allocated on the loop, whose thread caches the pooled memory it recycles.
        frame = net.onLoop(() -> Templates.pooled(GuestFrames.udp(GUEST_PORT, GuestFrames.GATEWAY, port, data)));
        reply = ByteBuffer.allocateDirect(payload).put(data).flip();
        burst = () -> {
            for (int i = 0; i < BATCH; i++) {
                net.guest().receiveFromGuest(frame.retainedSlice());
            }
        };
        net.eventLoop().execute(() -> net.guest().receiveFromGuest(frame.retainedSlice()));
        DatagramPacket first = new DatagramPacket(new byte[65536], 65536);
        peer.socket().setSoTimeout(5_000);
        peer.socket().receive(first);
        if (first.getLength() != payload) {
            throw new IllegalStateException("the host got " + first.getLength() + " bytes, not " + payload);
        }
        peer.connect(first.getSocketAddress());
    }

    /** Checks the NAT's counters against the operations run, then closes everything. */
    @TearDown
    public void tearDown() throws IOException {
        try {
            net.checkNoDrops();
            Counters<UdpCounter> c = net.stats().service("nat.udp", UdpCounter.class);
            long toGuestBytes = net.onLoop(() -> net.sink().bytes());
            long frameLength = (EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH) + UdpPacket.HEADER_LENGTH + payload;
            if (c.get(UdpCounter.FLOWS_OPENED) != 1
                    || c.get(UdpCounter.DATAGRAMS_TO_HOST) != 1 + guestOps * BATCH
                    || c.get(UdpCounter.DATAGRAMS_TO_GUEST) != hostOps * BATCH
                    || c.get(UdpCounter.DATAGRAMS_COPIED_TO_GUEST) != 0
                    || toGuestBytes != hostOps * BATCH * frameLength) {
                throw new IllegalStateException("after " + guestOps + " bursts to the host and " + hostOps
                        + " to the guest of " + BATCH + ": " + c + ", " + toGuestBytes + " bytes to the guest");
            }
        } finally {
            close();
        }
    }

    private void close() throws IOException {
        try {
            if (frame != null) {
                frame.release();
            }
            if (peer != null) {
                peer.close();
            }
        } finally {
            net.close();
        }
    }

    /** {@value #BATCH} datagrams from the guest to the host socket; reported per datagram. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void guestToHost() throws IOException {
        net.eventLoop().execute(burst);
        for (int i = 0; i < BATCH; i++) {
            received.clear();
            int n = peer.read(received);
            if (n != payload) {
                throw new IllegalStateException("the host got " + n + " bytes, not " + payload);
            }
        }
        guestOps++;
    }

    /** {@value #BATCH} datagrams from the host socket to the guest; reported per datagram. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void hostToGuest() throws IOException {
        long target = net.sink().frames().get() + BATCH;
        for (int i = 0; i < BATCH; i++) {
            reply.rewind();
            peer.write(reply);
        }
        net.sink().frames().await(target, 5_000, "datagrams to the guest");
        hostOps++;
    }
}
