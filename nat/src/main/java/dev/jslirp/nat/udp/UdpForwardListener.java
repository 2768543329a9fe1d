package dev.jslirp.nat.udp;

import dev.jslirp.nat.hostfwd.ForwardListener;
import dev.jslirp.nat.hostfwd.HostForward;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.collection.LongObjectHashMap;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
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
final class UdpForwardListener implements ForwardListener {
    private static final Logger LOG = LoggerFactory.getLogger(UdpForwardListener.class);

    private final UdpNat nat;
    private final HostForward forward;
    /** Mappings of IPv4 peers by address and port packed in a long: found without allocating. */
    private final LongObjectHashMap<ForwardMapping> byIpv4Peer = new LongObjectHashMap<>();
    /** Mappings of IPv6 peers. */
    private final Map<InetSocketAddress, ForwardMapping> byIpv6Peer = new HashMap<>();
    private Channel channel;
    private InetSocketAddress local;

    /** The listener of {@code forward}; each new peer's datagrams go to the guest address the forward names then. */
    UdpForwardListener(UdpNat nat, HostForward forward) {
        this.nat = nat;
        this.forward = forward;
    }

    /** The forward as configured. */
    HostForward forward() {
        return forward;
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

    /**
     * The key of a peer in this forward's maps: its IPv4 address and port packed in a
     * {@link Long}, or its address itself for IPv6. Made once per mapping.
     */
    static Object peerKey(InetSocketAddress peer) {
        InetAddress a = peer.getAddress();
        return a instanceof Inet4Address ? (Object) ipv4Key((Inet4Address) a, peer.getPort()) : peer;
    }

    /** Inet4Address.hashCode() is the address itself (so since JDK 1.0): no byte[] per datagram. */
    private static long ipv4Key(Inet4Address a, int port) {
        return ((a.hashCode() & 0xffffffffL) << 16) | (port & 0xffff);
    }

    /** The mapping of {@code peer}, or null; allocates nothing for an IPv4 peer. */
    ForwardMapping mapping(InetSocketAddress peer) {
        InetAddress a = peer.getAddress();
        if (a instanceof Inet4Address) {
            return byIpv4Peer.get(ipv4Key((Inet4Address) a, peer.getPort()));
        }
        return byIpv6Peer.get(peer);
    }

    /** Records {@code m} as the mapping of the peer with key {@code peerKey} ({@link #peerKey}). */
    void remember(Object peerKey, ForwardMapping m) {
        if (peerKey instanceof Long) {
            byIpv4Peer.put((Long) peerKey, m);
        } else {
            byIpv6Peer.put((InetSocketAddress) peerKey, m);
        }
    }

    /** Drops {@code m}, closed, from the maps. */
    void forget(Object peerKey, ForwardMapping m) {
        if (peerKey instanceof Long) {
            if (byIpv4Peer.get((Long) peerKey) == m) {
                byIpv4Peer.remove((Long) peerKey);
            }
        } else {
            byIpv6Peer.remove(peerKey, m);
        }
    }

    /** The open mappings, copied (the caller may close them while iterating). */
    List<ForwardMapping> mappings() {
        List<ForwardMapping> all = new ArrayList<>(byIpv4Peer.values());
        all.addAll(byIpv6Peer.values());
        return all;
    }

    @Override
    public InetSocketAddress boundAddress() {
        return local;
    }

    /** Closes the listening socket; the peers' mappings end with it. */
    @Override
    public void close() {
        if (channel != null) {
            channel.close();
            channel = null;
            nat.listenerClosed(this);
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
            nat.fromPeer(UdpForwardListener.this, (DatagramPacket) msg);
        }

        /** Errors of an unconnected socket concern no flow: counted and logged. */
        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            nat.counters().increment(UdpCounter.HOST_SOCKET_ERROR);
            LOG.debug("hostfwd {}: socket error", forward, cause);
        }
    }
}
