package dev.jslirp.nat.udp;

import dev.jslirp.nat.hostfwd.HostForward;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.LongObjectHashMap;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host side of one UDP port forward ({@code hostfwd=udp:...}): a socket listening
 * on the forward's host address and port, and the mapping of each host peer that sent
 * to it ({@link ForwardMapping}), found by the peer's address and port without
 * allocating. The mappings themselves live in the NAT's {@link FlowRegistry}, which
 * bounds and expires them; this map only mirrors them for the host-side lookup.
 */
final class UdpForwarder {
    private static final Logger LOG = LoggerFactory.getLogger(UdpForwarder.class);

    private final UdpNat nat;
    private final HostForward forward;
    private final int guestIp;
    private final LongObjectHashMap<ForwardMapping> byPeer = new LongObjectHashMap<>();
    private Channel channel;
    private InetSocketAddress local;

    /**
     * @param guestIp the guest address datagrams go to (the forward's, or the first DHCP address)
     */
    UdpForwarder(UdpNat nat, HostForward forward, int guestIp) {
        this.nat = nat;
        this.forward = forward;
        this.guestIp = guestIp;
    }

    /** The forward as configured. */
    HostForward forward() {
        return forward;
    }

    /** The guest address datagrams go to. */
    int guestIp() {
        return guestIp;
    }

    /** The guest port datagrams go to. */
    int guestPort() {
        return forward.guestPort();
    }

    /** The listening socket. */
    Channel channel() {
        return channel;
    }

    /** Where the socket listens (with the port the system chose for port 0). */
    InetSocketAddress localAddress() {
        return local;
    }

    /** A new handler for the listening socket. */
    ChannelInboundHandlerAdapter handler() {
        return new ListenerHandler();
    }

    /** Records the bound socket. */
    void bound(Channel ch) {
        this.channel = ch;
        this.local = (InetSocketAddress) ch.localAddress();
    }

    /** The mapping of the peer with key {@code peerKey}, or null. */
    ForwardMapping mapping(long peerKey) {
        return byPeer.get(peerKey);
    }

    /** Records {@code m} as the mapping of {@code peerKey}. */
    void remember(long peerKey, ForwardMapping m) {
        byPeer.put(peerKey, m);
    }

    /** Drops {@code m}, closed, from the map. */
    void forget(long peerKey, ForwardMapping m) {
        if (byPeer.get(peerKey) == m) {
            byPeer.remove(peerKey);
        }
    }

    /** The open mappings, copied (the caller may close them while iterating). */
    List<ForwardMapping> mappings() {
        return new ArrayList<>(byPeer.values());
    }

    /** Closes the listening socket. */
    void close() {
        if (channel != null) {
            channel.close();
        }
    }

    private final class ListenerHandler extends ChannelInboundHandlerAdapter {
        /** A datagram from a host peer: its buffer goes on to the guest, or is released. */
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof DatagramPacket)) {
                ReferenceCountUtil.release(msg);
                return;
            }
            nat.fromPeer(UdpForwarder.this, (DatagramPacket) msg);
        }

        /** Errors of an unconnected socket concern no flow: counted and logged. */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            nat.counters().increment(UdpCounter.HOST_SOCKET_ERROR);
            LOG.debug("hostfwd {}: socket error", forward, cause);
        }
    }
}
