package dev.jslirp.nat.icmp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.wire.IcmpPacket;
import dev.jslirp.nat.flow.FlowTable;
import dev.jslirp.nat.linux.ErrnoException;
import dev.jslirp.nat.linux.IcmpSockets;
import dev.jslirp.nat.linux.NativeSockets;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Echo through one raw ICMP socket of the family ({@link IcmpSockets.Kind#RAW}, needs
 * CAP_NET_RAW), shared by every session: each session gets an identifier of its own on
 * the host, which its requests carry instead of the guest's (a copy of the request, its
 * IPv4 checksum recomputed; IPv6's the kernel computes), and replies are matched by it.
 *
 * <p>A raw socket receives every echo reply that reaches the host, also those to other
 * programs' pings; one whose identifier is not a session's is dropped and counted. The
 * errors about the requests (unreachable, time exceeded) arrive on it the same way and are
 * matched by the identifier of the request they quote. Another
 * program pinging with an identifier one of ours has at the same time would see its replies
 * reach the guest too, and miss them: the identifiers start at a random point to make that
 * unlikely. The socket opens with the first session and stays until the NAT stops (if it
 * closes by itself, the next request opens another).
 */
final class RawTransport extends EchoTransport {
    private static final Logger LOG = LoggerFactory.getLogger(RawTransport.class);
    /** IPv4's minimum header; the raw socket hands the IPv4 header over with the message. */
    private static final int IPV4_MIN_HEADER = 20;

    private final FlowTable<EchoSession> byHostId = new FlowTable<>();
    private final int echoReply;
    private Channel channel;
    /** The time to live the socket sends with, -1 for the host's default. */
    private int ttl = -1;
    private int nextId = ThreadLocalRandom.current().nextInt(0x10000);

    RawTransport(IcmpNat nat, GuestContext ctx, boolean ipv6) {
        super(nat, ctx, ipv6);
        this.echoReply = ipv6 ? IcmpNat.TYPE6_ECHO_REPLY : IcmpPacket.TYPE_ECHO_REPLY;
    }

    @Override
    String description() {
        return "a raw ICMP socket";
    }

    @Override
    boolean open(EchoSession session) {
        if (channel == null && !openSocket()) {
            return false;
        }
        // Fewer sessions than identifiers (maxIcmpSessions <= 65536): a free one is found.
        while (byHostId.contains(0, 0, nextId, 0, 0, 0)) {
            nextId = (nextId + 1) & 0xffff;
        }
        session.hostId = nextId;
        nextId = (nextId + 1) & 0xffff;
        byHostId.put(0, 0, session.hostId, 0, 0, 0, session);
        return true;
    }

    /** Opens the shared socket; false if that failed (logged at debug). */
    private boolean openSocket() {
        try {
            channel = nat.openSocket(this, IcmpSockets.Kind.RAW, new Handler());
            ttl = -1;
            return true;
        } catch (ErrnoException | RuntimeException e) {
            LOG.debug("cannot open a raw ICMP socket", e);
            return false;
        }
    }

    @Override
    void send(EchoSession session, GuestPacket packet, InetSocketAddress destination) {
        // The socket may have closed by itself (a failed read closes a datagram channel) since
        // the session began: its sessions keep their identifiers and go on with a new one.
        if (channel == null && !openSocket()) {
            nat.counters().increment(IcmpCounter.DROPPED_SOCKET_FAILED);
            return;
        }
        int len = packet.transportLength();
        ByteBuf copy = ctx.alloc().ioBuffer(len);
        copy.writeBytes(packet.buffer(), packet.transportOffset(), len);
        copy.setShort(4, session.hostId);
        if (ipv6) {
            copy.setShort(IcmpPacket.CHECKSUM, 0);
        } else {
            IcmpPacket.writeChecksum(copy, 0, len, 0);
        }
        ttl = NativeSockets.forwardTtl(channel, ipv6, ttl, packet.hopLimit());
        write(channel, copy, destination);
    }

    @Override
    void close(EchoSession session) {
        byHostId.remove(0, 0, session.hostId, 0, 0, 0);
    }

    @Override
    void stop() {
        if (channel != null) {
            channel.close();
            channel = null;
        }
        byHostId.clear();
    }

    /**
     * An ICMP error at {@code off} (destination unreachable or time exceeded: the filter lets
     * nothing else through): if it quotes an echo request of one of the sessions (RFC 792:
     * the IP header and at least 8 bytes, so its identifier and sequence number), it goes to
     * the guest; true if so.
     */
    private boolean error(ByteBuf b, int off, int end, int type, java.net.InetAddress from) {
        int inner = off + IcmpPacket.HEADER_LENGTH;
        int echo;
        if (ipv6) {
            // The quoted IPv6 header, the echo request right after it (ping sends no extension headers).
            if (end - inner < 40 || b.getUnsignedByte(inner + 6) != GuestPacket.PROTO_ICMPV6) {
                return false;
            }
            echo = inner + 40;
        } else {
            int ihl = end - inner >= IPV4_MIN_HEADER ? (b.getUnsignedByte(inner) & 0x0f) * 4 : 0;
            if (ihl < IPV4_MIN_HEADER || b.getUnsignedByte(inner + 9) != GuestPacket.PROTO_ICMP) {
                return false;
            }
            echo = inner + ihl;
        }
        if (end - echo < IcmpPacket.HEADER_LENGTH
                || b.getUnsignedByte(echo) != (ipv6 ? IcmpNat.TYPE6_ECHO_REQUEST : IcmpPacket.TYPE_ECHO_REQUEST)) {
            return false;
        }
        EchoSession session = byHostId.get(0, 0, b.getUnsignedShort(echo + 4), 0, 0, 0);
        if (session == null) {
            return false;
        }
        nat.hostError(session, type, b.getUnsignedByte(off + 1), from, b.getUnsignedShort(echo + 6));
        return true;
    }

    /** The socket's events, on the event loop. */
    private final class Handler extends ChannelInboundHandlerAdapter {
        /** Any ICMP message the filter lets through: a session's echo reply goes to the guest. */
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof DatagramPacket)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            DatagramPacket p = (DatagramPacket) msg;
            ByteBuf b = p.content();
            int off = b.readerIndex();
            int end = b.writerIndex();
            if (!ipv6) {
                // The IPv4 header comes first; without a sane one nothing is left to match.
                int ihl = end - off >= IPV4_MIN_HEADER ? (b.getUnsignedByte(off) & 0x0f) * 4 : 0;
                off = ihl >= IPV4_MIN_HEADER ? Math.min(end, off + ihl) : end;
            }
            int type = end - off >= IcmpPacket.HEADER_LENGTH ? b.getUnsignedByte(off) : -1;
            if (type == echoReply) {
                EchoSession session = byHostId.get(0, 0, b.getUnsignedShort(off + 4), 0, 0, 0);
                if (session != null) {
                    b.readerIndex(off);
                    nat.reply(session, b, p.sender().getAddress());
                    return;
                }
            } else if (type >= 0 && error(b, off, end, type, p.sender().getAddress())) {
                p.release();
                return;
            }
            nat.counters().increment(IcmpCounter.REPLIES_UNMATCHED);
            p.release();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            nat.sendFailed(null, cause);
        }

        /** The socket closed by itself: the next request opens a new one. */
        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (channel == ctx.channel()) {
                channel = null;
            }
        }
    }
}
