package dev.jslirp.nat.udp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.flow.FlowTable;
import dev.jslirp.nat.flow.IdleList;
import dev.jslirp.nat.flow.IdleTimer;
import java.util.ArrayList;
import java.util.List;

/**
 * Every live UDP flow of one guest: found by its tuple, bounded in number, closed when
 * idle.
 *
 * <h2>Theory of operation</h2>
 * <p>Flows are keyed by what the guest sees, {@code (guest ip:port, remote ip:port)},
 * in one {@link FlowTable}, so a guest datagram finds its flow with one allocation-free
 * lookup whether it belongs to a flow the guest opened ({@link OutboundFlow}) or to a
 * port-forward mapping a host peer opened ({@link ForwardMapping}).
 *
 * <p>Each kind has its own {@link IdleList} (least recently used first) and its own
 * bound, {@code maxUdpFlows}: host peers of a port forward cannot crowd out the
 * guest's own flows, nor the reverse. At the bound, the least recently used flow of
 * the kind is closed to make room ({@link UdpCounter#FLOWS_EVICTED},
 * {@link UdpCounter#FORWARD_MAPPINGS_EVICTED}) instead of refusing the new one: a guest
 * that sends from many ports (a resolver picking a random port per query) keeps
 * working, and the flow that goes is the one most likely dead already.
 *
 * <p>Idle timeout ({@code udpIdleTimeout}, re-armed by traffic either way): one
 * {@link IdleTimer} for both lists, one scheduled task at a time.
 */
final class FlowRegistry {
    private final Counters<UdpCounter> counters;
    private final int maxPerKind;
    private final FlowTable<UdpFlow> table = new FlowTable<>();
    private final IdleList<UdpFlow> outbound = new IdleList<>();
    private final IdleList<UdpFlow> mappings = new IdleList<>();
    private final IdleTimer idle;

    FlowRegistry(GuestContext ctx, Counters<UdpCounter> counters, int maxPerKind, long idleNanos) {
        this.counters = counters;
        this.maxPerKind = maxPerKind;
        this.idle = new IdleTimer(ctx, idleNanos);
        idle.watch(outbound, f -> close(f, UdpCounter.FLOWS_IDLE_CLOSED));
        idle.watch(mappings, f -> close(f, UdpCounter.FORWARD_MAPPINGS_IDLE_CLOSED));
    }

    /** The flow of guest datagram {@code p} (its addresses and UDP ports), or null; no allocation. */
    UdpFlow find(GuestPacket p) {
        return table.get(p.sourceHi(), p.sourceLo(), p.udp().sourcePort(), p.destinationHi(), p.destinationLo(),
                p.udp().destinationPort());
    }

    /** The flow of this tuple, or null; no allocation. */
    UdpFlow find(IpAddress guest, int guestPort, long remoteHi, long remoteLo, int remotePort) {
        return table.get(guest.hi(), guest.lo(), guestPort, remoteHi, remoteLo, remotePort);
    }

    /** True if no flow has this tuple. */
    boolean isFree(IpAddress guest, int guestPort, IpAddress remote, int remotePort) {
        return !table.contains(guest.hi(), guest.lo(), guestPort, remote.hi(), remote.lo(), remotePort);
    }

    /** Outbound flows open. */
    int outboundCount() {
        return outbound.size();
    }

    /** Port-forward mappings open. */
    int mappingCount() {
        return mappings.size();
    }

    /**
     * Up to {@code max} flows, copied: the guest's own flows, then the port-forward
     * mappings, each least recently used first. For listings that must stay bounded.
     */
    List<UdpFlow> first(int max) {
        List<UdpFlow> some = new ArrayList<>(Math.min(outbound.size() + mappings.size(), Math.max(0, max)));
        for (IdleList<UdpFlow> list : List.of(outbound, mappings)) {
            for (UdpFlow f = list.oldest(); f != null && some.size() < max; f = list.newer(f)) {
                some.add(f);
            }
        }
        return some;
    }

    /** True if the guest's own flows are at their bound (a new one would evict the least recently used). */
    boolean outboundFull() {
        return outbound.size() >= maxPerKind;
    }

    /** Registers a new outbound flow, closing the least recently used one at the bound. */
    void addOutbound(UdpFlow flow, long now) {
        add(flow, outbound, UdpCounter.FLOWS_EVICTED, now);
        counters.increment(UdpCounter.FLOWS_OPENED);
    }

    /** Registers a new port-forward mapping, closing the least recently used one at the bound. */
    void addMapping(ForwardMapping mapping, long now) {
        add(mapping, mappings, UdpCounter.FORWARD_MAPPINGS_EVICTED, now);
        counters.increment(UdpCounter.FORWARD_MAPPINGS_OPENED);
    }

    private void add(UdpFlow flow, IdleList<UdpFlow> list, UdpCounter evicted, long now) {
        if (list.size() >= maxPerKind) {
            close(list.oldest(), evicted);
        }
        table.put(flow.guest.hi(), flow.guest.lo(), flow.guestPort, flow.remote.hi(), flow.remote.lo(), flow.remotePort,
                flow);
        list.add(flow, now);
        idle.arm(now);
    }

    /** Marks traffic on {@code flow} at {@code now}. */
    @SuppressWarnings("unchecked")
    void touch(UdpFlow flow, long now) {
        if (!flow.closed) {
            ((IdleList<UdpFlow>) flow.list()).touch(flow, now);
        }
    }

    /** How long a flow lives without traffic. */
    long idleNanos() {
        return idle.idleNanos();
    }

    /** Unlinks {@code flow}, counts why under {@code reason} and releases its host resources. Idempotent. */
    @SuppressWarnings("unchecked")
    void close(UdpFlow flow, UdpCounter reason) {
        if (flow.closed) {
            return;
        }
        flow.closed = true;
        table.remove(flow.guest.hi(), flow.guest.lo(), flow.guestPort, flow.remote.hi(), flow.remote.lo(),
                flow.remotePort);
        ((IdleList<UdpFlow>) flow.list()).remove(flow);
        counters.increment(reason);
        flow.close();
    }

    /** Closes the flows and mappings of {@code port}'s guest (see {@link UdpFlow#endsWith}). */
    void closeOf(GuestPort port, boolean noneLeft) {
        for (IdleList<UdpFlow> list : List.of(outbound, mappings)) {
            UdpFlow f = list.oldest();
            while (f != null) {
                UdpFlow next = list.newer(f);
                if (f.endsWith(port, noneLeft)) {
                    close(f, UdpCounter.FLOWS_CLOSED_ADMIN);
                }
                f = next;
            }
        }
    }

    /** Closes every flow and mapping (the NAT stops). */
    void closeAll() {
        closeList(outbound);
        closeList(mappings);
        table.clear();
        idle.cancel();
    }

    private void closeList(IdleList<UdpFlow> list) {
        UdpFlow f;
        while ((f = list.oldest()) != null) {
            close(f, UdpCounter.FLOWS_CLOSED_ADMIN);
        }
    }
}
