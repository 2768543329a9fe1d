package dev.jslirp.nat;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.guestfwd.CommandLauncher;
import dev.jslirp.nat.guestfwd.GuestForwards;
import dev.jslirp.nat.guestfwd.GuestfwdCounter;
import dev.jslirp.nat.hostfwd.GuestLocator;
import dev.jslirp.nat.hostfwd.HostForward;
import dev.jslirp.nat.hostfwd.HostForwards;
import dev.jslirp.nat.icmp.IcmpNat;
import dev.jslirp.nat.tcp.TcpNat;
import dev.jslirp.nat.udp.UdpNat;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * NAT of the guest's TCP, UDP and ICMP echo onto host sockets, the host's port forwards
 * into the guest, and the guest forwards ({@code guestfwd=}) from addresses of the guest's
 * network to host services. Routes each packet by protocol to {@link TcpNat},
 * {@link UdpNat} or {@link IcmpNat}; the address rules they share live in
 * {@link HostAddressMapper} (guest forwards included), the port forwards of every protocol
 * in {@link HostForwards}, behind one API ({@link #addForward}, {@link #removeForward},
 * {@link #removeUnixForward}, {@link #forwards}).
 */
public final class NatService implements GuestService {
    private final NatConfig config;
    private final CommandLauncher launcher;
    private final TcpNat tcp;
    private final UdpNat udp;
    private final IcmpNat icmp;
    private GuestContext ctx;
    private HostForwards forwards;
    private GuestForwards guestForwards = GuestForwards.none();
    private GuestLocator locator;

    /** A NAT configured by {@code config}, without {@code cmd:} guest forwards. */
    public NatService(NatConfig config) {
        this(config, null);
    }

    /**
     * A NAT configured by {@code config} whose {@code cmd:} guest forwards run on
     * {@code launcher} (null: none; such forwards then refuse the start). The NAT closes
     * the launcher when it stops.
     */
    public NatService(NatConfig config, CommandLauncher launcher) {
        this.config = Objects.requireNonNull(config, "config");
        this.launcher = launcher;
        this.tcp = new TcpNat(config);
        this.udp = new UdpNat(config);
        this.icmp = new IcmpNat(config);
    }

    /**
     * Where forwards that follow a guest by name or MAC find its address ({@link HostForward#guestName()});
     * without one they refuse every connection. Set before the network starts.
     */
    public NatService locator(GuestLocator l) {
        this.locator = l;
        tcp.locator(l);
        udp.locator(l);
        return this;
    }

    /** The TCP half (counters, flow counts). */
    public TcpNat tcp() {
        return tcp;
    }

    /** The UDP half (counters, flow counts). */
    public UdpNat udp() {
        return udp;
    }

    /** The ICMP half (echo to other hosts). */
    public IcmpNat icmp() {
        return icmp;
    }

    // ---------------------------------------------------------------- port forwards

    /**
     * Adds a port forward of either protocol at run time (HMP's {@code hostfwd_add}).
     * Safe from any thread; runs on the event loop, where it completes at once.
     *
     * @return completes with where it listens (the port the system chose for host port
     *         0), or fails with a {@link ConfigException} naming {@code hostfwd}: a guest
     *         address outside the network, a host address and port forwarded already, or
     *         a failed bind
     * @throws IllegalStateException before {@link #start}
     */
    public Future<InetSocketAddress> addForward(HostForward forward) {
        Objects.requireNonNull(forward, "forward");
        return onLoop(() -> forwards.add(forward));
    }

    /**
     * Removes the forward of {@code protocol} listening on {@code hostAddress:hostPort}
     * (HMP's {@code hostfwd_remove}; null for all addresses; the port as given or as
     * bound). Connections already accepted go on; a UDP forward's peer mappings end.
     * Safe from any thread.
     *
     * @return completes with false if there is no such forward
     */
    public Future<Boolean> removeForward(HostForward.Protocol protocol, IpAddress hostAddress, int hostPort) {
        return onLoop(() -> forwards.remove(protocol, hostAddress, hostPort));
    }

    /**
     * Removes the forward listening on the host unix socket at {@code path} (and its socket
     * file); connections already accepted go on. Safe from any thread.
     *
     * @return completes with false if there is no such forward
     */
    public Future<Boolean> removeUnixForward(java.nio.file.Path path) {
        return onLoop(() -> forwards.removeUnix(path));
    }

    /** The forwards listening, in the order added. Safe from any thread. */
    public List<HostForwards.Active> forwards() {
        return forwards == null ? List.of() : forwards.list();
    }

    /** The guest forwards ({@code guestfwd=}, {@code smb=}), checked against the network once started. */
    public GuestForwards guestForwards() {
        return guestForwards;
    }

    private <T> Future<T> onLoop(Callable<T> task) {
        if (ctx == null) {
            throw new IllegalStateException("NAT not started");
        }
        EventLoop loop = ctx.eventLoop();
        if (!loop.inEventLoop()) {
            return loop.submit(task);
        }
        try {
            return loop.newSucceededFuture(task.call());
        } catch (Exception e) {
            return loop.newFailedFuture(e);
        }
    }

    // ---------------------------------------------------------------- monitoring

    /**
     * The connection table as HMP's {@code info usernet} shows it, at most {@code max}
     * rows: TCP listeners (unix sockets' too), guest forwards and TCP flows, then UDP
     * listeners, flows and forward mappings.
     * Call on the event loop.
     */
    public List<NatConnection> connections(int max) {
        List<NatConnection> rows = new ArrayList<>(Math.min(Math.max(0, max), 256));
        listeners(HostForward.Protocol.TCP, rows, max);
        for (GuestForwards.Rule r : guestForwards.rules()) {
            if (rows.size() < max) {
                rows.add(NatConnection.guestForward(r.server(), r.port(), r.forward().target()));
            }
        }
        tcp.connections(rows, max);
        listeners(HostForward.Protocol.UDP, rows, max);
        udp.connections(rows, max);
        return rows;
    }

    private void listeners(HostForward.Protocol protocol, List<NatConnection> out, int max) {
        for (HostForwards.Active a : forwards()) {
            if (out.size() >= max) {
                return;
            }
            HostForward f = a.rule();
            if (f.protocol() == protocol || (protocol == HostForward.Protocol.TCP
                    && f.protocol() == HostForward.Protocol.UNIX)) {
                IpAddress guest = f.guestAddressNow(ctx.config(), locator);
                out.add(NatConnection.listener(f.protocol(), f.hostAddress(), a.listening() == null ? 0
                        : a.listening().getPort(), guest != null ? guest : IpAddress.ipv4(0), f.guestPort(),
                        f.hostPath()));
            }
        }
    }

    /** How many rows {@link #connections} has without a bound. Call on the event loop. */
    public int connectionCount() {
        return forwards().size() + guestForwards.rules().size() + tcp.flowCount() + udp.flowCount()
                + udp.mappingCount();
    }

    // ---------------------------------------------------------------- service

    /**
     * Starts both halves and the configured forwards.
     *
     * @throws ConfigException naming {@code hostfwd} if a forward cannot listen (the
     *         listeners already opened are closed again)
     */
    @Override
    public void start(GuestContext context) {
        this.ctx = context;
        guestForwards = GuestForwards.of(config.guestForwards(), context.config(), launcher != null);
        if (!guestForwards.rules().isEmpty()) {
            context.stats().service("nat.guestfwd", GuestfwdCounter.class);
        }
        HostAddressMapper mapper = new HostAddressMapper(context, config.forwardSource(), guestForwards);
        tcp.start(context, mapper, launcher);
        udp.start(context, mapper);
        icmp.start(context, mapper);
        forwards = new HostForwards(context.config());
        forwards.serve(HostForward.Protocol.TCP, tcp);
        forwards.serve(HostForward.Protocol.UNIX, tcp);
        forwards.serve(HostForward.Protocol.UDP, udp);
        try {
            for (HostForward f : config.forwards()) {
                forwards.add(f);
            }
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    @Override
    public boolean handle(GuestPacket packet) {
        switch (packet.protocol()) {
            case GuestPacket.PROTO_TCP:
                return tcp.handle(packet);
            case GuestPacket.PROTO_UDP:
                return udp.handle(packet);
            case GuestPacket.PROTO_ICMP:
            case GuestPacket.PROTO_ICMPV6:
                return icmp.handle(packet);
            default:
                return false;
        }
    }

    @Override
    public void guestWritabilityChanged(GuestPort port, boolean writable) {
        tcp.guestWritabilityChanged(port, writable);
    }

    @Override
    public void guestDetached(GuestPort port) {
        tcp.guestDetached(port);
        udp.guestDetached(port);
        if (!ctx.isGuestAttached()) {
            // echo sessions are not kept per port: they end with the last guest, or idle out
            icmp.guestDetached();
        }
    }

    @Override
    public void stop() {
        if (forwards != null) {
            forwards.closeAll();
        }
        tcp.stop();
        udp.stop();
        icmp.stop();
        if (launcher != null) {
            launcher.close();
        }
    }
}
