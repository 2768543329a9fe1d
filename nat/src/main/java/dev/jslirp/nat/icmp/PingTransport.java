package dev.jslirp.nat.icmp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.nat.linux.ErrnoException;
import dev.jslirp.nat.linux.IcmpSockets;
import dev.jslirp.nat.linux.NativeSockets;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Echo through Linux's unprivileged ping sockets ({@link IcmpSockets.Kind#PING}), one per
 * session: the kernel gives the socket an identifier of its own, writes it into every
 * request (and the checksum), and hands the socket only the replies carrying it, so the
 * guest's requests go out as they are (a slice of the guest's frame, not copied) and a
 * reply needs only the guest's identifier written back. The errors about the requests (host
 * unreachable, time exceeded) reach a ping socket only through its error queue
 * ({@code IP_RECVERR}), which the NAT reads.
 */
final class PingTransport extends EchoTransport {
    private static final Logger LOG = LoggerFactory.getLogger(PingTransport.class);

    PingTransport(IcmpNat nat, GuestContext ctx, boolean ipv6) {
        super(nat, ctx, ipv6);
    }

    @Override
    String description() {
        return "unprivileged ICMP sockets";
    }

    @Override
    boolean open(EchoSession session) {
        try {
            session.channel = nat.openSocket(this, IcmpSockets.Kind.PING, new Handler(session));
            // The errors about the requests (unreachable, time exceeded) come only through the queue.
            NativeSockets.enableErrorQueue(session.channel);
            return true;
        } catch (ErrnoException | RuntimeException e) {
            LOG.debug("echo session {}: cannot open a ping socket", session, e);
            return false;
        }
    }

    @Override
    void send(EchoSession session, GuestPacket packet, InetSocketAddress destination) {
        session.ttl = NativeSockets.forwardTtl(session.channel, ipv6, session.ttl, packet.hopLimit());
        write(session.channel, packet.buffer().retainedSlice(packet.transportOffset(), packet.transportLength()),
                destination);
    }

    @Override
    void close(EchoSession session) {
        if (session.channel != null) {
            session.channel.close();
        }
    }

    /** One session's socket events, on the event loop. */
    private final class Handler extends ChannelInboundHandlerAdapter {
        private final EchoSession session;

        Handler(EchoSession session) {
            this.session = session;
        }

        /** An echo reply with the socket's identifier: to the guest, which releases it. */
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof DatagramPacket)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            DatagramPacket p = (DatagramPacket) msg;
            nat.reply(session, p.content(), p.sender().getAddress());
        }

        /** A failed read or send: how the socket says its error queue has entries. */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            nat.pingSocketError(session, cause);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            nat.socketClosed(session);
        }
    }
}
