package dev.jslirp.nat.tcp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.stats.LatencyHistogram;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.Ipv6Packet;
import dev.jslirp.core.wire.TcpOptions;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.nat.HostAddressMapper;
import dev.jslirp.nat.NatConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the TCP flows of one guest share: the guest context frames go out through, the
 * configuration and its derived constants, the counters, the flow table with its
 * half-open count and TIME_WAIT list, the {@link SegmentWriter}, and the
 * {@link Scheduler} the Netty layer provides. Part of the sans-IO core: it opens no
 * socket and reads no clock.
 */
final class TcpStack {
    /** TCP_MIN_MSS of Linux: the smallest guest MSS honoured, so a bogus tiny MSS cannot multiply our frames. */
    static final int MIN_GUEST_MSS = 88;
    /** RFC 9293 section 3.7.1: the MSS to assume when the SYN carries none. */
    static final int DEFAULT_GUEST_MSS = 536;
    /**
     * Out-of-order ranges held per flow; beyond it the guest retransmits. Contiguous
     * segments share a range ({@link SegmentAssembler}), so a window's worth after one
     * loss takes a few dozen.
     */
    static final int MAX_OUT_OF_ORDER = 128;

    /** Timers and end-of-turn work, provided by the Netty layer. */
    interface Scheduler {
        /** Calls {@link TcpFlow#timer} at or after {@code deadline} (nanoseconds, the context's clock). */
        void wakeAt(TcpFlow flow, long deadline);

        /** Forgets the flow's timer. */
        void cancel(TcpFlow flow);

        /** Calls {@link TcpFlow#endOfTurn} once at the end of this event-loop turn. */
        void endOfTurn(TcpFlow flow);

        /**
         * Calls {@link TcpFlow#delayedAckDue} in {@link DelayedAcks#TICK_MICROS} to twice
         * that many microseconds (once, however often asked meanwhile).
         */
        void ackLater(TcpFlow flow);
    }

    final GuestContext ctx;
    final NatConfig config;
    final HostAddressMapper mapper;
    final Counters<TcpCounter> counters;
    /** Guest SYN to host connect completed: the wait a new connection adds for the guest. */
    final LatencyHistogram hostConnectLatency;
    final TcpFlowTable table;
    final HostConnector hosts;
    final Scheduler scheduler;
    final TcpConnector connector;
    final SegmentWriter writer;
    private final int mtu;
    /** Per-flow buffer, each direction. */
    final int bufferBytes;
    /** The window shift we offer: the smallest that lets the window reach bufferBytes. */
    final int rcvWndShift;
    final long idleTimeout;
    final long timeWait;
    final long connectTimeout;
    private final List<TcpFlow> blockedOnGuest = new ArrayList<>();
    /** Flows held back by the memory budget, woken in order when memory frees. */
    private List<TcpFlow> waitingForMemory = new ArrayList<>();
    private List<TcpFlow> waking = new ArrayList<>();
    private boolean wakeScheduled;
    private final Runnable wakeTask = this::memoryFreed;
    private final FlowAgeList halfOpenFlows = new FlowAgeList();
    private final FlowAgeList timeWaitFlows = new FlowAgeList();

    TcpStack(GuestContext ctx, NatConfig config, HostAddressMapper mapper, HostConnector hosts, Scheduler scheduler) {
        this.ctx = ctx;
        this.config = config;
        this.mapper = mapper;
        this.hosts = hosts;
        this.scheduler = scheduler;
        this.counters = ctx.stats().service("nat.tcp", TcpCounter.class);
        this.hostConnectLatency = ctx.stats().latency("nat.tcp.host_connect");
        this.table = new TcpFlowTable(config.maxTcpFlows());
        this.connector = new TcpConnector(this);
        this.writer = new SegmentWriter(this);
        this.mtu = ctx.config().mtu();
        this.bufferBytes = config.tcpBufferBytes();
        this.rcvWndShift = windowShiftFor(bufferBytes);
        this.idleTimeout = config.tcpIdleTimeout().toNanos();
        this.timeWait = config.tcpTimeWait().toNanos();
        this.connectTimeout = config.tcpConnectTimeout().toNanos();
        // Told from within a release, perhaps deep in another flow's ACK: wake on a later task.
        ctx.memory().onFreed(() -> {
            if (!wakeScheduled && !waitingForMemory.isEmpty()) {
                wakeScheduled = true;
                ctx.eventLoop().execute(wakeTask);
            }
        });
    }

    /** Our MSS for a flow of the family: the MTU less a minimal IP header of the family and a TCP header. */
    int ourMss(boolean ipv6) {
        return mtu - (ipv6 ? Ipv6Packet.HEADER_LENGTH : Ipv4Packet.MIN_HEADER_LENGTH) - TcpPacket.MIN_HEADER_LENGTH;
    }

    /**
     * The buffer size out-of-order data is gathered in: a 64th of the flow's buffer,
     * 16 KiB to 1 MiB, so that {@link #MAX_OUT_OF_ORDER} ranges cover twice the window.
     */
    static int outOfOrderChunk(int bufferBytes) {
        return Math.max(16 << 10, Math.min(1 << 20, bufferBytes / 64));
    }

    /** The smallest shift s with 65535 << s >= bytes (RFC 7323 section 2.3 caps it at 14). */
    static int windowShiftFor(int bytes) {
        int s = 0;
        while (s < TcpOptions.MAX_WINDOW_SCALE && (65535L << s) < bytes) {
            s++;
        }
        return s;
    }

    /**
     * An initial sequence number. RFC 9293 section 3.4.1 / RFC 6528 want ISNs hard to
     * guess for off-path attackers; the only path here is the guest's own link, so a
     * uniformly random 32-bit value is enough.
     */
    int newIss() {
        return ThreadLocalRandom.current().nextInt();
    }

    // ---------------------------------------------------------------- table

    /** Adds a new flow; the caller checked the bounds. */
    void add(TcpFlow flow) {
        table.put(flow);
        if (flow.state().halfOpen()) {
            halfOpenFlows.add(flow);
        }
    }

    /** Removes a finished flow (state CLOSED) from every structure. */
    void remove(TcpFlow flow) {
        table.remove(flow);
        scheduler.cancel(flow);
        if (flow.schedule.waitingForMemory) {
            flow.schedule.waitingForMemory = false;
            waitingForMemory.remove(flow);
        }
        if (flow.schedule.blockedOnGuest) {
            flow.schedule.blockedOnGuest = false;
            blockedOnGuest.remove(flow);
        }
    }

    /** Keeps the half-open and TIME_WAIT lists as a flow changes state. */
    void stateChanged(TcpFlow flow, TcpState from, TcpState to) {
        if (from.halfOpen() && !to.halfOpen()) {
            halfOpenFlows.remove(flow);
        } else if (!from.halfOpen() && to.halfOpen()) {
            halfOpenFlows.add(flow);
        }
        if (from == TcpState.TIME_WAIT) {
            timeWaitFlows.remove(flow);
        }
        if (to == TcpState.TIME_WAIT) {
            timeWaitFlows.add(flow);
        }
    }

    /** Flows whose handshake has not completed. */
    int halfOpen() {
        return halfOpenFlows.size();
    }

    /**
     * Ends the half-open flow that has waited longest, with a RST to the guest for its
     * SYN, to make room for a new one (see {@link TcpConnector}'s decisions).
     *
     * @return false if no flow was half-open
     */
    boolean evictOldestHalfOpen(long now) {
        TcpFlow f = halfOpenFlows.oldest();
        if (f == null) {
            return false;
        }
        counters.increment(TcpCounter.HALF_OPEN_EVICTED);
        f.abort(now, true);
        return true;
    }

    /**
     * Ends the oldest TIME_WAIT flow to make room for a new one (the guest has closed
     * it; only a lost final ACK could still need it).
     *
     * @return false if no flow was in TIME_WAIT
     */
    boolean recycleTimeWait(long now) {
        TcpFlow f = timeWaitFlows.oldest();
        if (f == null) {
            return false;
        }
        counters.increment(TcpCounter.TIME_WAIT_RECYCLED);
        f.abort(now, false);
        return true;
    }

    // ---------------------------------------------------------------- memory

    /**
     * Remembers a flow the memory budget held back (a window capped or host reads paused)
     * and asks the budget to say when memory frees.
     */
    void waitForMemory(TcpFlow flow) {
        if (!flow.schedule.waitingForMemory && !flow.isRemoved()) {
            flow.schedule.waitingForMemory = true;
            waitingForMemory.add(flow);
        }
        flow.memory.waitForMemory();
    }

    /** Memory freed: every waiting flow tries again, oldest first; those still short wait again. */
    private void memoryFreed() {
        wakeScheduled = false;
        List<TcpFlow> now = waitingForMemory;
        waitingForMemory = waking;
        waking = now;
        long t = ctx.nanoTime();
        for (int i = 0; i < now.size(); i++) {
            TcpFlow f = now.get(i);
            f.schedule.waitingForMemory = false;
            f.memoryFreed(t);
        }
        now.clear();
    }

    /** Flows waiting for the memory budget (for tests). */
    int waitingForMemory() {
        return waitingForMemory.size();
    }

    // ---------------------------------------------------------------- guest writability

    /** Remembers a flow that stopped sending because the guest transport was full. */
    void blockedOnGuest(TcpFlow flow) {
        if (!flow.schedule.blockedOnGuest) {
            flow.schedule.blockedOnGuest = true;
            blockedOnGuest.add(flow);
        }
    }

    /**
     * {@code port}'s transport drained: lets the flows blocked on it send and read
     * again; flows of other ports keep waiting for theirs.
     */
    void guestWritable(GuestPort port, long now) {
        if (blockedOnGuest.isEmpty()) {
            return;
        }
        // The flows of this port, taken out in order; flows resuming may block again
        // (re-adding themselves) or end.
        List<TcpFlow> waiting = new ArrayList<>();
        for (int i = 0; i < blockedOnGuest.size(); ) {
            TcpFlow f = blockedOnGuest.get(i);
            if (f.port == port || f.port == null) {
                blockedOnGuest.remove(i);
                f.schedule.blockedOnGuest = false;
                waiting.add(f);
            } else {
                i++;
            }
        }
        for (int i = 0; i < waiting.size(); i++) {
            TcpFlow f = waiting.get(i);
            if (!f.guestWritable()) {
                // Full again: the rest keep waiting, in their order.
                for (int j = i; j < waiting.size(); j++) {
                    if (!waiting.get(j).isRemoved()) {
                        blockedOnGuest(waiting.get(j));
                    }
                }
                return;
            }
            f.guestWritable(now);
        }
    }
}
