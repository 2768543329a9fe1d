package dev.jslirp.tftp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.Ipv6Packet;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * QEMU's {@code -netdev user,tftp=DIR}: a read-only TFTP server at the network's host address
 * of either family (10.0.2.2 and fec0::2 by default, fe80::2 too), UDP port 69. This class is
 * the glue between the network and the sans-I/O {@link TftpServer}: it hands the server UDP
 * datagrams to the host address, sends what the server emits as UDP from the host address of
 * the client's family, runs the file system work on a small executor of its own
 * ({@link DirectoryFiles}) and ticks the server's timers.
 *
 * <p>Register it before the NAT: it takes UDP to the host address on port 69 and on its
 * sessions' ports only, and leaves every other datagram to the next service (so without
 * {@code tftp=} nothing changes: UDP to 10.0.2.2:69 reaches the host's loopback through the
 * NAT, as any other port).
 *
 * <p>Threads: everything here runs on the network's event loop except the file tasks, whose
 * results come back to it. The executor has two threads at most, started on demand and
 * ended after a minute idle; its queue holds at most one task per session and one close each.
 * Counters are the {@code "tftp"} set ({@link TftpCounter}).
 *
 * <p>Blocks are granted up to what fits one frame of the larger header in use: with IPv6 on,
 * a block that fits an IPv6 frame (1448 bytes at MTU 1500), so neither family fragments.
 */
public final class TftpService implements GuestService {
    /** IPTOS_LOWDELAY, the TOS libslirp sends TFTP with. */
    private static final int TOS_LOW_DELAY = 0x10;
    /** UDP + TFTP DATA headers; with the IP header, a block of MTU minus this fits the link unfragmented. */
    private static final int DATA_OVERHEAD = UdpPacket.HEADER_LENGTH + TftpPacket.HEADER_LENGTH;
    private static final long IDLE_THREAD_SECONDS = 60;

    private final TftpConfig config;
    private GuestContext context;
    private NetworkConfig net;
    private ThreadPoolExecutor fileExecutor;
    private TftpServer<IpAddress> server;
    private long tickNanos;
    private ScheduledFuture<?> tick;

    /** A server for {@code config}'s directory. */
    public TftpService(TftpConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    /**
     * The largest block granted on a link of {@code mtu}: the whole DATA datagram fits one
     * frame, so no block is ever fragmented (dnsmasq's rule; libslirp grants at most 1428
     * bytes whatever the MTU, jslirp 1468 at MTU 1500 and up to RFC 2348's 65464 at larger
     * MTUs).
     */
    static int maxBlockSize(int mtu, boolean ipv6) {
        int ip = ipv6 ? Ipv6Packet.HEADER_LENGTH : Ipv4Packet.MIN_HEADER_LENGTH;
        return Math.min(TransferParameters.MAX_BLOCK_SIZE, mtu - ip - DATA_OVERHEAD);
    }

    @Override
    public void start(GuestContext ctx) {
        this.context = ctx;
        this.net = ctx.config();
        Counters<TftpCounter> counters = ctx.stats().service("tftp", TftpCounter.class);
        fileExecutor = new ThreadPoolExecutor(2, 2, IDLE_THREAD_SECONDS, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                new DefaultThreadFactory("jslirp-tftp-files", true));
        fileExecutor.allowCoreThreadTimeOut(true);
        DirectoryFiles files = new DirectoryFiles(config.root(), fileExecutor, ctx.eventLoop(), ctx.alloc());
        server = new TftpServer<>(config, maxBlockSize(net.mtu(), net.ipv6()), files, new GuestTransport(), counters,
                ctx.alloc(), ctx::nanoTime, new SplittableRandom());
        // A tenth of the retransmission timeout, within 10..100 ms: late by at most that.
        tickNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10),
                Math.min(TimeUnit.MILLISECONDS.toNanos(100), config.retransmitTimeout().toNanos() / 10));
    }

    /** Takes UDP to the host address on port 69 and on the sessions' ports; the packet stays the caller's. */
    @Override
    public boolean handle(GuestPacket packet) {
        if (packet.protocol() != GuestPacket.PROTO_UDP || !net.isHost(packet.destinationHi(), packet.destinationLo())
                || (packet.sourceHi() == 0 && (packet.sourceLo() == 0 || packet.sourceLo() == IpAddress.ipv4Lo(0)))) {
            // A client without an address cannot be answered: left to the NAT, which drops it.
            return false;
        }
        UdpPacket udp = packet.udp();
        if (udp.destinationPort() != TftpPacket.SERVER_PORT && !server.servesPort(udp.destinationPort())) {
            return false;      // not ours: no address made for the NAT's datagrams
        }
        boolean taken = server.receive(packet.source(), udp.sourcePort(), udp.destinationPort(),
                packet.buffer(), udp.payloadOffset(), udp.payloadLength(), packet.nanoTime());
        if (taken && tick == null && server.sessionCount() > 0) {
            tick = context.eventLoop().scheduleAtFixedRate(this::onTick, tickNanos, tickNanos, TimeUnit.NANOSECONDS);
        }
        return taken;
    }

    private void onTick() {
        server.timer(context.nanoTime());
        if (server.sessionCount() == 0 && tick != null) {
            tick.cancel(false);
            tick = null;
        }
    }

    /**
     * A guest is gone: once none is left, every transfer ends; while others remain, the
     * leaving guest's transfers end by their own timeouts (a few seconds of retries).
     */
    @Override
    public void guestDetached(GuestPort port) {
        if (server != null && !context.isGuestAttached()) {
            server.abortAll();
        }
    }

    /** Ends every transfer, closes their files and lets the executor's threads go. */
    @Override
    public void stop() {
        if (server != null) {
            server.abortAll();
            if (tick != null) {
                tick.cancel(false);
                tick = null;
            }
            fileExecutor.shutdown();
        }
    }

    /** Transfers alive (for tests; on the event loop). */
    int sessionCount() {
        return server.sessionCount();
    }

    /** Sends the server's messages as UDP from the host address of the client's family. */
    private final class GuestTransport implements TftpServer.Transport<IpAddress> {
        @Override
        public ByteBuf allocate(int length) {
            ByteBuf frame = context.newFrame(UdpPacket.HEADER_LENGTH + length);
            frame.writerIndex(frame.writerIndex() + UdpPacket.HEADER_LENGTH);
            return frame;
        }

        @Override
        public void send(ByteBuf frame, int serverPort, IpAddress peer, int peerPort) {
            int udpOff = frame.readerIndex() + GuestContext.FRAME_OVERHEAD;
            UdpPacket.writeHeader(frame, udpOff, serverPort, peerPort, frame.writerIndex() - udpOff);
            IpAddress from = peer.isLinkLocal() ? net.routerLinkLocal() : net.hostAddress(peer.isIpv6());
            context.send(frame, from, peer, GuestPacket.PROTO_UDP, GuestContext.trafficClass(TOS_LOW_DELAY));
        }
    }
}
