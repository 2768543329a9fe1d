package dev.jslirp.nat;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.hostfwd.GuestLocator;
import dev.jslirp.nat.hostfwd.HostForward;
import dev.jslirp.nat.hostfwd.HostForwards;
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
 * NAT of the guest's TCP and UDP onto host sockets, and the host's port forwards into
 * the guest. Routes each packet by protocol to {@link TcpNat} or {@link UdpNat}; the
 * address rules they share live in {@link HostAddressMapper}, the forwards of both
 * protocols in {@link HostForwards}, behind one API ({@link #addForward},
 * {@link #removeForward}, {@link #forwards}).
 */
public final class NatService implements GuestService {
    private final NatConfig config;
    private final TcpNat tcp;
    private final UdpNat udp;
    private GuestContext ctx;
    private HostForwards forwards;
    private GuestLocator locator;

    /** A NAT configured by {@code config}. */
    public NatService(NatConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.tcp = new TcpNat(config);
        this.udp = new UdpNat(config);
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

    /** The forwards listening, in the order added. Safe from any thread. */
    public List<HostForwards.Active> forwards() {
        return forwards == null ? List.of() : forwards.list();
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
     * rows: TCP listeners and flows, then UDP listeners, flows and forward mappings.
     * Call on the event loop.
     */
    public List<NatConnection> connections(int max) {
        List<NatConnection> rows = new ArrayList<>(Math.min(Math.max(0, max), 256));
        listeners(HostForward.Protocol.TCP, rows, max);
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
            if (f.protocol() == protocol) {
                IpAddress guest = f.guestAddressNow(ctx.config(), locator);
                out.add(NatConnection.listener(protocol, f.hostAddress(), a.listening().getPort(),
                        guest != null ? guest : IpAddress.ipv4(0), f.guestPort()));
            }
        }
    }

    /** How many rows {@link #connections} has without a bound. Call on the event loop. */
    public int connectionCount() {
        return forwards().size() + tcp.flowCount() + udp.flowCount() + udp.mappingCount();
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
        HostAddressMapper mapper = new HostAddressMapper(context);
        tcp.start(context, mapper);
        udp.start(context, mapper);
        forwards = new HostForwards(context.config());
        forwards.serve(HostForward.Protocol.TCP, tcp);
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
    }

    @Override
    public void stop() {
        if (forwards != null) {
            forwards.closeAll();
        }
        tcp.stop();
        udp.stop();
    }
}
