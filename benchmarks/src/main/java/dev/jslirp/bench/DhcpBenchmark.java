package dev.jslirp.bench;

import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.dhcp.DhcpConfig;
import dev.jslirp.dhcp.DhcpCounter;
import dev.jslirp.dhcp.DhcpServer;
import io.netty.buffer.ByteBuf;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The DHCP server answering one message (RFC 2131): a DISCOVER answered with an OFFER,
 * and a REQUEST (SELECTING, server 10.0.2.2, address 10.0.2.15) answered with an ACK,
 * through the whole network on an {@link EmbeddedNetwork} (validation, dispatch, the
 * server, the reply built with its options and sent). The client is bound once in
 * set-up, so every operation is the steady state: the same client asking again.
 * Tear-down checks each operation got exactly one reply.
 */
public class DhcpBenchmark extends BenchmarkDefaults {
    private static final int FIRST_ADDRESS = GuestFrames.GUEST_IP;

    private EmbeddedNetwork net;
    private ByteBuf discover;
    private ByteBuf request;
    private long ops;
    private long framesBefore;

    /** Starts the server and binds the client with one DISCOVER/REQUEST exchange. */
    @Setup
    public void setUp() {
        net = new EmbeddedNetwork(new DhcpServer(DhcpConfig.defaults()));
        discover = Templates.pooled(ClientMessages.dhcp(ClientMessages.DISCOVER, 0, 0));
        request = Templates.pooled(ClientMessages.dhcp(ClientMessages.REQUEST, GuestFrames.GATEWAY, FIRST_ADDRESS));
        net.send(discover.retainedSlice());
        net.send(request.retainedSlice());
        if (net.sink().frames().get() != 2 || counters(DhcpCounter.ACK_SENT) != 1) {
            throw new IllegalStateException("no OFFER and ACK for the client: " + net.stats().snapshot());
        }
        framesBefore = net.sink().frames().get();
    }

    /** Checks one reply per operation and no NAK, then closes the network. */
    @TearDown
    public void tearDown() {
        try {
            net.checkNoDrops();
            long replies = net.sink().frames().get() - framesBefore;
            if (replies != ops || counters(DhcpCounter.NAK_SENT) != 0) {
                throw new IllegalStateException(ops + " messages got " + replies + " replies: " + net.stats().snapshot());
            }
        } finally {
            discover.release();
            request.release();
            net.close();
        }
    }

    private long counters(DhcpCounter c) {
        return net.stats().service("dhcp", DhcpCounter.class).get(c);
    }

    /** DISCOVER in, OFFER out. */
    @Benchmark
    public void discoverOffer() {
        net.send(discover.retainedSlice());
        ops++;
    }

    /** REQUEST in, ACK out. */
    @Benchmark
    public void requestAck() {
        net.send(request.retainedSlice());
        ops++;
    }
}
