package dev.jslirp.nat.udp;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.spi.IcmpError;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.UdpPacket;
import dev.jslirp.nat.HostAddressMapper;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.NatConnection;
import dev.jslirp.nat.hostfwd.ForwardListener;
import dev.jslirp.nat.hostfwd.ForwardListenerFactory;
import dev.jslirp.nat.hostfwd.GuestLocator;
import dev.jslirp.nat.hostfwd.HostForward;
import dev.jslirp.nat.hostfwd.HostForwards;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * UDP half of the NAT: the guest's datagrams sent from host sockets with the replies
 * mapped back, and UDP port forwards into the guest.
 *
 * <h2>Theory of operation</h2>
 * <p><b>Flows.</b> A datagram from the guest belongs to the flow of its tuple
 * {@code (guest ip:port, remote ip:port)}. The first datagram of a tuple opens an
 * {@link OutboundFlow}: one host socket, connected to where {@link HostAddressMapper}
 * says the remote is (the gateway is the host's loopback), so the kernel hands it only
 * that remote's replies and reports the remote's ICMP errors on it. Replies reach the
 * guest from the address and port it sent to (the gateway for the host's loopback).
 * Flows live in a {@link FlowRegistry}: bounded by {@code maxUdpFlows} (the least
 * recently used is closed to make room) and closed after {@code udpIdleTimeout}
 * without traffic either way.
 *
 * <p><b>What is never sent.</b> Broadcast (255.255.255.255 and the network's directed
 * broadcast) and multicast from the guest are dropped and counted: a NAT to host
 * sockets must not spray the host's networks (DHCP to port 67 was taken by the DHCP
 * service before the NAT saw it). Datagrams to a destination the address rules refuse
 * ({@code restrict=on}, host loopback switched off, other addresses of the virtual
 * network, the DNS address for anything the DNS service did not take) are answered
 * with ICMP destination unreachable, communication administratively prohibited (code
 * 13, RFC 1812 section 5.2.7.1), from the gateway, and counted. libslirp differs here:
 * with {@code restrict=on} it drops silently, and when host loopback is off it answers
 * network unreachable after the failed send. An explicit "prohibited" fails the guest's
 * application at once with a reason (Linux reports EHOSTUNREACH) rather than after its
 * own timeouts, and cannot be mistaken for a routing problem.
 *
 * <p><b>Errors from the host.</b> Port unreachable reported on a flow's socket (the
 * remote answered ICMP; {@link PortUnreachableException} on read or send) goes to the
 * guest as ICMP port unreachable from the remote, quoting the flow's last datagram;
 * host and network unreachable likewise, from the gateway. A socket that cannot be
 * opened or connected at all ends its flow with ICMP network unreachable, as libslirp
 * answers a failed send.
 *
 * <p><b>Large datagrams.</b> The core reassembles the guest's fragments before the NAT
 * sees them; replies above the MTU are fragmented by the core. Host sockets read up to
 * 65507 bytes, the largest UDP payload over IPv4 ({@link UdpRelay}).
 *
 * <p><b>Port forwards.</b> Each UDP forward listens on its host address and port
 * ({@link UdpForwardListener}). Each host peer gets a {@link ForwardMapping}: its datagrams
 * reach the guest's port from the gateway address and a gateway port of its own (the
 * peer's port if free), and the guest's replies to that port leave through the
 * listening socket to the peer. Mappings share the flow table, so a reply is found like
 * any flow (also under {@code restrict=on}, where only forwards work), and are bounded
 * and expired like flows, with a bound of their own. A listening socket is not
 * connected and so reads without headroom (see {@link UdpRelay}): datagrams from peers
 * are copied once into the guest's frame.
 *
 * <p><b>Lifetime.</b> {@link #guestDetached(GuestPort)} ends the flows and mappings of
 * the guest that left and keeps the forwards listening for its return; {@link #stop()} closes everything. All of
 * it runs on the network's event loop; only the forward methods may be called from any
 * thread.
 */
public final class UdpNat implements ForwardListenerFactory {
    private static final Logger LOG = LoggerFactory.getLogger(UdpNat.class);

    private final NatConfig config;
    private GuestContext ctx;
    private NetworkConfig net;
    private HostAddressMapper mapper;
    private Counters<UdpCounter> counters;
    private UdpRelay relay;
    private FlowRegistry flows;
    private GuestLocator locator;
    /** Listeners open, so that stopping closes them even if their owner did not. */
    private final List<UdpForwardListener> listeners = new ArrayList<>();
    private boolean stopped;

    /** UDP NAT configured by {@code config}. */
    public UdpNat(NatConfig config) {
        this.config = config;
    }

    /** Where forwards by guest name find the guest; see {@link dev.jslirp.nat.NatService#locator}. */
    public void locator(GuestLocator l) {
        this.locator = l;
    }

    /** Starts the UDP NAT; called on the event loop. Forwards are opened through {@link #listen}. */
    public void start(GuestContext context, HostAddressMapper addressMapper) {
        this.ctx = context;
        this.net = context.config();
        this.mapper = addressMapper;
        this.counters = context.stats().service("nat.udp", UdpCounter.class);
        this.relay = new UdpRelay(context, counters);
        this.flows = new FlowRegistry(context, counters, config.maxUdpFlows(), config.udpIdleTimeout().toNanos());
    }

    /**
     * Takes a UDP datagram from the guest; true if handled (sent, or dropped and
     * counted). The packet stays the caller's; the payload sent is a retained slice.
     */
    public boolean handle(GuestPacket packet) {
        if (flows == null || stopped) {
            return false;
        }
        if (packet.isIpv6()) {
            if ((packet.destinationHi() >>> 56) == 0xff) {
                counters.increment(UdpCounter.DROPPED_MULTICAST);
                return true;
            }
        } else {
            int dst = packet.ipv4().destination();
            if (dst == Ipv4Address.BROADCAST || dst == net.broadcast()) {
                counters.increment(UdpCounter.DROPPED_BROADCAST);
                return true;
            }
            if (Ipv4Address.isMulticast(dst)) {
                counters.increment(UdpCounter.DROPPED_MULTICAST);
                return true;
            }
        }
        UdpFlow flow = flows.find(packet);
        if (flow == null) {
            flow = open(packet);
            if (flow == null) {
                return true;
            }
        } else {
            flows.touch(flow, packet.nanoTime());
            if (flow.port == null) {
                flow.port = packet.port();
            }
        }
        flow.fromGuest(packet);
        return true;
    }

    /** Opens the flow of a guest datagram, or refuses it (counted, ICMP if due) and returns null. */
    private OutboundFlow open(GuestPacket packet) {
        UdpPacket udp = packet.udp();
        int srcPort = udp.sourcePort();
        int dstPort = udp.destinationPort();
        if (srcPort == 0 || dstPort == 0) {
            counters.increment(UdpCounter.DROPPED_PORT_ZERO);
            return null;
        }
        if (!net.inNetwork(packet.sourceHi(), packet.sourceLo())) {
            counters.increment(UdpCounter.DROPPED_BAD_SOURCE);
            return null;
        }
        IpAddress dst = packet.destination();
        InetSocketAddress target = mapper.hostTarget(GuestPacket.PROTO_UDP, dst, dstPort, packet.port().isRestricted());
        if (target == null) {
            counters.increment(UdpCounter.REFUSED_DESTINATION);
            ctx.sendIcmpError(packet, net.hostAddress(packet.isIpv6()), IcmpError.ADMIN_PROHIBITED);
            return null;
        }
        OutboundFlow flow = new OutboundFlow(this, packet.source(), srcPort, dst, dstPort);
        flow.port = packet.port();
        flows.addOutbound(flow, packet.nanoTime());
        try {
            flow.connect(target, packet);
        } catch (RuntimeException e) {
            hostFailed(flow, e);
        }
        return flow.closed ? null : flow;
    }

    // ---------------------------------------------------------------- host events (event loop)

    /** A datagram from a flow's remote: to the guest. Takes ownership of {@code data}. */
    void fromHost(OutboundFlow flow, ByteBuf data) {
        flows.touch(flow, ctx.nanoTime());
        relay.toGuest(flow, data);
    }

    /** A read or send of a flow's socket failed: ICMP to the guest if the host reported one. */
    void hostError(OutboundFlow flow, Throwable cause) {
        IcmpError error = unreachable(cause);
        if (error == null) {
            counters.increment(UdpCounter.HOST_SOCKET_ERROR);
            LOG.debug("UDP flow {}: host socket error", flow, cause);
            return;
        }
        counters.increment(error == IcmpError.PORT_UNREACHABLE
                ? UdpCounter.ICMP_PORT_UNREACHABLE : UdpCounter.ICMP_HOST_UNREACHABLE);
        sendUnreachable(flow, error);
    }

    /** A flow's socket could not be opened or connected: ICMP to the guest, and the flow ends. */
    void hostFailed(OutboundFlow flow, Throwable cause) {
        IcmpError error = unreachable(cause);
        sendUnreachable(flow, error == null ? IcmpError.NET_UNREACHABLE : error);
        flows.close(flow, UdpCounter.SOCKET_FAILED);
        LOG.debug("UDP flow {}: cannot open a host socket", flow, cause);
    }

    /** A flow's socket closed by itself. */
    void hostClosed(OutboundFlow flow) {
        flows.close(flow, UdpCounter.SOCKET_FAILED);
    }

    /** Port unreachable comes from the remote itself; the others from the gateway, the router on the way. */
    private void sendUnreachable(OutboundFlow flow, IcmpError error) {
        flow.sendUnreachable(error == IcmpError.PORT_UNREACHABLE ? flow.remote
                : net.hostAddress(flow.guest.isIpv6()), error);
    }

    /** The error a socket exception stands for, or null if it is none the host reports. */
    private static IcmpError unreachable(Throwable cause) {
        if (cause instanceof PortUnreachableException) {
            return IcmpError.PORT_UNREACHABLE;
        }
        if (cause instanceof NoRouteToHostException) {
            return IcmpError.HOST_UNREACHABLE;
        }
        if (cause instanceof SocketException) {
            return IcmpError.NET_UNREACHABLE;
        }
        return null;
    }

    /**
     * A datagram from a host peer of forward {@code fw}: to the guest through the peer's
     * mapping, opened on its first datagram. Takes ownership of {@code packet}.
     */
    void fromPeer(UdpForwardListener fw, DatagramPacket packet) {
        if (!ctx.isGuestAttached()) {
            counters.increment(UdpCounter.DROPPED_GUEST_DETACHED);
            packet.release();
            return;
        }
        InetSocketAddress peer = packet.sender();
        ForwardMapping m = fw.mapping(peer);
        if (m == null) {
            m = openMapping(fw, peer);
            if (m == null) {
                packet.release();
                return;
            }
        } else {
            flows.touch(m, ctx.nanoTime());
        }
        relay.toGuest(m, packet.content());
    }

    private ForwardMapping openMapping(UdpForwardListener fw, InetSocketAddress peer) {
        IpAddress guest = fw.forward().guestAddressNow(net, locator);
        if (guest == null) {
            counters.increment(UdpCounter.FORWARD_NO_GUEST);
            return null;
        }
        IpAddress gateway = net.hostAddress(guest.isIpv6());
        int port = freeGatewayPort(guest, fw.guestPort(), gateway, peer.getPort());
        if (port < 0) {
            counters.increment(UdpCounter.FORWARD_NO_PORT);
            return null;
        }
        Object key = UdpForwardListener.peerKey(peer);
        ForwardMapping m = new ForwardMapping(this, fw, guest, gateway, port, peer, key);
        m.port = ctx.portOf(guest);
        flows.addMapping(m, ctx.nanoTime());
        fw.remember(key, m);
        return m;
    }

    /**
     * A gateway port no flow of the forward's guest end uses yet: the peer's own port if
     * free (easy to recognise in a capture), else the next free one.
     */
    private int freeGatewayPort(IpAddress guest, int guestPort, IpAddress gateway, int preferred) {
        int port = preferred;
        for (int i = 0; i <= 0xffff; i++, port = (port + 1) & 0xffff) {
            if (port != 0 && flows.isFree(guest, guestPort, gateway, port)) {
                return port;
            }
        }
        return -1;
    }

    // ---------------------------------------------------------------- forwards

    /**
     * Binds the listening socket of a UDP forward (see {@link HostForwards}, which checks
     * the rule first). Call on the event loop.
     *
     * @throws ConfigException naming {@code hostfwd} and the address if it cannot listen
     */
    @Override
    public ForwardListener listen(HostForward forward) {
        if (stopped || flows == null) {
            throw new IllegalStateException("UDP NAT not running");
        }
        if (forward.protocol() != HostForward.Protocol.UDP) {
            throw new IllegalArgumentException(forward + " is not a UDP forward");
        }
        UdpForwardListener fw = new UdpForwardListener(this, forward);
        DatagramChannel ch = relay.newChannel(fw.handler(), false);
        ChannelFuture bind = ch.bind(forward.listenAddress());
        if (!bind.isSuccess()) {
            ch.close();
            String why = bind.isDone() ? String.valueOf(bind.cause().getMessage()) : "bind did not complete on the event loop";
            throw new ConfigException("hostfwd", "'" + forward + "': cannot listen on UDP "
                    + HostForwards.hostText(forward.hostAddress()) + ":" + forward.hostPort() + " (" + why + ")");
        }
        fw.bound(ch);
        listeners.add(fw);
        return fw;
    }

    /** A forward's listener closes: its peers' mappings end with it. */
    void listenerClosed(UdpForwardListener fw) {
        listeners.remove(fw);
        for (ForwardMapping m : fw.mappings()) {
            flows.close(m, UdpCounter.FLOWS_CLOSED_ADMIN);
        }
    }

    /** Flows the guest opened that are live; call on the event loop. */
    public int flowCount() {
        return flows == null ? 0 : flows.outboundCount();
    }

    /** Port-forward mappings that are live; call on the event loop. */
    public int mappingCount() {
        return flows == null ? 0 : flows.mappingCount();
    }

    /**
     * Appends rows for the flows and mappings to {@code out} until it holds {@code max}
     * rows (HMP's {@code info usernet}); see {@link NatConnection} for what each column
     * holds. Call on the event loop.
     */
    public void connections(List<NatConnection> out, int max) {
        if (flows == null || stopped) {
            return;
        }
        long now = ctx.nanoTime();
        long idle = config.udpIdleTimeout().toNanos();
        for (UdpFlow f : flows.first(max - out.size())) {
            long left = Math.max(0, f.lastActiveNanos + idle - now);
            int port = f.port == null ? 0 : f.port.id();
            out.add(f instanceof ForwardMapping
                    ? new NatConnection(HostForward.Protocol.UDP, NatConnection.UDP_FLOW, f.remote, f.remotePort,
                            f.guest, f.guestPort, 0, 0, left, port)
                    : new NatConnection(HostForward.Protocol.UDP, NatConnection.UDP_FLOW, f.guest, f.guestPort,
                            f.remote, f.remotePort, 0, 0, left, port));
        }
    }

    // ---------------------------------------------------------------- lifetime

    /** The guest of {@code port} went away: its flows and mappings end; forwards keep listening. */
    public void guestDetached(GuestPort port) {
        if (flows != null) {
            flows.closeOf(port, !ctx.isGuestAttached());
        }
    }

    /** Closes every flow, mapping and listener and releases their buffers. */
    public void stop() {
        if (stopped || flows == null) {
            return;
        }
        for (UdpForwardListener fw : new ArrayList<>(listeners)) {
            fw.close();
        }
        stopped = true;
        flows.closeAll();
        relay.clear();
    }

    // ---------------------------------------------------------------- for the flows

    GuestContext context() {
        return ctx;
    }

    NatConfig config() {
        return config;
    }

    UdpRelay relay() {
        return relay;
    }

    Counters<UdpCounter> counters() {
        return counters;
    }
}
