package dev.jslirp.nat.tcp;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.nat.HostAddressMapper;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.NatConnection;
import dev.jslirp.nat.hostfwd.HostForward;
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
 * ({@link NettyHostConnector}, {@link TcpForwarder}), turns each flow's deadlines into
 * one scheduled task ({@link FlowTimer}), runs end-of-turn work once per event-loop
 * turn (host writes are flushed per batch, not per segment) and sends delayed ACKs
 * ({@link DelayedAcks}).
 *
 * <p>Every method except {@link #addForward} and {@link #removeForward} must be called
 * on the guest's event loop; those two hop onto it when needed.
 *
 * <p>Copies per direction, beyond the kernel's socket copy and whatever the guest
 * transport does:
 * <ul>
 *   <li>guest to host: none for segments of {@value TcpFlow#COALESCE_BELOW} bytes or
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
public final class TcpNat {
    private static final Logger LOG = LoggerFactory.getLogger(TcpNat.class);
    private final NatConfig config;
    private final HostConnector connectorOverride;
    private final Map<HostForward, TcpForwarder> forwards = new LinkedHashMap<>();
    private final List<TcpFlow> endOfTurn = new ArrayList<>();
    private final Runnable endOfTurnTask = this::runEndOfTurn;
    private final Scheduler scheduler = new Scheduler();
    private DelayedAcks delayedAcks;
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

    /**
     * Starts listeners for TCP forwards; called on the event loop.
     *
     * @throws ConfigException naming {@code hostfwd} if a forward cannot listen
     */
    public void start(GuestContext context, HostAddressMapper mapper) {
        this.ctx = context;
        this.delayedAcks = new DelayedAcks(context.eventLoop(), context::nanoTime);
        HostConnector hosts = connectorOverride != null ? connectorOverride
                : new NettyHostConnector(context, config);
        this.stack = new TcpStack(context, config, mapper, hosts, scheduler);
        try {
            for (HostForward f : config.forwards()) {
                if (f.protocol() == HostForward.Protocol.TCP) {
                    addForwardOnLoop(f);
                }
            }
        } catch (RuntimeException e) {
            closeForwards();
            throw e;
        }
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
        Ipv4Packet ip = packet.ip();
        TcpPacket t = packet.tcp();
        int dst = ip.destination();
        if (!unicast(dst) || ip.source() == Ipv4Address.ANY || t.sourcePort() == 0 || t.destinationPort() == 0) {
            s.counters.increment(TcpCounter.BAD_ADDRESS);
            return true;
        }
        int flags = t.flags();
        if ((flags & TcpPacket.SYN) != 0 && (flags & (TcpPacket.FIN | TcpPacket.RST)) != 0) {
            s.counters.increment(TcpCounter.BAD_FLAGS);
            return true;
        }
        TcpFlow f = s.table.get(ip.source(), t.sourcePort(), dst, t.destinationPort());
        if (f == null) {
            s.connector.noFlow(packet, packet.nanoTime());
        } else {
            f.segment(packet, packet.nanoTime());
        }
        return true;
    }

    private boolean unicast(int dst) {
        return dst != Ipv4Address.ANY && dst != Ipv4Address.BROADCAST && !Ipv4Address.isMulticast(dst)
                && dst != ctx.config().broadcast();
    }

    /** The guest transport's writability changed: blocked flows resume when it is writable. */
    public void guestWritabilityChanged(boolean writable) {
        if (writable && stack != null && !stopped) {
            stack.guestWritable(ctx.nanoTime());
        }
    }

    /** The guest went away: every flow is aborted (host sockets reset); forwards keep listening. */
    public void guestDetached() {
        if (stack != null) {
            abortAll();
        }
    }

    /** Closes every flow and listener and releases every buffer. */
    public void stop() {
        if (stack == null || stopped) {
            return;
        }
        stopped = true;
        abortAll();
        closeForwards();
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
     * Adds a TCP port forward at run time (HMP's {@code hostfwd_add}). Safe from any
     * thread (blocks until the listener is bound when called off the event loop).
     *
     * @return the address listened on, with the actual port when the forward asked for 0
     * @throws ConfigException naming {@code hostfwd} if it cannot listen, or the host
     *         address and port are forwarded already
     */
    public InetSocketAddress addForward(HostForward forward) {
        Objects.requireNonNull(forward, "forward");
        if (forward.protocol() != HostForward.Protocol.TCP) {
            throw new IllegalArgumentException("not a TCP forward: " + forward);
        }
        return onLoop(() -> addForwardOnLoop(forward));
    }

    /**
     * Removes the TCP forward listening on {@code hostAddress:hostPort} (HMP's
     * {@code hostfwd_remove}); {@code hostPort} may be the configured or the bound port.
     * Connections already accepted go on. Safe from any thread.
     *
     * @return false if no such forward exists
     */
    public boolean removeForward(int hostAddress, int hostPort) {
        return onLoop(() -> {
            for (Map.Entry<HostForward, TcpForwarder> e : forwards.entrySet()) {
                HostForward f = e.getKey();
                if (f.hostAddress() == hostAddress
                        && (f.hostPort() == hostPort || e.getValue().boundAddress().getPort() == hostPort)) {
                    e.getValue().close();
                    forwards.remove(f);
                    return true;
                }
            }
            return false;
        });
    }

    /** The TCP forwards and the addresses they listen on. Safe from any thread. */
    public Map<HostForward, InetSocketAddress> forwards() {
        return onLoop(() -> {
            Map<HostForward, InetSocketAddress> m = new LinkedHashMap<>();
            forwards.forEach((f, l) -> m.put(f, l.boundAddress()));
            return Collections.unmodifiableMap(m);
        });
    }

    private InetSocketAddress addForwardOnLoop(HostForward forward) {
        if (stack == null || stopped) {
            throw new IllegalStateException("TCP NAT not running");
        }
        for (HostForward f : forwards.keySet()) {
            if (f.hostAddress() == forward.hostAddress() && f.hostPort() == forward.hostPort() && f.hostPort() != 0) {
                throw new ConfigException("hostfwd", "'" + forward + "': host port " + Ipv4Address.toString(
                        forward.hostAddress()) + ":" + forward.hostPort() + " is forwarded already");
            }
        }
        TcpForwarder fw = new TcpForwarder(forward, stack);
        InetSocketAddress bound = fw.bind();
        forwards.put(forward, fw);
        return bound;
    }

    private void closeForwards() {
        for (TcpForwarder f : forwards.values()) {
            f.close();
        }
        forwards.clear();
    }

    private <T> T onLoop(java.util.concurrent.Callable<T> task) {
        if (ctx == null) {
            throw new IllegalStateException("TCP NAT not started");
        }
        try {
            if (ctx.eventLoop().inEventLoop()) {
                return task.call();
            }
            return ctx.eventLoop().submit(task).get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException) {
                throw (RuntimeException) e.getCause();
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- monitoring (event loop)

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
                n += f.snd.buffer.capacityHeld() + f.rcv.outOfOrder.bytes() + f.hostPendingBytes();
            }
        }
        return n;
    }

    /**
     * Appends rows for the TCP forwards' listeners and then the flows to {@code out}
     * until it holds {@code max} rows (HMP's {@code info usernet}); see
     * {@link NatConnection} for what each column holds. Call on the event loop.
     */
    public void connections(List<NatConnection> out, int max) {
        if (stack == null || stopped) {
            return;
        }
        int firstGuest = ctx.config().dhcpStart();
        for (Map.Entry<HostForward, TcpForwarder> e : forwards.entrySet()) {
            if (out.size() >= max) {
                return;
            }
            HostForward f = e.getKey();
            out.add(NatConnection.listener(HostForward.Protocol.TCP, f.hostAddress(),
                    e.getValue().boundAddress().getPort(), f.guestAddress() != 0 ? f.guestAddress() : firstGuest,
                    f.guestPort()));
        }
        for (TcpFlow f : stack.table.first(max - out.size())) {
            long toGuest = f.snd.buffer.bytes();
            long toHost = f.hostPendingBytes();
            out.add(f.forwarded
                    ? new NatConnection(HostForward.Protocol.TCP, f.state().name(), f.remoteIp, f.remotePort,
                            f.guestIp, f.guestPort, toGuest, toHost, -1)
                    : new NatConnection(HostForward.Protocol.TCP, f.state().name(), f.guestIp, f.guestPort,
                            f.remoteIp, f.remotePort, toGuest, toHost, -1));
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
            f.endOfTurnQueued = false;
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
            if (deadline == TcpFlow.NONE) {
                return;
            }
            FlowTimer t = (FlowTimer) flow.timer;
            if (t == null) {
                t = new FlowTimer(flow, ctx);
                flow.timer = t;
            }
            t.arm(deadline);
        }

        @Override
        public void cancel(TcpFlow flow) {
            if (flow.timer != null) {
                ((FlowTimer) flow.timer).cancel();
            }
        }

        @Override
        public void endOfTurn(TcpFlow flow) {
            if (flow.endOfTurnQueued || stopped) {
                return;
            }
            flow.endOfTurnQueued = true;
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
