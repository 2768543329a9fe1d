package dev.jslirp.slirp4netns;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.dhcp.DhcpConfig;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.tap.TapOptions;
import dev.jslirp.transport.tap.TapSetup;
import dev.jslirp.transport.tap.TapTransport;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One running slirp4netns-compatible network: jslirp's network on an epoll event loop,
 * the tap in the target namespace as its guest ({@link TapTransport}, opened as
 * {@link NamespaceTarget} decides), and the API socket if asked for. {@link #close()}
 * takes them down in the reverse order.
 *
 * <p>What slirp4netns's options become: {@code --cidr} the network (gateway + 2, DNS + 3,
 * DHCP from + 15: {@link SlirpAddresses}), {@code --mtu} the network's and the tap's
 * MTU, {@code --disable-host-loopback} the NAT's host-loopback rule,
 * {@code --disable-dns} a network without the DNS service, {@code --outbound-addr} and
 * {@code --outbound-addr6} the NAT's outbound addresses, {@code --enable-ipv6} IPv6 on
 * slirp4netns's fd00::/64 (the namespace's kernel configures itself from jslirp's router
 * advertisements, as with slirp4netns), {@code --configure} and {@code --macaddress} the tap's setup
 * in the namespace ({@link TapSetup}: the recommended address + 100, a default route via
 * the gateway, {@code lo} up).
 */
final class Slirp4netns implements AutoCloseable {
    /** QEMU's and libslirp's DHCP server: 16 addresses from + 15. */
    private static final DhcpConfig DHCP = DhcpConfig.defaults();
    /** slirp4netns's IPv6 network with {@code -6}: its prefix, router and DNS. */
    static final String IPV6_NET = "fd00::/64";
    static final String IPV6_HOST = "fd00::2";
    static final String IPV6_DNS = "fd00::3";

    private final Slirp4netnsOptions options;
    private final EventLoopGroup group;
    private final JslirpNetwork network;
    private final TapTransport transport;
    private final ApiServer api;

    private Slirp4netns(Slirp4netnsOptions options, EventLoopGroup group, JslirpNetwork network,
                        TapTransport transport, ApiServer api) {
        this.options = options;
        this.group = group;
        this.network = network;
        this.transport = transport;
        this.api = api;
    }

    /**
     * Starts the network, opens the tap and binds the API socket. Blocks; nothing is left
     * running on failure.
     *
     * @throws IOException saying what could not be opened or bound
     */
    static Slirp4netns start(Slirp4netnsOptions options) throws IOException {
        if (!IoTransport.EPOLL.isAvailable()) {
            throw new IOException("the slirp4netns mode needs Netty's native epoll transport (Linux): "
                    + IoTransport.EPOLL.unavailabilityReason());
        }
        EventLoopGroup group = IoTransport.EPOLL.newEventLoopGroup(1);
        JslirpNetwork network = null;
        TapTransport transport = null;
        try {
            EventLoop loop = group.next();
            SlirpAddresses a = options.addresses();
            NetworkConfig.Builder net = NetworkConfig.builder().net(a.network(), a.prefix()).host(a.gateway())
                    .dns(a.dns()).dhcpStart(a.dhcpStart()).mtu(options.mtu())
                    .hostLoopback(!options.disableHostLoopback()).ipv6(options.ipv6());
            if (options.ipv6()) {
                // slirp4netns's fixed IPv6 network, whatever --cidr says.
                net.ipv6Net(IPV6_NET).ipv6Host(IPV6_HOST).ipv6Dns(IPV6_DNS);
            }
            NatConfig.Builder nat = NatConfig.builder();
            if (options.outboundAddress() != null) {
                nat.outboundAddress(options.outboundAddress());
            }
            if (options.outboundAddress6() != null) {
                nat.outboundAddress(options.outboundAddress6());
            }
            JslirpNetwork.Builder b = JslirpNetwork.builder().network(net.build()).dhcp(DHCP).nat(nat.build())
                    .eventLoop(loop, IoTransport.EPOLL.hostChannels());
            if (options.disableDns()) {
                b.withoutDns();
            }
            network = b.build();
            transport = new TapTransport(network.guest(),
                    TapOptions.inNamespace(options.target().namespace(), options.tapName(), false),
                    LinkBuffers.DEFAULT, options.target().source(tapSetup(options), loop));
            transport.start();
            ApiServer api = options.apiSocket() == null ? null
                    : ApiServer.start(network, new ApiCommands(network, a.recommended()), options.apiSocket());
            return new Slirp4netns(options, group, network, transport, api);
        } catch (IOException | RuntimeException e) {
            closeInOrder(transport, network, group);
            throw e;
        }
    }

    /** What is done to the tap in the namespace. */
    static TapSetup tapSetup(Slirp4netnsOptions options) {
        TapSetup setup = TapSetup.link(options.tapName(), options.mtu());
        if (options.configure()) {
            SlirpAddresses a = options.addresses();
            setup = setup.withLoopbackUp().withAddress(a.recommended(), a.netmask(), a.gateway());
        }
        return options.mac() == -1 ? setup : setup.withMac(options.mac());
    }

    /** The network. */
    JslirpNetwork network() {
        return network;
    }

    /** The tap transport, whose {@link TapTransport#ended()} says when the namespace is gone. */
    TapTransport transport() {
        return transport;
    }

    /**
     * What slirp4netns prints when it starts ({@code parent()} in its main.c), line by
     * line, for the user's log.
     */
    List<String> startupLines() {
        SlirpAddresses a = options.addresses();
        List<String> l = new ArrayList<>();
        l.add("Starting slirp (jslirp)");
        l.add("* MTU:             " + options.mtu());
        l.add("* Network:         " + Ipv4Address.toString(a.network()));
        l.add("* Netmask:         " + Ipv4Address.toString(a.netmask()));
        l.add("* Gateway:         " + Ipv4Address.toString(a.gateway()));
        l.add("* DNS:             " + Ipv4Address.toString(a.dns()) + (options.disableDns() ? " (disabled)" : ""));
        l.add("* DHCP begin:      " + Ipv4Address.toString(a.dhcpStart()));
        l.add("* DHCP end:        " + Ipv4Address.toString(a.dhcpStart() + DHCP.poolSize() - 1));
        l.add("* Recommended IP:  " + Ipv4Address.toString(a.recommended()));
        if (options.apiSocket() != null) {
            l.add("* API Socket:      " + options.apiSocket());
        }
        if (options.ipv6()) {
            l.add("* IPv6 network:    " + IPV6_NET + " (router " + IPV6_HOST + ", DNS " + IPV6_DNS
                    + (options.disableDns() ? " (disabled)" : "") + ", addresses by SLAAC)");
        }
        if (options.outboundAddress() != null) {
            l.add("* Outbound IPv4:    " + options.outboundAddress().getHostAddress());
        }
        if (options.outboundAddress6() != null) {
            l.add("* Outbound IPv6:    " + IpAddress.of(options.outboundAddress6()));
        }
        if (options.mac() != -1) {
            l.add("* MAC address:     " + MacAddress.toString(options.mac()));
        }
        l.add("* Tap:             " + transport.describe());
        if (!options.disableHostLoopback()) {
            l.add("WARNING: 127.0.0.1:* on the host is accessible as " + Ipv4Address.toString(a.gateway())
                    + " (set --disable-host-loopback to prohibit connecting to 127.0.0.1:*)");
        }
        return l;
    }

    /** Closes the API socket, the tap, the network and the loop; blocks until done. */
    @Override
    public void close() {
        closeInOrder(api, transport, network, group);
    }

    /**
     * Closes each part that is there, in order, going on past a failure and throwing the
     * first at the end: an event loop group is shut down and awaited.
     */
    private static void closeInOrder(Object... parts) {
        RuntimeException first = null;
        for (Object part : parts) {
            try {
                if (part instanceof EventLoopGroup g) {
                    g.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
                } else if (part instanceof AutoCloseable c) {
                    c.close();
                }
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
