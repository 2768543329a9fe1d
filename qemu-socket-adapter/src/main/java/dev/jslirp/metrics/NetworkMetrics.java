package dev.jslirp.metrics;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.buffer.MemoryBudget;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.stats.LatencyHistogram;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.nat.NatService;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetric;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import io.netty.channel.EventLoop;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Takes {@link MetricsSnapshot}s of one network.
 *
 * <h2>Threading</h2>
 * <p>Counters are written on the event loop and readable from any thread
 * ({@link Counters}, {@link LatencyHistogram}): monitoring costs the frame path nothing.
 * The gauges (flows, leases, bytes held) are read from tables that live on the loop, so a
 * snapshot is taken on the loop: {@link #snapshotOnLoop()} there (the control socket),
 * {@link #snapshot(Duration)} from anywhere else (a scrape), which hands one task to the
 * loop and waits. A scrape thus costs the loop one short task (a walk of the TCP flows
 * for the bytes they hold), never a lock.
 *
 * <h2>What is measured</h2>
 * <ul>
 *   <li>every counter set of the network's stats, zeros included;</li>
 *   <li>gauges: TCP flows and those still connecting, bytes the TCP flows hold, UDP
 *       flows, DHCP leases and pool size, fragments' bytes held for reassembly, whether a
 *       guest is attached and how many (the switch's ports), the memory budget's use, limit,
 *       high-water mark and refusals ({@code --max-memory}), and the buffer pool's direct
 *       and heap memory;</li>
 *   <li>latencies: the host connect behind a guest's SYN (the wait a new TCP connection
 *       adds for the guest: a slow or unreachable host shows here before anything else)
 *       and the upstream DNS answer behind a guest's query (the wait for every name the
 *       guest resolves); both where the NAT and the DNS forwarder record them.</li>
 * </ul>
 */
public final class NetworkMetrics {
    private static final Map<String, String> LATENCY_HELP = Map.of(
            "nat.tcp.host_connect", "Guest SYN to host connect completed, per TCP connection the guest opens",
            "dns.upstream", "Guest query forwarded to upstream answer relayed, per DNS query over UDP");

    private final JslirpNetwork network;

    /** Metrics of {@code network}. */
    public NetworkMetrics(JslirpNetwork network) {
        this.network = Objects.requireNonNull(network, "network");
    }

    /**
     * A snapshot taken on the event loop, waiting for it up to {@code timeout}. Not on the loop.
     *
     * @throws TimeoutException if the loop did not get to it in time
     */
    public MetricsSnapshot snapshot(Duration timeout) throws TimeoutException, InterruptedException {
        EventLoop loop = network.eventLoop();
        try {
            return loop.submit(this::snapshotOnLoop).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("metrics snapshot failed", e.getCause());
        }
    }

    /** A snapshot; call on the event loop. */
    public MetricsSnapshot snapshotOnLoop() {
        NetworkStats stats = network.stats();
        Map<String, Map<String, Long>> counters = new LinkedHashMap<>();
        counters.put("traffic", all(stats.traffic()));
        counters.put("drop", all(stats.drops()));
        new TreeMap<>(stats.services()).forEach((name, c) -> counters.put(name, all(c)));

        NatService nat = network.nat();
        List<MetricsSnapshot.Gauge> gauges = new ArrayList<>();
        gauges.add(new MetricsSnapshot.Gauge("tcp_flows", "TCP connections in the NAT's table, any state",
                nat.tcp().flowCount()));
        gauges.add(new MetricsSnapshot.Gauge("tcp_half_open", "TCP connections waiting for the host's connect",
                nat.tcp().halfOpenCount()));
        gauges.add(new MetricsSnapshot.Gauge("tcp_buffered_bytes",
                "Bytes the TCP flows hold: unacknowledged, out of order, not yet taken by host sockets",
                nat.tcp().bufferedBytes()));
        gauges.add(new MetricsSnapshot.Gauge("udp_flows", "UDP flows in the NAT's table", nat.udp().flowCount()));
        gauges.add(new MetricsSnapshot.Gauge("udp_host_sockets",
                "Host sockets of guest UDP ports (--udp-filtering endpoint: one per guest port)",
                nat.udp().endpointSocketCount()));
        gauges.add(new MetricsSnapshot.Gauge("icmp_sessions", "Echo sessions to other hosts (guest address and "
                + "identifier)", nat.icmp().sessionCount()));
        gauges.add(new MetricsSnapshot.Gauge("dhcp_leases", "DHCP leases held", network.dhcp().activeLeases().size()));
        gauges.add(new MetricsSnapshot.Gauge("dhcp_pool_size", "Addresses in the DHCP pool", network.dhcp().poolSize()));
        gauges.add(new MetricsSnapshot.Gauge("reassembly_bytes", "Bytes of fragments held for reassembly",
                network.guest().reassemblyBytesHeld()));
        gauges.add(new MetricsSnapshot.Gauge("guest_attached", "1 while a guest (QEMU, a tap) is attached",
                network.guest().isGuestAttached() ? 1 : 0));
        gauges.add(new MetricsSnapshot.Gauge("guest_ports", "Guests attached: ports of the network's switch",
                network.guest().ports().size()));
        MemoryBudget memory = network.guest().memory();
        gauges.add(new MetricsSnapshot.Gauge("memory_bytes", "Bytes the network holds for its guests and peers "
                + "(flows' buffers, reassembly, queued datagrams, DNS queries), against --max-memory", memory.used()));
        gauges.add(new MetricsSnapshot.Gauge("memory_limit_bytes", "The network's memory ceiling (--max-memory)",
                memory.limit()));
        gauges.add(new MetricsSnapshot.Gauge("memory_high_water_bytes", "The most bytes the network held at once",
                memory.highWater()));
        gauges.add(new MetricsSnapshot.Gauge("memory_refusals", "Reservations the memory ceiling refused since the "
                + "start (each dropped or deferred where counted: nat.tcp, nat.udp, dns, drop)", memory.refusals()));
        ByteBufAllocator alloc = network.guest().alloc();
        if (alloc instanceof ByteBufAllocatorMetricProvider p) {
            ByteBufAllocatorMetric m = p.metric();
            gauges.add(new MetricsSnapshot.Gauge("buffer_direct_bytes",
                    "Direct memory of the buffer pool (shared by the process)", m.usedDirectMemory()));
            gauges.add(new MetricsSnapshot.Gauge("buffer_heap_bytes",
                    "Heap memory of the buffer pool (shared by the process)", m.usedHeapMemory()));
        }

        Map<String, MetricsSnapshot.Histogram> latencies = new TreeMap<>();
        stats.latencies().forEach((name, h) -> latencies.put(name, histogram(name, h)));
        return new MetricsSnapshot(counters, gauges, latencies);
    }

    private static <E extends Enum<E>> Map<String, Long> all(Counters<E> c) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (E e : c.type().getEnumConstants()) {
            m.put(e.name().toLowerCase(Locale.ROOT), c.get(e));
        }
        return m;
    }

    private static MetricsSnapshot.Histogram histogram(String name, LatencyHistogram h) {
        long[] bounds = LatencyHistogram.boundsNanos();
        double[] seconds = new double[bounds.length + 1];
        for (int i = 0; i < bounds.length; i++) {
            seconds[i] = bounds[i] / 1e9;
        }
        seconds[bounds.length] = Double.POSITIVE_INFINITY;
        return new MetricsSnapshot.Histogram(seconds, h.counts(), h.sumNanos() / 1e9,
                LATENCY_HELP.getOrDefault(name, "Latency of " + name));
    }
}
