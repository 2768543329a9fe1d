package dev.jslirp.nat.icmp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.wire.IcmpPacket;
import dev.jslirp.nat.flow.FlowTable;
import dev.jslirp.nat.linux.ErrnoException;
import dev.jslirp.nat.linux.IcmpSockets;
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
 * programs' pings; one whose identifier is not a session's is dropped and counted. Another
 * program pinging with an identifier one of ours has at the same time would see its replies
 * reach the guest too, and miss them: the identifiers start at a random point to make that
 * unlikely. The socket opens with the first session and stays until the NAT stops.
 */
final class RawTransport extends EchoTransport {
    private static final Logger LOG = LoggerFactory.getLogger(RawTransport.class);
    /** IPv4's minimum header; the raw socket hands the IPv4 header over with the message. */
    private static final int IPV4_MIN_HEADER = 20;

    private final FlowTable<EchoSession> byHostId = new FlowTable<>();
    private final int echoReply;
    private Channel channel;
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
        if (channel == null) {
            try {
                channel = register(IcmpSockets.open(ipv6, IcmpSockets.Kind.RAW), new Handler());
            } catch (ErrnoException | RuntimeException e) {
                LOG.debug("cannot open a raw ICMP socket", e);
                return false;
            }
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

    @Override
    void send(EchoSession session, GuestPacket packet, InetSocketAddress destination) {
        int len = packet.transportLength();
        ByteBuf copy = ctx.alloc().ioBuffer(len);
        copy.writeBytes(packet.buffer(), packet.transportOffset(), len);
        copy.setShort(4, session.hostId);
        if (ipv6) {
            copy.setShort(IcmpPacket.CHECKSUM, 0);
        } else {
            IcmpPacket.writeChecksum(copy, 0, len, 0);
        }
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
            EchoSession session = end - off >= IcmpPacket.HEADER_LENGTH && b.getUnsignedByte(off) == echoReply
                    ? byHostId.get(0, 0, b.getUnsignedShort(off + 4), 0, 0, 0) : null;
            if (session == null) {
                nat.counters().increment(IcmpCounter.REPLIES_UNMATCHED);
                p.release();
                return;
            }
            b.readerIndex(off);
            nat.reply(session, b, p.sender().getAddress());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            nat.sendFailed(null, cause);
        }

        /** The socket closed by itself: the next session opens a new one. */
        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (channel == ctx.channel()) {
                channel = null;
            }
        }
    }
}
