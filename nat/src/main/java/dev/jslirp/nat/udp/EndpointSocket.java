package dev.jslirp.nat.udp;

import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.linux.NativeSockets;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The host socket of one guest endpoint (guest address and port) under endpoint-independent
 * filtering: not connected, bound to a port of the host's own choosing on the wildcard
 * address, and shared by every flow of that endpoint ({@link EndpointFlow}), whatever
 * remote each talks to. So one guest port is one host port towards everybody
 * (endpoint-independent mapping, RFC 4787 REQ-1), and a datagram from anybody to that
 * host port reaches the guest (endpoint-independent filtering, RFC 4787 section 5), as
 * libslirp does.
 *
 * <p>Lives while a flow uses it: the NAT opens it with the endpoint's first flow and
 * closes it with the last. On the epoll transport its error queue is on
 * ({@link NativeSockets#enableErrorQueue}): an unconnected socket hears of the ICMP errors
 * about what it sent only that way.
 */
final class EndpointSocket {
    /** The guest's address. */
    final IpAddress guest;
    /** The guest's port. */
    final int guestPort;
    private final UdpNat nat;
    private DatagramChannel channel;
    /** The socket's descriptor while its error queue is on, else -1. */
    private int errorQueueFd = -1;
    private int flows;
    /** The time to live the socket sends with, -1 for the host's default. */
    private int ttl = -1;
    /** The sender of the last datagram from the host and its flow: a stream finds its flow without a lookup. */
    private InetAddress lastSender;
    private int lastSenderPort;
    private EndpointFlow lastFlow;

    EndpointSocket(UdpNat nat, IpAddress guest, int guestPort) {
        this.nat = nat;
        this.guest = guest;
        this.guestPort = guestPort;
    }

    /**
     * Opens and binds the socket. Called on the event loop, where binding completes at
     * once.
     *
     * @throws IllegalStateException if it cannot be opened or bound (the channel is closed)
     */
    void open() {
        channel = nat.relay().newChannel(new HostHandler(), false);
        ChannelFuture bound = channel.bind(nat.endpointBinding(guest.isIpv6()));
        if (!bound.isSuccess()) {
            channel.close();
            throw new IllegalStateException("cannot bind a UDP socket: "
                    + (bound.isDone() ? bound.cause() : "bind did not complete on the event loop"), bound.cause());
        }
        if (NativeSockets.enableErrorQueue(channel)) {
            errorQueueFd = NativeSockets.fd(channel);
        }
    }

    /**
     * Sends {@code payload} to {@code flow}'s target with the guest's time to live less one
     * ({@code hopLimit}, {@link NativeSockets#forwardTtl}; epoll only: the JDK has no unicast
     * TTL option); takes ownership of {@code payload}. A flow's first datagram reports
     * its failure to the flow ({@code first}): a destination without a route fails at once.
     */
    void send(EndpointFlow flow, ByteBuf payload, int hopLimit, boolean first) {
        ttl = NativeSockets.forwardTtl(channel, guest.isIpv6(), ttl, hopLimit);
        nat.relay().toHost(channel, payload, flow.target, first ? cause -> nat.firstSendFailed(flow, cause) : null);
    }

    /** A flow of this endpoint starts using the socket. */
    void attach() {
        flows++;
    }

    /** {@code flow} closed; the socket closes with the last flow. */
    void detach(EndpointFlow flow) {
        if (flow == lastFlow) {
            lastFlow = null;
            lastSender = null;
        }
        if (--flows == 0) {
            nat.endpointUnused(this);
            channel.close();
        }
    }

    /** The flow of the last datagram if {@code sender} sent it too, else null; no allocation. */
    EndpointFlow lastFlowOf(InetSocketAddress sender) {
        return lastFlow != null && sender.getPort() == lastSenderPort && sender.getAddress().equals(lastSender)
                ? lastFlow : null;
    }

    /** Remembers that datagrams from {@code sender} belong to {@code flow}. */
    void remember(InetSocketAddress sender, EndpointFlow flow) {
        lastSender = sender.getAddress();
        lastSenderPort = sender.getPort();
        lastFlow = flow;
    }

    /** The descriptor to drain the error queue of, or -1 if it is off (NIO). */
    int errorQueueFd() {
        return errorQueueFd;
    }

    /** Flows using the socket. */
    int flowCount() {
        return flows;
    }

    @Override
    public String toString() {
        return guest.toUriString() + ":" + guestPort;
    }

    /** The socket's events, on the event loop. */
    private final class HostHandler extends ChannelInboundHandlerAdapter {
        /** A datagram from anybody: to the guest, which releases it. */
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (flows == 0 || !(msg instanceof DatagramPacket)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            nat.fromEndpoint(EndpointSocket.this, (DatagramPacket) msg);
        }

        /** A failed read or send: an error the host reports (its queue says which), or a socket error. */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            nat.endpointError(EndpointSocket.this, cause);
        }

        /** The socket closed without the NAT asking (a fatal read error): its flows end. */
        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (flows > 0) {
                nat.endpointClosed(EndpointSocket.this);
            }
        }
    }
}
