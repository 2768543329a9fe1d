package dev.jslirp.nat.tcp;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.nat.HostAddressMapper;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.NatConnection;
import dev.jslirp.nat.guestfwd.CommandLauncher;
import dev.jslirp.nat.hostfwd.ForwardListener;
import dev.jslirp.nat.hostfwd.ForwardListenerFactory;
import dev.jslirp.nat.hostfwd.GuestLocator;
import dev.jslirp.nat.hostfwd.HostForward;
import dev.jslirp.nat.hostfwd.HostForwards;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TCP half of the NAT: the guest's connections terminated here and continued on host
 * sockets, and TCP port forwards into the guest.
 *
 * <p>This class is the thin Netty layer around the sans-IO core ({@link TcpFlow} and
 * its parts): it routes guest segments to flows by 4-tuple, owns the host channels
 * ({@link NettyHostConnector}, {@link TcpForwardListener} for port forwards, which
 * {@link HostForwards} asks for through {@link #listen}), turns each flow's deadlines into
 * one scheduled task ({@link FlowTimer}), runs end-of-turn work once per event-loop
 * turn (host writes are flushed per batch, not per segment) and sends delayed ACKs
 * ({@link DelayedAcks}).
 *
 * <p>Every method must be called on the guest's event loop.
 *
 * <p>Copies per direction, beyond the kernel's socket copy and whatever the guest
 * transport does:
 * <ul>
 *   <li>guest to host: none for segments of {@value HostHalf#COALESCE_BELOW} bytes or
 *       more (in-order payload is written to the host socket as a retained slice of the
 *       guest's frame); smaller payloads are copied once into a per-flow buffer so they
 *       do not each pin a frame;</li>
 *   <li>host to guest: one, from the buffer the host socket read into to the frame
 *       sent to the guest (the read buffer stays until acknowledged, for
 *       retransmission).</li>
 * </ul>
 * In steady state neither direction allocates per segment: frames and read buffers
 * come from the pooled allocator, slices and write entries from Netty's recyclers,
 * and the core reuses its views and option holders.
 */
public final class TcpNat implements ForwardListenerFactory {
    private static final Logger LOG = LoggerFactory.getLogger(TcpNat.class);
    private final NatConfig config;
    private final HostConnector connectorOverride;
    private final List<TcpFlow> endOfTurn = new ArrayList<>();
    private final Runnable endOfTurnTask = this::runEndOfTurn;
    private final Scheduler scheduler = new Scheduler();
    private DelayedAcks delayedAcks;
    private GuestLocator locator;
    private GuestContext ctx;
    private TcpStack stack;
    private boolean endOfTurnScheduled;
    private boolean stopped;

    /** TCP NAT configured by {@code config}. */
    public TcpNat(NatConfig config) {
        this(config, null);
    }

    /** For tests: host connections come from {@code hosts} instead of Netty channels. */
    TcpNat(NatConfig config, HostConnector hosts) {
        this.config = Objects.requireNonNull(config, "config");
        this.connectorOverride = hosts;
    }

    /** Where forwards by guest name find the guest; see {@link dev.jslirp.nat.NatService#locator}. */
    public void locator(GuestLocator l) {
        this.locator = l;
    }

    /** The locator, or null. */
    GuestLocator locator() {
        return locator;
    }

    /** Starts the TCP NAT without {@code cmd:} guest forwards; see {@link #start(GuestContext, HostAddressMapper, CommandLauncher)}. */
    public void start(GuestContext context, HostAddressMapper mapper) {
        start(context, mapper, null);
    }

    /**
     * Starts the TCP NAT; called on the event loop. Forwards are opened through
     * {@link #listen}; {@code launcher} runs the commands of {@code cmd:} guest forwards
     * (null: none here).
     */
    public void start(GuestContext context, HostAddressMapper mapper, CommandLauncher launcher) {
        this.ctx = context;
        this.delayedAcks = new DelayedAcks(context.eventLoop(), context::nanoTime);
        HostConnector hosts = connectorOverride != null ? connectorOverride
                : new NettyHostConnector(context, config, launcher);
        this.stack = new TcpStack(context, config, mapper, hosts, scheduler);
    }

    /**
     * Takes a TCP segment from the guest (already checked for length, checksum and
     * option syntax by the core). Always true once started: every segment is handled
     * or counted under {@link TcpCounter}. Keeps nothing of the packet but retained
     * slices of its frame.
     */
    public boolean handle(GuestPacket packet) {
        TcpStack s = stack;
        if (s == null || stopped) {
            return false;
        }
        TcpPacket t = packet.tcp();
        if (!unicast(packet) || t.sourcePort() == 0 || t.destinationPort() == 0) {
            s.counters.increment(TcpCounter.BAD_ADDRESS);
            return true;
        }
        int flags = t.flags();
        if ((flags & TcpPacket.SYN) != 0 && (flags & (TcpPacket.FIN | TcpPacket.RST)) != 0) {
            s.counters.increment(TcpCounter.BAD_FLAGS);
            return true;
        }
        TcpFlow f = s.table.get(packet.sourceHi(), packet.sourceLo(), t.sourcePort(), packet.destinationHi(),
                packet.destinationLo(), t.destinationPort());
        if (f == null) {
            s.connector.noFlow(packet, packet.nanoTime());
        } else {
            f.segment(packet, packet.nanoTime());
        }
        return true;
    }

    /** True if both ends name one host: TCP has no broadcast or multicast (RFC 1122 4.2.3.10). */
    private boolean unicast(GuestPacket p) {
        if (p.isIpv6()) {
            long dh = p.destinationHi();
            return (dh >>> 56) != 0xff && !(dh == 0 && p.destinationLo() == 0)
                    && !(p.sourceHi() == 0 && p.sourceLo() == 0);
        }
        int dst = p.ipv4().destination();
        return dst != Ipv4Address.ANY && dst != Ipv4Address.BROADCAST && !Ipv4Address.isMulticast(dst)
                && dst != ctx.config().broadcast() && p.ipv4().source() != Ipv4Address.ANY;
    }

    /** {@code port}'s writability changed: its blocked flows resume when it is writable. */
    public void guestWritabilityChanged(GuestPort port, boolean writable) {
        if (writable && stack != null && !stopped) {
            stack.guestWritable(port, ctx.nanoTime());
        }
    }

    /**
     * The guest of {@code port} went away: its flows are aborted (host sockets reset),
     * and so are forwards' flows no guest answered yet once no port is left; other
     * guests' flows go on, and forwards keep listening.
     */
    public void guestDetached(GuestPort port) {
        if (stack == null) {
            return;
        }
        long now = ctx.nanoTime();
        boolean none = !ctx.isGuestAttached();
        for (TcpFlow f : stack.table.snapshot()) {
            if (f.port == port || (f.port == null && none)) {
                stack.counters.increment(TcpCounter.ABORTED_DETACH);
                f.abort(now, false);
            }
        }
    }

    /** Closes every flow and releases every buffer (the listeners belong to {@link HostForwards}). */
    public void stop() {
        if (stack == null || stopped) {
            return;
        }
        stopped = true;
        abortAll();
        endOfTurn.clear();
        delayedAcks.stop();
    }

    private void abortAll() {
        long now = ctx.nanoTime();
        for (TcpFlow f : stack.table.snapshot()) {
            stack.counters.increment(TcpCounter.ABORTED_DETACH);
            f.abort(now, false);
        }
    }

    // ---------------------------------------------------------------- port forwards

    /**
     * Binds the listener of a TCP forward, or of a unix socket forward (see
     * {@link HostForwards}, which checks the rule first). Call on the event loop.
     *
     * @throws ConfigException naming {@code hostfwd} if it cannot listen
     */
    @Override
    public ForwardListener listen(HostForward forward) {
        if (stack == null || stopped) {
            throw new IllegalStateException("TCP NAT not running");
        }
        if (forward.protocol() == HostForward.Protocol.UDP) {
            throw new IllegalArgumentException("not a TCP or unix forward: " + forward);
        }
        TcpForwardListener l = new TcpForwardListener(forward, stack, this::locator);
        l.bind();
        return l;
    }

    // ---------------------------------------------------------------- monitoring (event loop)

    /** The configuration. */
    public NatConfig config() {
        return config;
    }

    /** Flows in the table (any state). Call on the event loop. */
    public int flowCount() {
        return stack == null ? 0 : stack.table.size();
    }

    /** Flows whose handshake has not completed. Call on the event loop. */
    public int halfOpenCount() {
        return stack == null ? 0 : stack.halfOpen();
    }

    /**
     * Memory the flows hold for data in flight: host data awaiting the guest's ACK (by
     * buffer capacity), guest data held out of order, and guest data the host sockets
     * have not taken. Call on the event loop.
     */
    public long bufferedBytes() {
        long n = 0;
        if (stack != null) {
            for (TcpFlow f : stack.table.snapshot()) {
                n += f.snd.buffer.capacityHeld() + f.rcv.outOfOrder.bytes() + f.host.pendingBytes();
            }
        }
        return n;
    }

    /**
     * Appends rows for the flows to {@code out} until it holds {@code max} rows (HMP's
     * {@code info usernet}); see {@link NatConnection} for what each column holds. Call on
     * the event loop.
     */
    public void connections(List<NatConnection> out, int max) {
        if (stack == null || stopped) {
            return;
        }
        for (TcpFlow f : stack.table.first(max - out.size())) {
            long toGuest = f.snd.buffer.bytes();
            long toHost = f.host.pendingBytes();
            int port = f.port == null ? 0 : f.port.id();
            out.add(f.forwarded
                    ? new NatConnection(HostForward.Protocol.TCP, f.state().name(), f.remote, f.remotePort,
                            f.guest, f.guestPort, toGuest, toHost, -1, null, port)
                    : new NatConnection(HostForward.Protocol.TCP, f.state().name(), f.guest, f.guestPort,
                            f.remote, f.remotePort, toGuest, toHost, -1, null, port));
        }
    }

    /** The core, for tests in this package. */
    TcpStack stackForTests() {
        return stack;
    }

    // ---------------------------------------------------------------- timers and end of turn

    private void runEndOfTurn() {
        endOfTurnScheduled = false;
        long now = ctx.nanoTime();
        for (int i = 0; i < endOfTurn.size(); i++) {
            TcpFlow f = endOfTurn.get(i);
            f.schedule.endOfTurnQueued = false;
            try {
                f.endOfTurn(now);
            } catch (RuntimeException e) {
                LOG.warn("bug: end of turn of tcp flow {} failed; aborting it", f, e);
                f.abort(now, true);
            }
        }
        endOfTurn.clear();
    }

    /** Turns the core's deadlines and end-of-turn requests into event-loop tasks. */
    private final class Scheduler implements TcpStack.Scheduler {
        @Override
        public void wakeAt(TcpFlow flow, long deadline) {
            if (deadline == FlowSchedule.NONE) {
                return;
            }
            FlowTimer t = (FlowTimer) flow.schedule.timer;
            if (t == null) {
                t = new FlowTimer(flow, ctx);
                flow.schedule.timer = t;
            }
            t.arm(deadline);
        }

        @Override
        public void cancel(TcpFlow flow) {
            if (flow.schedule.timer != null) {
                ((FlowTimer) flow.schedule.timer).cancel();
            }
        }

        @Override
        public void endOfTurn(TcpFlow flow) {
            if (flow.schedule.endOfTurnQueued || stopped) {
                return;
            }
            flow.schedule.endOfTurnQueued = true;
            endOfTurn.add(flow);
            if (!endOfTurnScheduled) {
                endOfTurnScheduled = true;
                ctx.eventLoop().execute(endOfTurnTask);
            }
        }

        @Override
        public void ackLater(TcpFlow flow) {
            if (!stopped) {
                delayedAcks.add(flow);
            }
        }
    }
}
