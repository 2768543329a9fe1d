package dev.jslirp.bench;

import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.TcpPacket;
import io.netty.buffer.ByteBuf;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One guest frame through {@code GuestNetwork.receiveFromGuest}: Ethernet, IPv4 and
 * transport checks (checksums included), then ARP or ICMP answered by the core, or the
 * packet offered to a service. Runs on an {@link EmbeddedNetwork}, so each operation
 * is one whole loop turn on the benchmark thread, the flush task included.
 *
 * <ul>
 *   <li>{@link #arpRequest}: who-has 10.0.2.2, answered (a 42-byte reply frame);</li>
 *   <li>{@link #icmpEcho}: ping 10.0.2.2 with 56 data bytes, answered;</li>
 *   <li>{@link #udpToService}, {@link #tcpToService}: a datagram or segment carrying
 *       {@code payload} bytes, taken by a service that does nothing with it, so what is
 *       measured is validation and dispatch alone.</li>
 * </ul>
 * Every operation is checked at tear-down: no frame dropped, one reply per ARP and
 * echo request, every UDP and TCP packet taken by the service.
 */
public class FrameDispatchBenchmark extends BenchmarkDefaults {
    /** The network with a service that takes every UDP and TCP packet. */
    @State(Scope.Thread)
    public static class Network {
        final TakeAll service = new TakeAll();
        EmbeddedNetwork net;
        ByteBuf arp;
        ByteBuf echo;

        /** Builds the network and the ARP and echo request templates. */
        @Setup
        public void setUp() {
            net = new EmbeddedNetwork(service);
            arp = Templates.pooled(GuestFrames.arpRequest(GuestFrames.GATEWAY));
            echo = Templates.pooled(GuestFrames.echoRequest(GuestFrames.GATEWAY, 1, 1, Templates.payload(56)));
        }

        /** Checks every frame did what the benchmark names, then closes the network. */
        @TearDown
        public void tearDown() {
            try {
                net.checkNoDrops();
                long replies = net.stats().traffic().get(NetworkStats.Traffic.ARP_REPLIES)
                        + net.stats().traffic().get(NetworkStats.Traffic.ECHO_REPLIES);
                if (net.sink().frames().get() != replies) {
                    throw new IllegalStateException("frames to the guest " + net.sink().frames().get()
                            + " != ARP and echo replies " + replies);
                }
                long framesIn = net.stats().traffic().get(NetworkStats.Traffic.FRAMES_FROM_GUEST);
                if (net.stats().framesAccountedFor() != framesIn) {
                    throw new IllegalStateException("frames not accounted for: " + net.stats().snapshot());
                }
            } finally {
                arp.release();
                echo.release();
                net.close();
            }
        }
    }

    /** A UDP datagram and a TCP segment of {@code payload} bytes to the gateway. */
    @State(Scope.Thread)
    public static class Packets {
        /** Transport payload bytes: a small packet, and a full one at MTU 1500 (TCP MSS). */
        @Param({"64", "1460"})
        public int payload;

        ByteBuf udp;
        ByteBuf tcp;

        /** Builds the templates. */
        @Setup
        public void setUp() {
            byte[] data = Templates.payload(payload);
            udp = Templates.pooled(GuestFrames.udp(40000, GuestFrames.GATEWAY, 9, data));
            tcp = Templates.pooled(GuestFrames.tcp(GuestFrames.GATEWAY,
                    t -> t.from(40000).to(9).seq(1000).ack(2000).flags(TcpPacket.PSH).data(data)));
        }

        /** Releases the templates. */
        @TearDown
        public void tearDown() {
            udp.release();
            tcp.release();
        }
    }

    /** ARP request for the gateway, answered. */
    @Benchmark
    public void arpRequest(Network n) {
        n.net.send(n.arp.retainedSlice());
    }

    /** ICMP echo request to the gateway, answered. */
    @Benchmark
    public void icmpEcho(Network n) {
        n.net.send(n.echo.retainedSlice());
    }

    /** UDP datagram validated and taken by a no-op service. */
    @Benchmark
    public void udpToService(Network n, Packets p) {
        n.net.send(p.udp.retainedSlice());
    }

    /** TCP segment validated (options parsed) and taken by a no-op service. */
    @Benchmark
    public void tcpToService(Network n, Packets p) {
        n.net.send(p.tcp.retainedSlice());
    }

    /** Takes every UDP and TCP packet and does nothing with it. */
    static final class TakeAll implements GuestService {
        @Override
        public boolean handle(GuestPacket packet) {
            int p = packet.protocol();
            return p == Ipv4Packet.PROTO_UDP || p == Ipv4Packet.PROTO_TCP;
        }
    }
}
