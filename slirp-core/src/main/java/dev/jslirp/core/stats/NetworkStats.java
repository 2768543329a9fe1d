package dev.jslirp.core.stats;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * All counters of one guest network: the core's frame counts and drop reasons, and
 * the counter sets services register under their own names ({@code "dhcp"},
 * {@code "nat.tcp"}...).
 */
public final class NetworkStats {
    /** Frame and byte counts of the core. */
    public enum Traffic {
        /** Frames received from the guest. */
        FRAMES_FROM_GUEST,
        /** Bytes of those frames. */
        BYTES_FROM_GUEST,
        /** Frames sent to the guest. */
        FRAMES_TO_GUEST,
        /** Bytes of those frames. */
        BYTES_TO_GUEST,
        /** ARP requests answered. */
        ARP_REPLIES,
        /** Valid ARP from the guest acted on: requests answered, replies and announcements learned. */
        ARP_ACCEPTED,
        /** ARP requests sent to resolve a guest address. */
        ARP_REQUESTS,
        /** ICMP echo requests answered by the network itself. */
        ECHO_REPLIES,
        /** Packets a service took. */
        SERVICE_HANDLED,
        /** Fragments stored to wait for the rest of their datagram. */
        FRAGMENTS_QUEUED,
        /** Datagrams reassembled from fragments. */
        REASSEMBLED,
        /** Outbound datagrams fragmented to the MTU. */
        FRAGMENTED,
        /** ICMP and ICMPv6 errors sent to the guest. */
        ICMP_ERRORS,
        /** Neighbour advertisements sent in answer to the guest's solicitations (IPv6's ARP replies). */
        NDP_ADVERTISEMENTS,
        /** Neighbour solicitations sent to resolve a guest address. */
        NDP_SOLICITATIONS,
        /** Valid neighbour discovery from the guest acted on: solicitations answered, advertisements learned, DAD probes seen. */
        NDP_ACCEPTED,
        /** Router advertisements sent (periodic and solicited). */
        ROUTER_ADVERTISEMENTS,
        /** Frames copied from one guest's port to another's by the switch. */
        FRAMES_SWITCHED,
        /** Bytes of those frames. */
        BYTES_SWITCHED,
        /** Frames for a MAC on the sender's own port, which the switch does not carry. */
        SWITCH_FILTERED,
        /** Frames held while their source MAC was another port's that was closing (a reconnect). */
        SWITCH_HELD,
    }

    private final Counters<DropReason> drops = new Counters<>(DropReason.class);
    private final Counters<Traffic> traffic = new Counters<>(Traffic.class);
    private final Map<String, Counters<?>> services = new ConcurrentHashMap<>();
    private final Map<String, LatencyHistogram> latencies = new ConcurrentHashMap<>();

    /** Frames dropped by the core, by reason. */
    public Counters<DropReason> drops() {
        return drops;
    }

    /** Frame and byte counts. */
    public Counters<Traffic> traffic() {
        return traffic;
    }

    /**
     * The counter set registered under {@code name}, created on first use.
     *
     * @throws IllegalArgumentException if {@code name} is taken by another enum type
     */
    @SuppressWarnings("unchecked")
    public <E extends Enum<E>> Counters<E> service(String name, Class<E> type) {
        Counters<?> c = services.computeIfAbsent(name, n -> new Counters<>(type));
        if (c.type() != type) {
            throw new IllegalArgumentException("counter set '" + name + "' already holds " + c.type());
        }
        return (Counters<E>) c;
    }

    /** The latency histogram registered under {@code name} ({@code "nat.tcp.host_connect"}), created on first use. */
    public LatencyHistogram latency(String name) {
        return latencies.computeIfAbsent(name, n -> new LatencyHistogram());
    }

    /** The counter sets registered by services, by name; for monitoring. */
    public Map<String, Counters<?>> services() {
        return Map.copyOf(services);
    }

    /** The latency histograms registered, by name; for monitoring. */
    public Map<String, LatencyHistogram> latencies() {
        return Map.copyOf(latencies);
    }

    /**
     * Frames from the guest that are accounted for: each one is dropped under exactly
     * one reason, or taken by ARP, the echo responder, reassembly or a service. At least
     * {@link Traffic#FRAMES_FROM_GUEST} once the network is idle (a test invariant); more
     * only when queued fragments were later dropped with their datagram, which counts
     * the datagram's drop on top of the fragments' queuing.
     */
    public long framesAccountedFor() {
        return drops.total() + traffic.get(Traffic.ARP_ACCEPTED) + traffic.get(Traffic.NDP_ACCEPTED)
                + traffic.get(Traffic.ECHO_REPLIES) + traffic.get(Traffic.FRAGMENTS_QUEUED)
                + traffic.get(Traffic.SERVICE_HANDLED);
    }

    /** Every non-zero counter as {@code set.NAME -> value}, for logs and the control API. */
    public Map<String, Long> snapshot() {
        Map<String, Long> m = new LinkedHashMap<>();
        traffic.snapshot().forEach((k, v) -> m.put("traffic." + k, v));
        drops.snapshot().forEach((k, v) -> m.put("drop." + k, v));
        services.forEach((name, c) -> c.snapshot().forEach((k, v) -> m.put(name + "." + k, v)));
        return m;
    }
}
