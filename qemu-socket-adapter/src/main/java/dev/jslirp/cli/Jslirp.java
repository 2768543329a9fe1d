package dev.jslirp.cli;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.control.ControlServer;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.dhcp.DhcpConfig;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.hostfwd.HostForward;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.GuestTransport;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.tap.TapTransport;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One running jslirp as the command line starts it: an event loop, the network on it
 * and the transport to QEMU on the same loop. {@link #close()} takes them down in the
 * reverse order (transport, network, loop), removing a unix socket file it created.
 */
final class Jslirp implements AutoCloseable {
    /** What to start: everything the command line decided. */
    record Plan(IoTransport io, NetworkSettings.Configs configs, TransportSpec transport, String netdevId,
                LinkBuffers buffers, Endpoint control) {
        /** A plan without a control socket. */
        Plan(IoTransport io, NetworkSettings.Configs configs, TransportSpec transport, String netdevId,
             LinkBuffers buffers) {
            this(io, configs, transport, netdevId, buffers, null);
        }
    }

    private final Plan plan;
    private final EventLoopGroup group;
    private final JslirpNetwork network;
    private final GuestTransport transport;
    private final ControlServer control;

    private Jslirp(Plan plan, EventLoopGroup group, JslirpNetwork network, GuestTransport transport,
                   ControlServer control) {
        this.plan = plan;
        this.group = group;
        this.network = network;
        this.transport = transport;
        this.control = control;
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
        try {
            EventLoop loop = group.next();
            NetworkSettings.Configs c = plan.configs();
            network = JslirpNetwork.builder()
                    .network(c.network()).dhcp(c.dhcp()).dns(c.dns()).nat(c.nat()).tftp(c.tftp())
                    .eventLoop(loop, plan.io().hostChannels())
                    .build();
            transport = plan.transport().create(network.guest(), plan.io(), plan.buffers());
            transport.start();
            if (plan.control() != null) {
                control = ControlServer.start(network, plan.netdevId(), plan.io(), plan.control());
            }
            return new Jslirp(plan, group, network, transport, control);
        } catch (IOException | RuntimeException e) {
            if (control != null) {
                control.close();
            }
            if (transport != null) {
                transport.close();
            }
            if (network != null) {
                network.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            throw e;
        }
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
        String qemu = netdevs.isEmpty() ? "" : "-netdev " + netdevs.get(0) + " -device virtio-net-pci,netdev=" + id;
        String io = plan.io().optionName();
        List<String> lines = new ArrayList<>();
        TransportSpec spec = plan.transport();
        if (transport instanceof TapTransport tap) {
            lines.add("jslirp serving " + tap.describe() + " (" + io + "); " + tap.guestHint());
        } else if (spec instanceof TransportSpec.Listen) {
            lines.add("jslirp listening on " + transport.endpoint() + " (" + io + "); start QEMU with: " + qemu);
        } else if (spec instanceof TransportSpec.Connect c) {
            lines.add("jslirp connecting to QEMU at " + transport.endpoint() + " (" + io + ", retrying every "
                    + c.reconnectDelay().toMillis() + " ms); start QEMU with: " + qemu);
        } else {
            TransportSpec.Dgram d = (TransportSpec.Dgram) spec;
            lines.add("jslirp bound to " + transport.endpoint() + " (" + io + "), sending to "
                    + (d.remote() != null ? "QEMU at " + d.remote() : "the sender of the first datagram")
                    + "; start QEMU with: " + qemu);
        }
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
        if (control != null) {
            lines.add("control: " + control.endpoint() + " (hostfwd_add, hostfwd_remove, info usernet, info stats; e.g. "
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
        return fwd + "; limits: " + n.maxTcpFlows() + " TCP flows (" + n.maxHalfOpen() + " half-open), "
                + n.maxUdpFlows() + " UDP flows, TCP buffer " + n.tcpBufferBytes() + " bytes";
    }

    /** Closes the control socket, the transport, the network and the loop; blocks until done. */
    @Override
    public void close() {
        try {
            if (control != null) {
                control.close();
            }
        } finally {
            try {
                transport.close();
            } finally {
                try {
                    network.close();
                } finally {
                    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
                }
            }
        }
    }
}
