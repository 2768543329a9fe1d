package dev.jslirp.nat.udp;

import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.wire.IpAddress;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;

/**
 * A flow the guest opened under address-and-port-dependent filtering
 * ({@code --udp-filtering address-port}): its own host socket, connected to the remote
 * end, so that only the remote's replies arrive on it and the kernel reports the
 * remote's ICMP errors (port unreachable) on it, which go back to the guest as ICMP
 * about the last datagram sent ({@link GuestFlow#quote}).
 *
 * <p>Connecting a UDP socket sends nothing and completes at once with the NIO and
 * epoll transports; should it not (another transport), the first datagram waits for it
 * and later ones are dropped until then.
 */
final class OutboundFlow extends GuestFlow {
    private final UdpNat nat;
    private Channel channel;
    private boolean connecting;
    /** The first datagram while {@link #connecting}, owned here. */
    private ByteBuf waiting;

    OutboundFlow(UdpNat nat, IpAddress guest, int guestPort, IpAddress remote, int remotePort,
                 InetSocketAddress target) {
        super(guest, guestPort, remote, remotePort, target);
        this.nat = nat;
    }

    /**
     * Opens the host socket and connects it to {@code target}. On failure the NAT
     * tells the guest (ICMP about {@code first}, the datagram that opened the flow) and
     * closes the flow before this returns or, if the connect completes later, then.
     */
    void connect(InetSocketAddress target, GuestPacket first) {
        quote.record(first);
        channel = nat.relay().newChannel(new HostHandler(), true);
        InetSocketAddress local = nat.config().outboundBinding(target);
        ChannelFuture f = local == null ? channel.connect(target) : channel.connect(target, local);
        if (f.isDone()) {
            connected(f);
        } else {
            connecting = true;
            f.addListener(this::connected);
        }
    }

    private void connected(io.netty.util.concurrent.Future<?> f) {
        connecting = false;
        ByteBuf first = waiting;
        waiting = null;
        if (closed || !f.isSuccess()) {
            if (first != null) {
                first.release();
            }
            if (!closed) {
                nat.hostFailed(this, f.cause());
            }
            return;
        }
        if (first != null) {
            nat.relay().toHost(channel, first, null);
        }
    }

    @Override
    void toHost(GuestPacket packet) {
        if (connecting) {
            if (waiting == null) {
                waiting = UdpRelay.payloadOf(packet);
            } else {
                nat.counters().increment(UdpCounter.DROPPED_CONNECTING);
            }
            return;
        }
        nat.relay().toHost(channel, UdpRelay.payloadOf(packet), null);
    }

    @Override
    void close() {
        if (waiting != null) {
            waiting.release();
            waiting = null;
        }
        if (channel != null) {
            channel.close();
        }
    }

    /** The socket's events, on the event loop. */
    private final class HostHandler extends ChannelInboundHandlerAdapter {
        /** A reply from the remote: its buffer goes to the guest, which releases it. */
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (closed || !(msg instanceof DatagramPacket)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            nat.fromHost(OutboundFlow.this, ((DatagramPacket) msg).content());
        }

        /** A failed read or send: the host's ICMP errors arrive here. */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!closed) {
                nat.hostError(OutboundFlow.this, cause);
            }
        }

        /** The socket closed without the NAT asking (a fatal read error): the flow ends. */
        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!closed) {
                nat.hostClosed(OutboundFlow.this);
            }
        }
    }
}
