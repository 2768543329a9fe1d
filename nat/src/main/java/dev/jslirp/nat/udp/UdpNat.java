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
import dev.jslirp.nat.HostErrors;
import dev.jslirp.nat.IcmpErrors;
import dev.jslirp.nat.UdpFiltering;
import dev.jslirp.nat.flow.FlowTable;
import dev.jslirp.nat.linux.ErrorQueue;
import dev.jslirp.nat.linux.NativeSockets;
import dev.jslirp.nat.linux.SocketError;
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
import java.net.InetAddress;
import java.net.InetSocketAddress;
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
 * {@code (guest ip:port, remote ip:port)}; where it goes on the host is what
 * {@link HostAddressMapper} says of the remote (the gateway is the host's loopback).
 * How flows meet host sockets depends on {@link UdpFiltering} (RFC 4787):
 * <ul>
 *   <li>{@code endpoint} (the default, as libslirp): one {@link EndpointSocket} per guest
 *       address and port, not connected, shared by the endpoint's {@link EndpointFlow}s.
 *       Datagrams from anybody to it reach the guest from where they came (a host address,
 *       or the gateway for the host's loopback) and port; one from a sender the guest has
 *       not written to opens a flow of its own, so the guest's answers find the same
 *       socket. A TFTP server answering from a new port, STUN and SIP work.</li>
 *   <li>{@code address-port}: one {@link OutboundFlow} per tuple with a host socket of its
 *       own, connected to the remote, so the kernel hands it only that remote's replies
 *       (and jslirp before this option behaved so).</li>
 * </ul>
 * Replies reach the guest from the flow's remote address and port.
 * Flows live in a {@link FlowRegistry}: bounded by {@code maxUdpFlows} (the least
 * recently used is closed to make room; a new sender at the bound is dropped instead,
 * so the host's side cannot push out the guest's own flows) and closed after
 * {@code udpIdleTimeout} without traffic either way.
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
 * <p><b>Errors from the host.</b> An ICMP error the host receives about a flow's datagram
 * goes to the guest as ICMP about the flow's last datagram ({@link GuestFlow#quote}):
 * port unreachable from the remote itself, time exceeded from the router that sent it (so
 * the guest's {@code traceroute} sees the hops), host and network unreachable and
 * "prohibited" from the gateway, the router on the way. A connected socket hears of port
 * unreachable (and, on epoll, host and network unreachable) as a failed read or send; an
 * endpoint's socket hears of every error through its error queue ({@code IP_RECVERR}),
 * which only the epoll transport reads: on NIO, endpoint sockets report no errors. A
 * socket that cannot be opened at all ends its flow with ICMP network unreachable, as
 * libslirp answers a failed send.
 *
 * <p><b>Large datagrams.</b> The core reassembles the guest's fragments before the NAT
 * sees them; replies above the MTU are fragmented by the core. Host sockets read up to
 * 65507 bytes, the largest UDP payload over IPv4 ({@link UdpRelay}).
 *
 * <p><b>Port forwards.</b> Each UDP forward listens on its host address and port
 * ({@link UdpForwardListener}). Each host peer gets a {@link ForwardMapping}: its datagrams
 * reach the guest's port from the peer's own address and port (as libslirp; loopback
 * peers and the others {@link HostAddressMapper#forwardSource} names come from the
 * gateway address and a gateway port of their own, the peer's port if free), and the
 * guest's replies to that address and port leave through the listening socket to the
 * peer. Mappings share the flow table, so a reply is found like
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
    private static final InetAddress ANY4 = wildcard(4);
    private static final InetAddress ANY6 = wildcard(16);

    private static InetAddress wildcard(int bytes) {
        try {
            return InetAddress.getByAddress(new byte[bytes]);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are an address", e);
        }
    }

    private final NatConfig config;
    private GuestContext ctx;
    private NetworkConfig net;
    private HostAddressMapper mapper;
    private Counters<UdpCounter> counters;
    private UdpRelay relay;
    private FlowRegistry flows;
    /** Endpoint sockets by guest address and port (the remote half of the key is zero). */
    private final FlowTable<EndpointSocket> endpoints = new FlowTable<>();
    private ErrorQueue errorQueue;
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
        if (NativeSockets.isEpollLoop(context.eventLoop())) {
            this.errorQueue = new ErrorQueue();
        }
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
    private GuestFlow open(GuestPacket packet) {
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
        if (config.udpFiltering() == UdpFiltering.ENDPOINT) {
            return openOnEndpoint(packet, dst, dstPort, target);
        }
        OutboundFlow flow = new OutboundFlow(this, packet.source(), srcPort, dst, dstPort, target);
        flow.port = packet.port();
        flows.addOutbound(flow, packet.nanoTime());
        try {
            flow.connect(target, packet);
        } catch (RuntimeException e) {
            hostFailed(flow, e);
        }
        return flow.closed ? null : flow;
    }

    /** A new flow of the guest's endpoint, on the endpoint's socket (opened if it is the first). */
    private EndpointFlow openOnEndpoint(GuestPacket packet, IpAddress dst, int dstPort, InetSocketAddress target) {
        int srcPort = packet.udp().sourcePort();
        EndpointSocket socket = endpoints.get(packet.sourceHi(), packet.sourceLo(), srcPort, 0, 0, 0);
        if (socket == null) {
            socket = new EndpointSocket(this, packet.source(), srcPort);
            try {
                socket.open();
            } catch (RuntimeException e) {
                counters.increment(UdpCounter.SOCKET_FAILED);
                ctx.sendIcmpError(packet, net.hostAddress(packet.isIpv6()), IcmpError.NET_UNREACHABLE);
                LOG.debug("UDP endpoint {}: cannot open a host socket", socket, e);
                return null;
            }
            endpoints.put(packet.sourceHi(), packet.sourceLo(), srcPort, 0, 0, 0, socket);
            counters.increment(UdpCounter.HOST_SOCKETS_OPENED);
        }
        // Attached before it is added, so that an eviction to make room cannot close the socket.
        EndpointFlow flow = new EndpointFlow(socket, dst, dstPort, target);
        flow.port = packet.port();
        flows.addOutbound(flow, packet.nanoTime());
        return flow;
    }

    // ---------------------------------------------------------------- host events (event loop)

    /** A datagram from a flow's remote: to the guest. Takes ownership of {@code data}. */
    void fromHost(OutboundFlow flow, ByteBuf data) {
        flows.touch(flow, ctx.nanoTime());
        relay.toGuest(flow, data);
    }

    /** A read or send of a flow's connected socket failed: ICMP to the guest if the host reported one. */
    void hostError(OutboundFlow flow, Throwable cause) {
        IcmpError error = HostErrors.unreachable(cause, flow.target);
        if (error == null) {
            counters.increment(UdpCounter.HOST_SOCKET_ERROR);
            LOG.debug("UDP flow {}: host socket error", flow, cause);
            return;
        }
        sendError(flow, error, null);
    }

    /** A flow's socket could not be opened or connected: ICMP to the guest, and the flow ends. */
    void hostFailed(OutboundFlow flow, Throwable cause) {
        IcmpError error = HostErrors.unreachable(cause, flow.target);
        sendError(flow, error == null ? IcmpError.NET_UNREACHABLE : error, null);
        flows.close(flow, UdpCounter.SOCKET_FAILED);
        LOG.debug("UDP flow {}: cannot open a host socket", flow, cause);
    }

    /** A flow's socket closed by itself. */
    void hostClosed(OutboundFlow flow) {
        flows.close(flow, UdpCounter.SOCKET_FAILED);
    }

    /**
     * Passes an error about {@code flow}'s last datagram on to the guest: port unreachable
     * from the remote itself, time exceeded from the router that sent it ({@code offender},
     * if it can be shown to the guest), the others from the gateway, the router on the way.
     */
    private void sendError(GuestFlow flow, IcmpError error, InetAddress offender) {
        IpAddress from;
        switch (error) {
            case PORT_UNREACHABLE:
                counters.increment(UdpCounter.ICMP_PORT_UNREACHABLE);
                from = flow.remote;
                break;
            case TTL_EXCEEDED:
                counters.increment(UdpCounter.ICMP_TIME_EXCEEDED);
                from = offender == null ? null : mapper.guestSideSource(offender, flow.guest.isIpv6());
                break;
            case ADMIN_PROHIBITED:
                counters.increment(UdpCounter.ICMP_ADMIN_PROHIBITED);
                from = null;
                break;
            default:
                counters.increment(UdpCounter.ICMP_HOST_UNREACHABLE);
                from = null;
                break;
        }
        flow.sendUnreachable(ctx, from != null ? from : net.hostAddress(flow.guest.isIpv6()), error);
    }

    // ---------------------------------------------------------------- endpoint sockets (event loop)

    /**
     * A datagram to guest endpoint {@code socket} from anybody: to the guest, on the flow of
     * its sender, opened if the guest has not written to it. Takes ownership of {@code packet}.
     */
    void fromEndpoint(EndpointSocket socket, DatagramPacket packet) {
        InetSocketAddress sender = packet.sender();
        EndpointFlow flow = socket.lastFlowOf(sender);
        if (flow == null) {
            flow = flowOfSender(socket, sender);
            if (flow == null) {
                packet.release();
                return;
            }
            socket.remember(sender, flow);
        }
        flows.touch(flow, ctx.nanoTime());
        relay.toGuest(flow, packet.content());
    }

    /** The flow of datagrams from {@code sender} to {@code socket}, opened if new; null if dropped (counted). */
    private EndpointFlow flowOfSender(EndpointSocket socket, InetSocketAddress sender) {
        IpAddress remote = mapper.guestSideSource(sender.getAddress(), socket.guest.isIpv6());
        if (remote == null || sender.getPort() == 0) {
            counters.increment(UdpCounter.DROPPED_SENDER_UNSHOWABLE);
            return null;
        }
        UdpFlow known = flows.find(socket.guest, socket.guestPort, remote.hi(), remote.lo(), sender.getPort());
        if (known != null) {
            if (known instanceof EndpointFlow && ((EndpointFlow) known).socket == socket) {
                return (EndpointFlow) known;
            }
            // A port forward's mapping shows the guest this tuple already.
            counters.increment(UdpCounter.DROPPED_SENDER_UNSHOWABLE);
            return null;
        }
        if (flows.outboundFull()) {
            counters.increment(UdpCounter.DROPPED_NEW_SENDER_AT_LIMIT);
            return null;
        }
        EndpointFlow flow = new EndpointFlow(socket, remote, sender.getPort(), sender);
        flow.port = ctx.portOf(socket.guest);
        flows.addOutbound(flow, ctx.nanoTime());
        counters.increment(UdpCounter.FLOWS_OPENED_BY_HOST);
        return flow;
    }

    /**
     * A read or send of an endpoint's socket failed. On epoll that is how the socket says its
     * error queue has entries: each goes to the guest as ICMP about the flow it concerns.
     */
    void endpointError(EndpointSocket socket, Throwable cause) {
        int fd = socket.errorQueueFd();
        if (fd >= 0 && errorQueue != null) {
            int n = errorQueue.drain(fd, e -> queuedError(socket, e));
            if (n > 0) {
                return;
            }
        }
        counters.increment(UdpCounter.HOST_SOCKET_ERROR);
        LOG.debug("UDP endpoint {}: host socket error", socket, cause);
    }

    private void queuedError(EndpointSocket socket, SocketError e) {
        IcmpError error = e.origin() == SocketError.ORIGIN_ICMP || e.origin() == SocketError.ORIGIN_ICMP6
                ? IcmpErrors.of(e.origin() == SocketError.ORIGIN_ICMP6, e.icmpType(), e.icmpCode()) : null;
        UdpFlow flow = null;
        if (error != null && e.destination() != null) {
            IpAddress remote = mapper.guestSideAddress(e.destination().getAddress());
            flow = flows.find(socket.guest, socket.guestPort, remote.hi(), remote.lo(), e.destination().getPort());
        }
        if (!(flow instanceof EndpointFlow) || ((EndpointFlow) flow).socket != socket) {
            counters.increment(UdpCounter.HOST_ERROR_NOT_PASSED);
            LOG.debug("UDP endpoint {}: host error not passed on: {}", socket, e);
            return;
        }
        sendError((EndpointFlow) flow, error, e.offender());
    }

    /**
     * The first datagram of {@code flow} could not be sent: ICMP to the guest if the host
     * found no way there (as libslirp answers a failed send), and the flow ends.
     */
    void firstSendFailed(EndpointFlow flow, Throwable cause) {
        if (flow.closed) {
            return;
        }
        IcmpError error = HostErrors.unreachable(cause, flow.target);
        if (error != null) {
            sendError(flow, error, null);
        }
        flows.close(flow, UdpCounter.SOCKET_FAILED);
        LOG.debug("UDP flow {}: first datagram not sent", flow, cause);
    }

    /** The last flow of {@code socket} closed; the socket closes. */
    void endpointUnused(EndpointSocket socket) {
        endpoints.remove(socket.guest.hi(), socket.guest.lo(), socket.guestPort, 0, 0, 0);
    }

    /** An endpoint's socket closed by itself: its flows end. */
    void endpointClosed(EndpointSocket socket) {
        for (UdpFlow f : flows.first(Integer.MAX_VALUE)) {
            if (f instanceof EndpointFlow && ((EndpointFlow) f).socket == socket) {
                flows.close(f, UdpCounter.SOCKET_FAILED);
            }
        }
    }

    /**
     * Where a guest endpoint's socket is bound: any port of the outbound address of the
     * guest's family ({@code --outbound-addr}, {@code --outbound-addr6}) if there is one,
     * as libslirp binds every socket, else of the family's wildcard address (an IPv4 guest's
     * socket then takes IPv4 only).
     */
    InetSocketAddress endpointBinding(boolean ipv6) {
        InetSocketAddress outbound = config.outboundBinding(ipv6);
        return outbound != null ? outbound : new InetSocketAddress(ipv6 ? ANY6 : ANY4, 0);
    }

    /** Host sockets of guest endpoints open ({@code --udp-filtering endpoint}); call on the event loop. */
    public int endpointSocketCount() {
        return endpoints.size();
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

    /**
     * The mapping of a new host peer: from the peer's own address and port where the
     * address rules allow ({@link HostAddressMapper#forwardSource}) and no flow of the
     * guest endpoint uses that tuple yet (a flow the guest opened to that very address
     * and port keeps it), else from the gateway.
     */
    private ForwardMapping openMapping(UdpForwardListener fw, InetSocketAddress peer) {
        IpAddress guest = fw.forward().guestAddressNow(net, locator);
        if (guest == null) {
            counters.increment(UdpCounter.FORWARD_NO_GUEST);
            return null;
        }
        IpAddress from = mapper.forwardSource(peer, guest.isIpv6());
        int port = peer.getPort();
        if (from != null && !flows.isFree(guest, fw.guestPort(), from, port)) {
            counters.increment(UdpCounter.FORWARD_PEER_TUPLE_BUSY);
            from = null;
        }
        if (from == null) {
            from = net.hostAddress(guest.isIpv6());
            port = freeGatewayPort(guest, fw.guestPort(), from, peer.getPort());
        }
        if (port < 0) {
            counters.increment(UdpCounter.FORWARD_NO_PORT);
            return null;
        }
        Object key = UdpForwardListener.peerKey(peer);
        ForwardMapping m = new ForwardMapping(this, fw, guest, from, port, peer, key);
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
            long left = Math.max(0, f.lastActiveNanos() + idle - now);
            int port = f.port == null ? 0 : f.port.id();
            out.add(f instanceof ForwardMapping
                    ? new NatConnection(HostForward.Protocol.UDP, NatConnection.UDP_FLOW, f.remote, f.remotePort,
                            f.guest, f.guestPort, 0, 0, left, null, port)
                    : new NatConnection(HostForward.Protocol.UDP, NatConnection.UDP_FLOW, f.guest, f.guestPort,
                            f.remote, f.remotePort, 0, 0, left, null, port));
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
