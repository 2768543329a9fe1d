package dev.jslirp.cli;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.capture.CaptureLimits;
import dev.jslirp.capture.PacketCapture;
import dev.jslirp.control.ControlServer;
import dev.jslirp.control.Networks;
import dev.jslirp.metrics.MetricsServer;
import dev.jslirp.metrics.NetworkMetrics;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.dhcp.DhcpConfig;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.hostfwd.HostForward;
import dev.jslirp.smb.SmbConfig;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.GuestTransport;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.util.ArrayList;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running jslirp as the command line starts it: its networks, each on an event loop
 * of one group (sized to the cores when there are several networks, or may be: one loop
 * per network at most, networks spread round-robin), each with its transports; the
 * control socket, the packet capture and the metrics endpoint (these two belong to the
 * first network). {@link #close()} takes everything down in the reverse order (control,
 * networks with their transports, the loops), removing the unix socket files it created.
 *
 * <p>It is also the control socket's {@link Networks}: {@code network_add} starts a
 * network here (on a thread of its own, never on a loop: binding blocks) and
 * {@code network_remove} stops one.
 */
final class Jslirp implements AutoCloseable, Networks {
    private static final Logger LOG = LoggerFactory.getLogger(Jslirp.class);

    /** One network to start: its id (netdev id), settings and transports. */
    record NetworkPlan(String id, NetworkSettings.Configs configs, List<TransportSpec> transports) {
        /** Copies the transports. */
        NetworkPlan {
            transports = List.copyOf(transports);
        }
    }

    /** What to start: everything the command line decided. */
    record Plan(IoTransport io, List<NetworkPlan> networks, LinkBuffers buffers, Endpoint control, Capture capture,
                Endpoint.Inet metrics) {
        /** Copies the networks. */
        Plan {
            networks = List.copyOf(networks);
        }

        /** One network of one transport, without a control socket or metrics endpoint, capturing nothing. */
        Plan(IoTransport io, NetworkSettings.Configs configs, TransportSpec transport, String netdevId,
             LinkBuffers buffers) {
            this(io, List.of(new NetworkPlan(netdevId, configs, List.of(transport))), buffers, null,
                    new Capture(null, CaptureLimits.defaults()), null);
        }

        /** The first network's settings. */
        NetworkSettings.Configs configs() {
            return networks.get(0).configs();
        }

        /** The first network's first transport. */
        TransportSpec transport() {
            return networks.get(0).transports().get(0);
        }

        /** The first network's id. */
        String netdevId() {
            return networks.get(0).id();
        }
    }

    /** Packet capture: the file to capture to from the start (null: none) and the bounds of every capture. */
    record Capture(Path file, CaptureLimits limits) {
    }

    private final Plan plan;
    private final EventLoopGroup group;
    /** The networks by id, in the order started; guarded by itself. */
    private final Map<String, RunningNetwork> networks = new LinkedHashMap<>();
    private final RunningNetwork first;
    /** Starts and stops networks for the control socket, off the event loops. */
    private final ExecutorService admin = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "jslirp-admin");
        t.setDaemon(true);
        return t;
    });
    private ControlServer control;
    /** The networks close() stopped, for their final counters; guarded by {@code networks}. */
    private List<RunningNetwork> closedNetworks = List.of();
    private PacketCapture capture;
    private MetricsServer metrics;

    private Jslirp(Plan plan, EventLoopGroup group, RunningNetwork first) {
        this.plan = plan;
        this.group = group;
        this.first = first;
        networks.put(first.id(), first);
    }

    /**
     * Starts the networks and their transports, then the control socket and metrics.
     *
     * @throws IOException if something cannot bind; nothing is left running then
     */
    static Jslirp start(Plan plan) throws IOException {
        EventLoopGroup group = plan.io().newEventLoopGroup(loops(plan));
        Jslirp j = null;
        try {
            RunningNetwork first = RunningNetwork.start(plan.networks().get(0), group.next(), plan.io(), plan.buffers());
            j = new Jslirp(plan, group, first);
            for (NetworkPlan n : plan.networks().subList(1, plan.networks().size())) {
                j.startNetwork(n);
            }
            j.capture = new PacketCapture(first.network().guest(), plan.capture().limits());
            if (plan.capture().file() != null) {
                startCapture(j.capture, plan.capture().file());
            }
            if (plan.control() != null) {
                j.control = ControlServer.start(j, first.network().eventLoop(), plan.io(), plan.control(), j.capture);
            }
            if (plan.metrics() != null) {
                try {
                    j.metrics = MetricsServer.start(new NetworkMetrics(first.network()), plan.metrics());
                } catch (IOException e) {
                    throw new IOException("--metrics: " + e.getMessage(), e);
                }
            }
            return j;
        } catch (IOException | RuntimeException e) {
            if (j != null) {
                j.close();
            } else {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            }
            throw e;
        }
    }

    /**
     * Event loops: one per network up to the cores; as many as the cores when networks may
     * be added at run time (a control socket), since the group's size is fixed.
     */
    private static int loops(Plan plan) {
        int cores = Runtime.getRuntime().availableProcessors();
        return plan.control() != null && plan.networks().size() < cores ? cores
                : Math.max(1, Math.min(cores, plan.networks().size()));
    }

    /** Starts one more network on the next loop of the group; blocks. */
    private RunningNetwork startNetwork(NetworkPlan n) throws IOException {
        synchronized (networks) {
            if (networks.containsKey(n.id())) {
                throw new IllegalArgumentException("a network " + n.id() + " runs already");
            }
        }
        RunningNetwork r = RunningNetwork.start(n, group.next(), plan.io(), plan.buffers());
        synchronized (networks) {
            if (networks.putIfAbsent(n.id(), r) != null) {
                r.close();
                throw new IllegalArgumentException("a network " + n.id() + " runs already");
            }
        }
        return r;
    }

    // ---------------------------------------------------------------- Networks (control socket)

    @Override
    public List<Entry> list() {
        synchronized (networks) {
            List<Entry> out = new ArrayList<>();
            for (RunningNetwork r : networks.values()) {
                out.add(new Entry(r.id(), r.network(), r.transports().stream().map(GuestTransport::activity)
                        .collect(Collectors.joining("; "))));
            }
            return out;
        }
    }

    @Override
    public CompletableFuture<List<String>> add(String spec) {
        return CompletableFuture.supplyAsync(() -> {
            NetworkPlan n;
            try {
                n = NetworkSpec.parse(spec);
                for (TransportSpec t : n.transports()) {
                    t.checkSupported(plan.io());
                }
            } catch (CliException e) {
                throw new IllegalArgumentException(e.getMessage());
            }
            try {
                RunningNetwork r = startNetwork(n);
                List<String> lines = describe(r);
                lines.forEach(l -> LOG.info("{}", l));
                return lines;
            } catch (IOException e) {
                throw new IllegalArgumentException("network " + n.id() + ": " + e.getMessage());
            }
        }, admin);
    }

    @Override
    public CompletableFuture<Boolean> remove(String id) {
        return CompletableFuture.supplyAsync(() -> {
            RunningNetwork r;
            synchronized (networks) {
                r = networks.get(id);
                if (r == first) {
                    throw new IllegalArgumentException("network " + id + " has the capture, metrics and control "
                            + "socket; it stops with jslirp");
                }
                networks.remove(id);
            }
            if (r == null) {
                return false;
            }
            r.close();
            LOG.info("network {} removed", id);
            return true;
        }, admin);
    }

    // ---------------------------------------------------------------- accessors and start-up lines

    /** Starts the capture to {@code file} and waits until its file is open. */
    private static void startCapture(PacketCapture capture, Path file) throws IOException {
        try {
            capture.start(file).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            Throwable t = PacketCapture.unwrap(e);
            throw new IOException("--pcap: cannot capture to " + file + ": " + t.getMessage(), t);
        } catch (TimeoutException e) {
            throw new IOException("--pcap: cannot capture to " + file + ": opening it takes more than 30 s "
                    + "(a FIFO nobody reads?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("--pcap: interrupted", e);
        }
    }

    /** The packet capture. */
    PacketCapture capture() {
        return capture;
    }

    /** The first network. */
    JslirpNetwork network() {
        return first.network();
    }

    /** The first network's first transport. */
    GuestTransport transport() {
        return first.transports().get(0);
    }

    /** Every network's transports, the first network's first. */
    List<GuestTransport> transports() {
        List<GuestTransport> all = new ArrayList<>();
        synchronized (networks) {
            networks.values().forEach(r -> all.addAll(r.transports()));
        }
        return all;
    }

    /** The network {@code id}, or null. */
    JslirpNetwork network(String id) {
        synchronized (networks) {
            RunningNetwork r = networks.get(id);
            return r == null ? null : r.network();
        }
    }

    /**
     * What jslirp logs at start: first the one line saying where it is and the exact
     * QEMU arguments to use, then the legacy alternative if any, the other transports,
     * then the configuration; then each further network likewise, its lines prefixed with
     * its id.
     */
    List<String> startupLines() {
        String id = first.id();
        GuestTransport transport = transport();
        List<String> netdevs = transport.qemuNetdevs(id);
        List<String> lines = new ArrayList<>();
        lines.add("jslirp " + transport.activity() + " (" + plan.io().optionName() + "); " + transport.attachHint(id));
        for (int i = 1; i < netdevs.size(); i++) {
            lines.add("or, with QEMU's legacy socket backend: -netdev " + netdevs.get(i));
        }
        for (GuestTransport t : first.transports().subList(1, first.transports().size())) {
            lines.add("and " + t.activity() + "; " + t.attachHint(id));
        }
        lines.addAll(settingsLines("", first.plan().configs()));
        if (capture.file() != null) {
            lines.add("pcap: capturing to " + capture.file() + " (" + capture.limits().describe() + ")");
        }
        if (metrics != null) {
            lines.add("metrics: " + metrics.url() + " (Prometheus text format)");
        }
        if (control != null) {
            lines.add("control: " + control.endpoint() + " (hostfwd_add, hostfwd_remove, info usernet|leases|ports|"
                    + "networks|stats [json], network_add, network_remove, pcap start|stop; e.g. "
                    + control.clientHint() + ")");
        }
        List<RunningNetwork> others;
        synchronized (networks) {
            others = new ArrayList<>(networks.values());
        }
        for (RunningNetwork r : others) {
            if (r != first) {
                lines.addAll(describe(r));
            }
        }
        return lines;
    }

    /** The lines describing a network added at run time: where it serves, and its settings. */
    private List<String> describe(RunningNetwork r) {
        List<String> lines = new ArrayList<>();
        for (GuestTransport t : r.transports()) {
            lines.add("network " + r.id() + ": " + t.activity() + "; " + t.attachHint(r.id()));
        }
        lines.addAll(settingsLines(r.id() + " ", r.plan().configs()));
        return lines;
    }

    private static List<String> settingsLines(String prefix, NetworkSettings.Configs c) {
        List<String> lines = new ArrayList<>();
        lines.add(prefix + "network: " + c.network());
        lines.add(prefix + "dhcp: " + describe(c.dhcp(), c.network().dhcpStart()));
        lines.add(prefix + "dns: " + describe(c.dns()));
        lines.add(prefix + "nat: " + describe(c.nat()));
        if (c.tftp() != null) {
            lines.add(prefix + "tftp: " + c.tftp().root() + " at the host address, port 69");
        }
        if (c.smb() != null) {
            lines.add(prefix + "smb: " + c.smb().dir() + " as share '" + SmbConfig.SHARE + "' at "
                    + (c.smb().server() == null ? "the network's .2.4" : c.smb().server()) + ", ports 139 and 445, "
                    + "with " + c.smb().smbd());
        }
        return lines;
    }

    private static String describe(DhcpConfig d, int start) {
        StringBuilder s = new StringBuilder();
        s.append(d.poolSize()).append(" addresses from ").append(Ipv4Address.toString(start))
                .append(", lease ").append(d.leaseTime().toSeconds()).append(" s");
        if (d.hostname() != null) {
            s.append(", hostname=").append(d.hostname());
        }
        if (d.domainName() != null) {
            s.append(", domainname=").append(d.domainName());
        }
        if (!d.dnsSearch().isEmpty()) {
            s.append(", dnssearch=").append(String.join(",", d.dnsSearch()));
        }
        if (d.tftpServerName() != null) {
            s.append(", tftp-server-name=").append(d.tftpServerName());
        }
        if (d.bootfile() != null) {
            s.append(", bootfile=").append(d.bootfile());
        }
        if (!d.staticLeases().isEmpty()) {
            s.append(", ").append(d.staticLeases().size()).append(" static lease(s)");
        }
        return s.toString();
    }

    private static String describe(DnsConfig d) {
        String up = d.upstreams().isEmpty() ? "upstreams from " + d.resolvConf()
                : "upstreams " + d.upstreams().stream().map(a -> a.getHostString() + ":" + a.getPort())
                        .collect(Collectors.joining(", "));
        return up + (d.records().isEmpty() ? "" : ", " + d.records().size() + " local record(s)");
    }

    private static String describe(NatConfig n) {
        String fwd = n.forwards().isEmpty() ? "no hostfwd"
                : "hostfwd " + n.forwards().stream().map(HostForward::toString).collect(Collectors.joining(", "));
        if (!n.guestForwards().isEmpty()) {
            fwd += "; guestfwd " + n.guestForwards().stream().map(Object::toString).collect(Collectors.joining(", "));
        }
        return fwd + "; limits: " + n.maxTcpFlows() + " TCP flows (" + n.maxHalfOpen() + " half-open), "
                + n.maxUdpFlows() + " UDP flows, TCP buffer " + n.tcpBufferBytes() + " bytes";
    }

    /** Closes the control socket, the networks with their transports, and the loops; blocks until done. */
    @Override
    public void close() {
        if (metrics != null) {
            metrics.close();
        }
        try {
            if (control != null) {
                control.close();
            }
        } finally {
            try {
                List<RunningNetwork> all;
                synchronized (networks) {
                    all = new ArrayList<>(networks.values());
                    networks.clear();
                    closedNetworks = all;
                }
                if (capture != null) {
                    capture.close();
                }
                for (int i = all.size() - 1; i >= 0; i--) {
                    all.get(i).close();
                }
            } finally {
                admin.shutdownNow();
                group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
    }

    /** The counters of every network, each prefixed by its id when there are several. */
    Map<String, Long> counters() {
        Map<String, Long> all = new LinkedHashMap<>();
        synchronized (networks) {
            // after close(): the counters the networks ended with, which the exit log reports
            List<RunningNetwork> list = networks.isEmpty() ? closedNetworks : new ArrayList<>(networks.values());
            boolean several = list.size() > 1;
            for (RunningNetwork r : list) {
                r.network().stats().snapshot().forEach((k, v) -> all.put(several ? r.id() + "." + k : k, v));
            }
        }
        return all;
    }
}
