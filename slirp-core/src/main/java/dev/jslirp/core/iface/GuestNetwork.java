package dev.jslirp.core.iface;

import dev.jslirp.core.buffer.MemoryBudget;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.config.PortOptions;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.spi.FrameTap;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.spi.HostChannels;
import dev.jslirp.core.spi.IcmpError;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.IcmpPacket;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.Ipv6Packet;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.AbstractScheduledEventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One virtual network: a LAN of one or many guests, and the engine that plays the
 * network's own addresses (gateway, DNS, the NAT behind them) for all of them.
 *
 * <h2>Theory of operation</h2>
 * <p>Each guest transport is a port of the network's {@link EthernetSwitch}
 * ({@link #attach} returns its {@link GuestPort}); the transport hands each Ethernet frame
 * from its guest to {@link #receiveFromGuest(GuestPort, ByteBuf)}. The switch learns the
 * source MAC, and, when several guests share the network, the {@link SourceGuard} holds
 * each guest to its own addresses and the switch copies frames for other guests to their
 * ports (broadcast, multicast and unknown unicast to every port the sender may reach).
 * What is for the network (its MACs, broadcast, multicast) goes on to the engine: the
 * frame is checked layer by layer with reusable views ({@link GuestPacket}), ARP and ICMP
 * echo are answered for the network's own addresses, fragments reassembled, and every
 * other valid IP packet offered to the {@link GuestService}s in registration order, with
 * the port it came from ({@link GuestPacket#port()}). A frame that fails a check is
 * dropped and counted under one {@link DropReason}; nothing a guest sends escapes as an
 * exception (a service that throws is a bug: counted as {@link DropReason#SERVICE_ERROR}
 * and logged).
 *
 * <p>Frames towards guests go through {@link GuestSender}: headers, fragmentation to the
 * MTU, the guest's MAC from the {@link NeighborTable} (datagrams for an address not
 * resolved yet wait, a few and briefly, for ARP or neighbour discovery), then the switch
 * sends each to the port of its MAC, and flushes each port once per event-loop turn.
 *
 * <h2>Ports</h2>
 * <p>Trouble stays on its port. Each port has its own queue bound and writability (its
 * transport's): a guest that stops reading loses its own frames, and only flows of that
 * port pause ({@link GuestService#guestWritabilityChanged(GuestPort, boolean)}), since a
 * service keeps the port of what a packet opened. A guest that leaves ({@link #detach})
 * ends its own flows ({@link GuestService#guestDetached(GuestPort)}); its MACs and
 * address bindings are forgotten, its leases and the network's forwards stay for when it
 * comes back on a new port. One port is the fast path: no MAC table lookup, no guard.
 *
 * <h2>Threading</h2>
 * <p>All state lives on one {@link EventLoop}: the switch, every port's transport, every
 * service and every host channel they open. No locks are needed, and a slow guest costs
 * the others nothing but its share of the loop. Many networks spread over an event loop
 * group, one loop each. {@link #receiveFromGuest}, {@link #attach}, {@link #detach} and
 * {@link #close} may be called from other threads: they hop to the loop.
 *
 * <h2>Lifetime</h2>
 * <p>A network outlives its ports: QEMU may disconnect and come back (VM restart) and
 * find its lease and forwarded ports still there. {@link #close} ends everything.
 */
public final class GuestNetwork implements GuestContext {
    private static final Logger LOG = LoggerFactory.getLogger(GuestNetwork.class);
    private static final int MAX_PENDING = 32;
    private static final long PENDING_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(3);
    private static final long HOUSEKEEPING_PERIOD_MS = 500;
    /** ICMPv6 echo request (RFC 4443 section 4.1). */
    private static final int TYPE6_ECHO_REQUEST = 128;

    private final NetworkConfig config;
    private final EventLoop loop;
    private final ByteBufAllocator alloc;
    private final HostChannels hostChannels;
    private final Ticker ticker;
    private final NetworkStats stats = new NetworkStats();
    private final MemoryBudget memory;
    private final GuestService[] services;
    private final GuestPacket packet = new GuestPacket();
    /**
     * The frame being received and, in it, the absolute index of a transport checksum its
     * transport computed itself ({@link #receiveFromGuest(GuestPort, ByteBuf, int)}), or
     * null and -1.
     */
    private ByteBuf checksummedFrame;
    private int checksummedAt = -1;
    private final NeighborTable neighbors;
    private final EthernetSwitch sw;
    private final SourceGuard guard;
    private final Reassembler reassembler;
    private final ArpResponder arp;
    private final IcmpEchoResponder echo;
    private final NdpResponder ndp;
    private final RateLimitedLog dropLog = new RateLimitedLog(LOG, 10);
    private final Map<TcpEndpointKey, InetSocketAddress> tcpEndpoints = new HashMap<>();
    private final PendingFrames pending = new PendingFrames(MAX_PENDING);
    private final GuestSender sender;
    private ScheduledFuture<?> housekeeping;
    private boolean closed;

    private GuestNetwork(Builder b) {
        this.config = b.config;
        this.loop = b.eventLoop;
        this.alloc = b.alloc;
        this.hostChannels = b.hostChannels;
        this.ticker = loop instanceof AbstractScheduledEventExecutor
                ? ((AbstractScheduledEventExecutor) loop).ticker() : Ticker.systemTicker();
        this.services = b.services.toArray(new GuestService[0]);
        this.memory = new MemoryBudget(config.maxMemoryBytes());
        this.reassembler = new Reassembler(alloc, config.maxReassemblyBytes(), config.maxReassemblyDatagrams(),
                config.reassemblyTimeout().toNanos(), stats.drops(), memory.newAccount());
        this.neighbors = new NeighborTable(config.maxPorts());
        this.sw = new EthernetSwitch(config, loop, alloc, stats);
        this.guard = new SourceGuard(this, config, neighbors);
        this.sender = new GuestSender(config, sw, alloc, ticker, stats, neighbors, pending, this::scheduleHousekeeping);
        this.arp = new ArpResponder(this);
        this.echo = new IcmpEchoResponder(this);
        this.ndp = new NdpResponder(this);
        this.sender.resolvers(arp, ndp);
    }

    /** Starts a builder for a network on {@code eventLoop}. */
    public static Builder builder(EventLoop eventLoop) {
        return new Builder(eventLoop);
    }

    // ---------------------------------------------------------------- transport side

    /**
     * Attaches a guest: a new port for {@code frameSink}, named after nothing in
     * particular ({@code guest}); see {@link #attach(FrameSink, PortOptions)}.
     */
    public GuestPort attach(FrameSink frameSink) {
        return attach(frameSink, PortOptions.named("guest"));
    }

    /**
     * Attaches a guest: a new port of the switch, whose frames for the guest go to
     * {@code frameSink} (which then owns each frame it is given). Safe from any thread.
     *
     * @throws IllegalStateException if the network is closed or has its maximum of
     *         ports ({@link NetworkConfig#maxPorts()})
     */
    public GuestPort attach(FrameSink frameSink, PortOptions options) {
        Objects.requireNonNull(frameSink, "frameSink");
        Objects.requireNonNull(options, "options");
        return callOnLoop(() -> {
            if (closed) {
                throw new IllegalStateException("network closed");
            }
            SwitchPort p = sw.attach(frameSink, options, ticker.nanoTime());
            LOG.debug("attached {}", p);
            for (GuestService s : services) {
                try {
                    s.guestAttached(p);
                } catch (RuntimeException e) {
                    LOG.warn("service {} failed on attach", s, e);
                }
            }
            return p;
        });
    }

    /**
     * Detaches {@code port} (its guest went away): the services end its flows, the switch
     * forgets its MACs and addresses, and frames other ports held for a reconnect are
     * looked at again. Safe from any thread; nothing happens for a port detached already.
     */
    public void detach(GuestPort port) {
        Objects.requireNonNull(port, "port");
        runOnLoop(() -> detachOnLoop((SwitchPort) port));
    }

    /** Detaches every port (all guests went away). Safe from any thread. */
    public void detach() {
        runOnLoop(() -> {
            for (SwitchPort p : sw.ports()) {
                detachOnLoop(p);
            }
        });
    }

    private void detachOnLoop(SwitchPort p) {
        if (!p.attached) {
            return;
        }
        sw.detach(p);
        neighbors.unbindPort(p);
        if (sw.count() == 0) {
            pending.clear();
        }
        LOG.debug("detached {}", p);
        for (GuestService s : services) {
            try {
                s.guestDetached(p);
            } catch (RuntimeException e) {
                LOG.warn("service {} failed on detach", s, e);
            }
        }
        if (sw.isHolding()) {
            loop.execute(this::replayHeld);
        }
    }

    /**
     * Takes one Ethernet frame from the guest on the first port attached (the only one, in
     * a network of one guest), {@code [readerIndex, writerIndex)}, and releases it when
     * done; see {@link #receiveFromGuest(GuestPort, ByteBuf)}. Without a port the frame is
     * dropped and counted.
     */
    public void receiveFromGuest(ByteBuf frame) {
        if (!loop.inEventLoop()) {
            loop.execute(() -> receiveFromGuest(frame));
            return;
        }
        SwitchPort first = sw.first();
        if (first == null) {
            stats.drops().increment(DropReason.NO_TRANSPORT);
            frame.release();
            return;
        }
        receiveFromGuest(first, frame);
    }

    /**
     * Takes one Ethernet frame from the guest on {@code port}, {@code [readerIndex,
     * writerIndex)}, and releases it when done. Safe from any thread; on the event loop it
     * is handled before returning.
     */
    public void receiveFromGuest(GuestPort port, ByteBuf frame) {
        receiveFromGuest(port, frame, -1);
    }

    /**
     * As {@link #receiveFromGuest(GuestPort, ByteBuf)}, for a frame whose transport
     * computed one checksum itself: the TCP or UDP checksum field at {@code checksumAt}
     * (an absolute index in {@code frame}; -1 for none) was just filled in from the
     * frame's own bytes (a tap completing a partial checksum the guest's kernel left, as
     * virtio-net's NEEDS_CSUM asks), so verifying it would only sum the same bytes again:
     * the engine skips that check when the field is exactly where the packet's transport
     * checksum lies, and checks as usual otherwise.
     */
    public void receiveFromGuest(GuestPort port, ByteBuf frame, int checksumAt) {
        if (!loop.inEventLoop()) {
            loop.execute(() -> receiveFromGuest(port, frame, checksumAt));
            return;
        }
        SwitchPort in = (SwitchPort) port;
        try {
            if (closed) {
                return;
            }
            if (!in.attached) {
                stats.drops().increment(DropReason.SWITCH_PORT_DETACHED);
                return;
            }
            if (checksumAt >= 0) {
                checksummedFrame = frame;
                checksummedAt = checksumAt;
            }
            receive(in, frame, false);
        } catch (RuntimeException | AssertionError e) {
            stats.drops().increment(DropReason.SERVICE_ERROR);
            LOG.warn("bug: frame from guest failed in the network; dropped", e);
        } finally {
            checksummedFrame = null;
            checksummedAt = -1;
            frame.release();
        }
    }

    /** True if the transport computed the checksum at {@code field} of the packet's transport header itself. */
    private boolean checksumComputed(GuestPacket p, int field) {
        return checksummedFrame == p.buffer() && checksummedAt == p.transportOffset() + field;
    }

    /** Runs frames held for a reconnect again, now that a port detached (see {@link EthernetSwitch}). */
    private void replayHeld() {
        for (EthernetSwitch.Held h : sw.takeHeld()) {
            try {
                if (!closed && h.port().attached) {
                    receive(h.port(), h.frame(), true);
                }
            } catch (RuntimeException | AssertionError e) {
                stats.drops().increment(DropReason.SERVICE_ERROR);
                LOG.warn("bug: held frame failed in the network; dropped", e);
            } finally {
                h.frame().release();
            }
        }
    }

    /**
     * Sets the tap that sees every frame both ways (packet capture), or removes it with
     * null. Safe from any thread; frames already in flight may or may not be seen.
     */
    public void tap(FrameTap tap) {
        runOnLoop(() -> sender.tap(tap));
    }

    /** {@code port}'s transport writability changed; tells the services. Call on the event loop. */
    public void guestWritabilityChanged(GuestPort port, boolean writable) {
        for (GuestService s : services) {
            s.guestWritabilityChanged(port, writable);
        }
    }

    /** The first port attached (the only one, in a network of one guest), or null. Call on the event loop. */
    public GuestPort port() {
        return sw.first();
    }

    /** Each port's state and counters, oldest first. Safe from any thread. */
    public List<PortStatus> ports() {
        return callOnLoop(() -> {
            List<PortStatus> out = new ArrayList<>();
            for (SwitchPort p : sw.ports()) {
                out.add(PortStatus.of(p));
            }
            return out;
        });
    }

    /**
     * Stops every service, releases all buffers and timers. Safe from any thread.
     *
     * @return completes on the event loop once closed
     */
    public Future<?> close() {
        return loop.submit(() -> {
            if (closed) {
                return;
            }
            closed = true;
            if (housekeeping != null) {
                housekeeping.cancel(false);
            }
            for (GuestService s : services) {
                try {
                    s.stop();
                } catch (RuntimeException e) {
                    LOG.warn("service {} failed to stop", s, e);
                }
            }
            pending.clear();
            reassembler.clear();
            sw.flush();
            for (SwitchPort p : sw.ports()) {
                sw.detach(p);
            }
        });
    }

    // ---------------------------------------------------------------- receive path

    /**
     * The receive path: the switch's ingress (source MAC, the guard and switching when
     * the network is shared), then the engine's layers.
     *
     * @param replay a held frame run again: tapped and counted when it first came
     */
    private void receive(SwitchPort in, ByteBuf frame, boolean replay) {
        long now = ticker.nanoTime();
        if (!replay) {
            if (sender.tap() != null) {
                sender.tapFromGuest(frame, now);
            }
            int len = frame.readableBytes();
            stats.traffic().increment(NetworkStats.Traffic.FRAMES_FROM_GUEST);
            stats.traffic().add(NetworkStats.Traffic.BYTES_FROM_GUEST, len);
            in.framesIn++;
            in.bytesIn += len;
        }
        packet.reset(frame, now, in);
        EthernetFrame eth = packet.ethernet();
        if (!eth.wrap(frame)) {
            drop(DropReason.ETHERNET_TRUNCATED, now);
            return;
        }
        int admitted = sw.admit(in, eth.source(), frame, now);
        if (admitted != EthernetSwitch.ADMITTED) {
            if (admitted == EthernetSwitch.HELD) {
                scheduleHousekeeping();
            }
            return;
        }
        boolean shared = sw.solo() == null;
        if (shared || in.options.locked()) {
            DropReason bad = guard.check(in, eth, frame, now, shared);
            if (bad != null) {
                drop(bad, now);
                return;
            }
            if (shared && !sw.forward(in, eth.destination(), eth.etherType(), frame, now)) {
                return;
            }
        }
        switch (eth.etherType()) {
            case EthernetFrame.TYPE_IPV4:
                receiveIpv4(frame, now);
                break;
            case EthernetFrame.TYPE_ARP:
                arp.handle(eth, now);
                break;
            case EthernetFrame.TYPE_IPV6:
                receiveIpv6(frame, now);
                break;
            default:
                drop(DropReason.ETHERTYPE_UNSUPPORTED, now);
                break;
        }
    }

    private void receiveIpv4(ByteBuf frame, long now) {
        EthernetFrame eth = packet.ethernet();
        Ipv4Packet ip = packet.ipv4();
        DropReason bad = ip.wrap(frame, eth.payloadOffset(), frame.writerIndex());
        if (bad != null) {
            drop(bad, now);
            return;
        }
        if (!ip.verifyChecksum()) {
            drop(DropReason.IPV4_BAD_CHECKSUM, now);
            return;
        }
        if (!config.ipv4()) {
            drop(DropReason.IPV4_UNSUPPORTED, now);
            return;
        }
        int src = ip.source();
        if (Ipv4Address.isMulticast(src) || src == Ipv4Address.BROADCAST || Ipv4Address.isLoopback(src)
                || config.isOwnAddress(src)) {
            drop(DropReason.IPV4_BAD_SOURCE, now);
            return;
        }
        long srcMac = eth.source();
        if (src != Ipv4Address.ANY && config.inNetwork(src) && !MacAddress.isMulticast(srcMac)) {
            learnNeighbor(0, IpAddress.ipv4Lo(src), srcMac, now);
        }
        if (ip.isFragment()) {
            long invalidBefore = stats.drops().total();
            ByteBuf whole = reassembler.offerIpv4(eth, ip, now);
            scheduleHousekeeping();
            if (whole == null) {
                if (stats.drops().total() == invalidBefore) {
                    stats.traffic().increment(NetworkStats.Traffic.FRAGMENTS_QUEUED);
                }
                return;
            }
            try {
                stats.traffic().increment(NetworkStats.Traffic.REASSEMBLED);
                packet.reset(whole, now);
                eth.wrap(whole);
                ip.wrapTrusted(whole, eth.payloadOffset());
                packet.useIpv4();
                dispatch(now);
            } finally {
                whole.release();
                packet.reset(frame, now);
            }
            return;
        }
        packet.useIpv4();
        dispatch(now);
    }

    /**
     * The receive path of both families once the IP layer checked out: the transport
     * header is checked (length, checksum with the family's pseudo-header, TCP option
     * syntax), the network answers what is its own (echo, neighbour discovery) and
     * offers the rest to the services.
     */
    private void dispatch(long now) {
        GuestPacket p = packet;
        ByteBuf buf = p.buffer();
        boolean v6 = p.isIpv6();
        boolean ours = config.isOwnAddress(p.destinationHi(), p.destinationLo());
        if (!ours && p.hopLimit() <= 1 && routed(p)) {
            // A router would decrement the TTL to zero (RFC 1812 5.3.1, RFC 8200 3): time
            // exceeded from the gateway, so traceroute sees the first hop.
            drop(v6 ? DropReason.IPV6_HOP_LIMIT_EXCEEDED : DropReason.IPV4_TTL_EXPIRED, now);
            sender.sendIcmpError(p, config.hostAddress(v6), IcmpError.TTL_EXCEEDED);
            return;
        }
        switch (p.protocol()) {
            case GuestPacket.PROTO_ICMP:
            case GuestPacket.PROTO_ICMPV6: {
                if ((p.protocol() == GuestPacket.PROTO_ICMPV6) != v6) {
                    break;     // ICMP in IPv6 or ICMPv6 in IPv4: an unknown protocol there
                }
                IcmpPacket icmp = p.icmp();
                if (!icmp.wrap(buf, p.transportOffset(), p.transportLength())) {
                    drop(v6 ? DropReason.ICMPV6_TRUNCATED : DropReason.ICMP_TRUNCATED, now);
                    return;
                }
                if (!icmp.verifyChecksum(v6 ? p.pseudoHeaderSum() : 0)) {
                    drop(v6 ? DropReason.ICMPV6_BAD_CHECKSUM : DropReason.ICMP_BAD_CHECKSUM, now);
                    return;
                }
                int type = icmp.type();
                if (ours && type == (v6 ? TYPE6_ECHO_REQUEST : IcmpPacket.TYPE_ECHO_REQUEST)) {
                    echo.reply(p);
                    return;
                }
                if (v6 && NdpResponder.takes(type)) {
                    ndp.handle(p, now);
                    return;
                }
                if (v6 && isMld(type)) {
                    drop(DropReason.MLD_IGNORED, now);
                    return;
                }
                // Other ICMP, errors about what the network sent included, is offered to
                // the services (a DHCP server learns its unicast reply was refused; router
                // solicitations go to the autoconfiguration service).
                if (!offer()) {
                    drop(ours || (v6 && isMulticast(p))
                            ? (v6 ? DropReason.ICMPV6_UNSUPPORTED : DropReason.ICMP_UNSUPPORTED)
                            : DropReason.NO_SERVICE, now);
                }
                return;
            }
            case GuestPacket.PROTO_UDP: {
                UdpPacket udp = p.udp();
                if (!udp.wrap(buf, p.transportOffset(), p.transportLength())) {
                    drop(DropReason.UDP_MALFORMED, now);
                    return;
                }
                // A zero checksum means none over IPv4 (RFC 768); IPv6 forbids it (RFC 8200 8.1).
                if (!checksumComputed(p, UdpPacket.CHECKSUM) && !udp.verifyChecksum(p.pseudoHeaderSum(), !v6)) {
                    drop(DropReason.UDP_BAD_CHECKSUM, now);
                    return;
                }
                if (!offer()) {
                    drop(DropReason.NO_SERVICE, now);
                }
                return;
            }
            case GuestPacket.PROTO_TCP: {
                TcpPacket tcp = p.tcp();
                if (!tcp.wrap(buf, p.transportOffset(), p.transportLength())) {
                    drop(DropReason.TCP_MALFORMED, now);
                    return;
                }
                if (!checksumComputed(p, TcpPacket.CHECKSUM) && !tcp.verifyChecksum(p.pseudoHeaderSum())) {
                    drop(DropReason.TCP_BAD_CHECKSUM, now);
                    return;
                }
                if (!tcp.parseOptions(p.tcpOptions())) {
                    drop(DropReason.TCP_BAD_OPTIONS, now);
                    return;
                }
                if (!offer()) {
                    drop(DropReason.NO_SERVICE, now);
                }
                return;
            }
            default:
                break;
        }
        if (!offer()) {
            drop(DropReason.PROTOCOL_UNSUPPORTED, now);
        }
    }

    /** True if the packet leaves the virtual network (the NAT carries it on): not ours, not local, not multicast. */
    private boolean routed(GuestPacket p) {
        if (isMulticast(p)) {
            return false;
        }
        if (p.isIpv6()) {
            long dh = p.destinationHi();
            return !config.inNetwork(dh, p.destinationLo()) && (dh >>> 54) != (0xfe80L >>> 6);
        }
        int dst = p.ipv4().destination();
        return !config.inNetwork(dst) && dst != Ipv4Address.BROADCAST;
    }

    private static boolean isMulticast(GuestPacket p) {
        return p.isIpv6() ? (p.destinationHi() >>> 56) == 0xff : Ipv4Address.isMulticast(p.ipv4().destination());
    }

    // ---------------------------------------------------------------- IPv6

    private void receiveIpv6(ByteBuf frame, long now) {
        if (!config.ipv6()) {
            drop(DropReason.IPV6_UNSUPPORTED, now);
            return;
        }
        EthernetFrame eth = packet.ethernet();
        Ipv6Packet ip = packet.ipv6();
        DropReason bad = ip.wrap(frame, eth.payloadOffset(), frame.writerIndex());
        if (bad != null) {
            drop(bad, now);
            return;
        }
        long sh = ip.sourceHi();
        long sl = ip.sourceLo();
        long dh = ip.destinationHi();
        long dl = ip.destinationLo();
        boolean unspecified = sh == 0 && sl == 0;
        if ((sh >>> 56) == 0xff || IpAddress.isIpv4(sh, sl) || (sh == 0 && sl == 1) || config.isOwnAddress(sh, sl)) {
            drop(DropReason.IPV6_BAD_SOURCE, now);
            return;
        }
        if ((dh == 0 && (dl == 0 || dl == 1)) || IpAddress.isIpv4(dh, dl)) {
            drop(DropReason.IPV6_BAD_DESTINATION, now);
            return;
        }
        long srcMac = eth.source();
        if (!unspecified && !MacAddress.isMulticast(srcMac)
                && (config.inNetwork(sh, sl) || (sh >>> 54) == (0xfe80L >>> 6))) {
            learnNeighbor(sh, sl, srcMac, now);
        }
        if (ip.isFragment()) {
            long invalidBefore = stats.drops().total();
            ByteBuf whole = reassembler.offerIpv6(eth, ip, now);
            scheduleHousekeeping();
            if (whole == null) {
                if (stats.drops().total() == invalidBefore) {
                    stats.traffic().increment(NetworkStats.Traffic.FRAGMENTS_QUEUED);
                }
                return;
            }
            try {
                stats.traffic().increment(NetworkStats.Traffic.REASSEMBLED);
                packet.reset(whole, now);
                eth.wrap(whole);
                ip.wrapTrusted(whole, eth.payloadOffset());
                packet.useIpv6();
                dispatchIpv6(unspecified, now);
            } finally {
                whole.release();
                packet.reset(frame, now);
            }
            return;
        }
        packet.useIpv6();
        dispatchIpv6(unspecified, now);
    }

    /**
     * Only a host without an address may send from the unspecified address: duplicate
     * address detection's neighbour solicitations, the MLD reports sent before an address
     * is assigned (RFC 4862 5.4.2, RFC 3810 5.2.13), and router solicitations (RFC 4861
     * 6.1.1 lets them come from the unspecified address).
     */
    private void dispatchIpv6(boolean unspecifiedSource, long now) {
        if (unspecifiedSource) {
            int type = packet.protocol() == GuestPacket.PROTO_ICMPV6 && packet.transportLength() >= 1
                    ? packet.buffer().getUnsignedByte(packet.transportOffset()) : -1;
            if (type != NdpResponder.TYPE_NEIGHBOR_SOLICITATION && type != NdpResponder.TYPE_ROUTER_SOLICITATION
                    && !isMld(type)) {
                drop(DropReason.IPV6_BAD_SOURCE, now);
                return;
            }
        }
        dispatch(now);
    }

    /** MLD queries, reports and done messages (RFC 2710 types 130-132, RFC 3810's 143). */
    private static boolean isMld(int icmpv6Type) {
        return icmpv6Type == 143 || (icmpv6Type >= 130 && icmpv6Type <= 132);
    }

    private boolean offer() {
        for (GuestService s : services) {
            if (s.handle(packet)) {
                stats.traffic().increment(NetworkStats.Traffic.SERVICE_HANDLED);
                return true;
            }
        }
        return false;
    }

    private void drop(DropReason reason, long now) {
        stats.drops().increment(reason);
        ((SwitchPort) packet.port()).dropsIn++;
        dropLog.debug(now, "dropped frame from guest: {} ({} bytes)", reason, packet.frame().readableBytes());
    }

    /**
     * Records that guest address {@code (hi, lo)}, seen in a frame from the port being
     * received, is at {@code mac}, and sends what waited for it. A binding to another
     * port is left alone (the {@link SourceGuard} drops such frames when the network is
     * shared).
     */
    void learnNeighbor(long hi, long lo, long mac, long now) {
        bindNeighbor(hi, lo, mac, (SwitchPort) packet.port(), now, false);
    }

    /**
     * Binds {@code (hi, lo)} to {@code mac} on {@code port} (see {@link NeighborTable#bind})
     * and sends what waited for the address if the mapping is new.
     */
    int bindNeighbor(long hi, long lo, long mac, SwitchPort port, long now, boolean assigned) {
        int r = neighbors.bind(hi, lo, mac, port, now, assigned);
        if (r == NeighborTable.CHANGED && !pending.isEmpty()) {
            pending.release(hi, lo, mac, sender);
        }
        return r;
    }

    // ---------------------------------------------------------------- send path (GuestSender)

    @Override
    public ByteBuf newFrame(int transportLength) {
        return sender.newFrame(transportLength);
    }

    @Override
    public void send(ByteBuf frame, IpAddress src, IpAddress dst, int protocol, int options) {
        sender.send(frame, src, dst, protocol, options);
    }

    @Override
    public void send(ByteBuf headers, ByteBuf payload, IpAddress src, IpAddress dst, int protocol, int options) {
        sender.send(headers, payload, src, dst, protocol, options);
    }

    @Override
    public void sendFrame(ByteBuf frame) {
        sender.sendFrame(frame);
    }

    @Override
    public void sendIcmpError(GuestPacket offending, IpAddress from, IcmpError error) {
        sender.sendIcmpError(offending, from, error);
    }

    @Override
    public void sendIcmpError(IpAddress from, IpAddress to, IcmpError error, ByteBuf quote, int offset, int length) {
        sender.sendIcmpError(from, to, error, quote, offset, length);
    }

    // ---------------------------------------------------------------- timers

    private void scheduleHousekeeping() {
        if (housekeeping == null && !closed) {
            housekeeping = loop.scheduleAtFixedRate(this::housekeep, HOUSEKEEPING_PERIOD_MS, HOUSEKEEPING_PERIOD_MS,
                    TimeUnit.MILLISECONDS);
        }
    }

    private void housekeep() {
        long now = ticker.nanoTime();
        reassembler.expire(now);
        pending.expire(now, PENDING_TIMEOUT_NANOS, sender);
        sw.expireHeld(now);
        if (reassembler.isEmpty() && pending.isEmpty() && !sw.isHolding() && housekeeping != null) {
            housekeeping.cancel(false);
            housekeeping = null;
        }
    }

    // ---------------------------------------------------------------- context

    @Override
    public NetworkConfig config() {
        return config;
    }

    @Override
    public EventLoop eventLoop() {
        return loop;
    }

    @Override
    public ByteBufAllocator alloc() {
        return alloc;
    }

    @Override
    public HostChannels hostChannels() {
        return hostChannels;
    }

    @Override
    public NetworkStats stats() {
        return stats;
    }

    @Override
    public MemoryBudget memory() {
        return memory;
    }

    @Override
    public long nanoTime() {
        return ticker.nanoTime();
    }

    @Override
    public boolean isGuestAttached() {
        return sw.count() > 0;
    }

    @Override
    public GuestPort portOf(IpAddress guest) {
        SwitchPort p = neighbors.portOf(guest.hi(), guest.lo());
        return p != null && p.attached ? p : null;
    }

    /**
     * True if every attached port's transport completes TCP checksums
     * ({@link FrameSink#completesTcpChecksums()}): TCP segments for the guests then carry
     * only the pseudo-header sum.
     */
    public boolean guestCompletesTcpChecksums() {
        return sw.completesTcpChecksums();
    }

    /**
     * Assigns {@code ip} to the guest at {@code mac} (DHCP's word): bound to the port that
     * MAC is on, before and whatever ARP says.
     */
    @Override
    public void addNeighbor(IpAddress ip, long mac) {
        bindNeighbor(ip.hi(), ip.lo(), mac, sw.portOf(mac), ticker.nanoTime(), true);
    }

    /** True while several guests share the network (a question for another address is then LAN traffic). */
    boolean isShared() {
        return sw.count() > 1;
    }

    /** The MAC last learned for IPv4 address {@code ip}, or {@link MacAddress#ZERO}. */
    public long neighbor(int ip) {
        return neighbors.lookup(0, IpAddress.ipv4Lo(ip));
    }

    /** The MAC last learned for {@code ip}, or {@link MacAddress#ZERO}. */
    public long neighbor(IpAddress ip) {
        return neighbors.lookup(ip.hi(), ip.lo());
    }

    @Override
    public void registerTcpEndpoint(IpAddress ip, int port, InetSocketAddress hostTarget) {
        tcpEndpoints.put(new TcpEndpointKey(ip, port), hostTarget);
    }

    @Override
    public InetSocketAddress tcpEndpoint(IpAddress ip, int port) {
        return tcpEndpoints.isEmpty() ? null : tcpEndpoints.get(new TcpEndpointKey(ip, port));
    }

    /** A TCP service's address on the virtual network. */
    private record TcpEndpointKey(IpAddress ip, int port) {
    }

    /** Bytes held by fragment reassembly (for tests of its bound). */
    public int reassemblyBytesHeld() {
        return reassembler.bytesHeld();
    }

    private void runOnLoop(Runnable task) {
        if (loop.inEventLoop()) {
            task.run();
        } else {
            loop.submit(task).syncUninterruptibly();
        }
    }

    private <T> T callOnLoop(Callable<T> task) {
        if (loop.inEventLoop()) {
            try {
                return task.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        return loop.submit(task).syncUninterruptibly().getNow();
    }

    /** MACs in the switch's table (for tests of its bound). */
    int macCount() {
        return sw.macCount();
    }

    /** Builds a {@link GuestNetwork}; services are offered packets in the order added. */
    public static final class Builder {
        private final EventLoop eventLoop;
        private NetworkConfig config = NetworkConfig.defaults();
        private ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        private HostChannels hostChannels = HostChannels.nio();
        private final List<GuestService> services = new ArrayList<>();

        private Builder(EventLoop eventLoop) {
            this.eventLoop = Objects.requireNonNull(eventLoop, "eventLoop");
        }

        /** The addressing and limits (default: QEMU's). */
        public Builder config(NetworkConfig config) {
            this.config = Objects.requireNonNull(config, "config");
            return this;
        }

        /** The allocator (default: pooled direct buffers). */
        public Builder alloc(ByteBufAllocator alloc) {
            this.alloc = Objects.requireNonNull(alloc, "alloc");
            return this;
        }

        /** The host socket factories matching the event loop (default: NIO). */
        public Builder hostChannels(HostChannels hostChannels) {
            this.hostChannels = Objects.requireNonNull(hostChannels, "hostChannels");
            return this;
        }

        /** Adds a service; earlier services see packets first. */
        public Builder service(GuestService service) {
            services.add(Objects.requireNonNull(service, "service"));
            return this;
        }

        /**
         * Builds the network and starts its services on the event loop. If a service
         * fails to start, the ones already started are stopped again (so their sockets
         * close) and the failure is rethrown.
         */
        public GuestNetwork build() {
            GuestNetwork n = new GuestNetwork(this);
            n.runOnLoop(() -> {
                int started = 0;
                try {
                    for (GuestService s : n.services) {
                        s.start(n);
                        started++;
                    }
                } catch (RuntimeException | Error e) {
                    n.closed = true;
                    for (int i = started; i >= 0; i--) {
                        try {
                            n.services[i].stop();
                        } catch (RuntimeException suppressed) {
                            e.addSuppressed(suppressed);
                        }
                    }
                    throw e;
                }
            });
            return n;
        }
    }
}
