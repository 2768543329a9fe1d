package dev.jslirp.cli;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.capture.CaptureLimits;
import dev.jslirp.capture.PacketCapture;
import dev.jslirp.control.ControlServer;
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
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * One running jslirp as the command line starts it: an event loop, the network on it
 * and the transport to QEMU on the same loop. {@link #close()} takes them down in the
 * reverse order (transport, network, loop), removing a unix socket file it created.
 */
final class Jslirp implements AutoCloseable {
    /** What to start: everything the command line decided. */
    record Plan(IoTransport io, NetworkSettings.Configs configs, TransportSpec transport, String netdevId,
                LinkBuffers buffers, Endpoint control, Capture capture, Endpoint.Inet metrics) {
        /** A plan without a control socket or metrics endpoint, capturing nothing at start. */
        Plan(IoTransport io, NetworkSettings.Configs configs, TransportSpec transport, String netdevId,
             LinkBuffers buffers) {
            this(io, configs, transport, netdevId, buffers, null, new Capture(null, CaptureLimits.defaults()), null);
        }
    }

    /** Packet capture: the file to capture to from the start (null: none) and the bounds of every capture. */
    record Capture(Path file, CaptureLimits limits) {
    }

    private final Plan plan;
    private final EventLoopGroup group;
    private final JslirpNetwork network;
    private final GuestTransport transport;
    private final ControlServer control;
    private final PacketCapture capture;
    private final MetricsServer metrics;

    private Jslirp(Plan plan, EventLoopGroup group, JslirpNetwork network, GuestTransport transport,
                   ControlServer control, PacketCapture capture, MetricsServer metrics) {
        this.plan = plan;
        this.group = group;
        this.network = network;
        this.transport = transport;
        this.control = control;
        this.capture = capture;
        this.metrics = metrics;
    }

    /**
     * Starts the network and its transport.
     *
     * @throws IOException if the transport cannot bind; nothing is left running then
     */
    static Jslirp start(Plan plan) throws IOException {
        EventLoopGroup group = plan.io().newEventLoopGroup(1);
        JslirpNetwork network = null;
        GuestTransport transport = null;
        ControlServer control = null;
        PacketCapture capture = null;
        MetricsServer metrics = null;
        try {
            EventLoop loop = group.next();
            NetworkSettings.Configs c = plan.configs();
            network = JslirpNetwork.builder()
                    .network(c.network()).dhcp(c.dhcp()).dns(c.dns()).nat(c.nat()).tftp(c.tftp()).smb(c.smb())
                    .eventLoop(loop, plan.io().hostChannels())
                    .build();
            capture = new PacketCapture(network.guest(), plan.capture().limits());
            if (plan.capture().file() != null) {
                startCapture(capture, plan.capture().file());
            }
            transport = plan.transport().create(network.guest(), plan.io(), plan.buffers());
            transport.start();
            if (plan.control() != null) {
                control = ControlServer.start(network, plan.netdevId(), plan.io(), plan.control(), capture);
            }
            if (plan.metrics() != null) {
                try {
                    metrics = MetricsServer.start(new NetworkMetrics(network), plan.metrics());
                } catch (IOException e) {
                    throw new IOException("--metrics: " + e.getMessage(), e);
                }
            }
            return new Jslirp(plan, group, network, transport, control, capture, metrics);
        } catch (IOException | RuntimeException e) {
            if (metrics != null) {
                metrics.close();
            }
            if (control != null) {
                control.close();
            }
            if (transport != null) {
                transport.close();
            }
            if (capture != null) {
                capture.close();
            }
            if (network != null) {
                network.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            throw e;
        }
    }

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

    /** The network. */
    JslirpNetwork network() {
        return network;
    }

    /** The transport. */
    GuestTransport transport() {
        return transport;
    }

    /**
     * What jslirp logs at start: first the one line saying where it is and the exact
     * QEMU arguments to use, then the legacy alternative if any, then the configuration.
     */
    List<String> startupLines() {
        String id = plan.netdevId();
        List<String> netdevs = transport.qemuNetdevs(id);
        List<String> lines = new ArrayList<>();
        lines.add("jslirp " + transport.activity() + " (" + plan.io().optionName() + "); " + transport.attachHint(id));
        for (int i = 1; i < netdevs.size(); i++) {
            lines.add("or, with QEMU's legacy socket backend: -netdev " + netdevs.get(i));
        }
        NetworkSettings.Configs c = plan.configs();
        lines.add("network: " + c.network());
        lines.add("dhcp: " + describe(c.dhcp(), c.network().dhcpStart()));
        lines.add("dns: " + describe(c.dns()));
        lines.add("nat: " + describe(c.nat()));
        if (c.tftp() != null) {
            lines.add("tftp: " + c.tftp().root() + " at the host address, port 69");
        }
        if (c.smb() != null) {
            lines.add("smb: " + c.smb().dir() + " as share '" + SmbConfig.SHARE + "' at "
                    + (c.smb().server() == null ? "the network's .2.4" : c.smb().server()) + ", ports 139 and 445, "
                    + "with " + c.smb().smbd());
        }
        if (capture.file() != null) {
            lines.add("pcap: capturing to " + capture.file() + " (" + capture.limits().describe() + ")");
        }
        if (metrics != null) {
            lines.add("metrics: " + metrics.url() + " (Prometheus text format)");
        }
        if (control != null) {
            lines.add("control: " + control.endpoint() + " (hostfwd_add, hostfwd_remove, info usernet, info stats [json], pcap start|stop; e.g. "
                    + control.clientHint() + ")");
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

    /** Closes the control socket, the transport, the network and the loop; blocks until done. */
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
                transport.close();
            } finally {
                try {
                    capture.close();
                    network.close();
                } finally {
                    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
                }
            }
        }
    }
}
