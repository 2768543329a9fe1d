package dev.jslirp;

import dev.jslirp.autoconf.Dhcpv6Server;
import dev.jslirp.autoconf.RouterAdvertiser;
import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.config.PortOptions;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.spi.HostChannels;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.dhcp.DhcpConfig;
import dev.jslirp.dhcp.DhcpServer;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.dns.DnsService;
import dev.jslirp.dns.GuestNames;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.NatService;
import dev.jslirp.nat.HostTarget;
import dev.jslirp.nat.guestfwd.CommandLauncher;
import dev.jslirp.nat.guestfwd.GuestForwards;
import dev.jslirp.nat.linux.NativeSockets;
import dev.jslirp.process.PosixCommandLauncher;
import dev.jslirp.smb.SmbConfig;
import dev.jslirp.smb.SmbShare;
import dev.jslirp.tftp.TftpConfig;
import dev.jslirp.tftp.TftpService;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The default jslirp network, assembled: the core ({@link GuestNetwork}) with the DHCP
 * server, with IPv6 on the router advertisements and the stateless DHCPv6 server, the DNS
 * service (which answers the guests' names the DHCP server registers in their shared
 * {@link GuestNames}), the TFTP server if one is configured, and the NAT, in that order (the
 * TFTP server takes UDP to the host address on its own ports before the NAT would take it
 * to the host's loopback). The NAT's guest forwards' server addresses are announced to the
 * core as service addresses; their commands run on a {@link PosixCommandLauncher} on
 * epoll; an {@code smb=} share ({@link SmbShare}) lives and goes with the network. The one
 * entry point for library users:
 *
 * <pre>{@code
 * try (JslirpNetwork net = JslirpNetwork.builder().build()) {
 *     GuestPort port = net.attach(new FrameSink() {
 *         public void send(ByteBuf frame) {   // a frame for the guest, on the event loop:
 *             try {                            // this sink owns it and must release it
 *                 deliver(frame);
 *             } finally {
 *                 frame.release();
 *             }
 *         }
 *
 *         public void flush() {                // once per event-loop turn
 *         }
 *     });
 *     net.receiveFromGuest(port, frame);       // a frame from the guest; jslirp releases it
 * }
 * }</pre>
 *
 * <p>For tests, {@code jslirp-testkit}'s {@code JslirpExtension} and {@code Guest} do this
 * (and DHCP, TCP and UDP as a guest) for you.
 *
 * <p>Without an event loop of its own choosing, the network runs on a private
 * single-threaded NIO loop that {@link #close()} shuts down.
 */
public final class JslirpNetwork implements AutoCloseable {
    private final GuestNetwork guest;
    private final DhcpServer dhcp;
    private final GuestNames names;
    private final NatService nat;
    private final EventLoopGroup ownedGroup;
    private final SmbShare smb;

    private JslirpNetwork(GuestNetwork guest, DhcpServer dhcp, GuestNames names, NatService nat,
                          EventLoopGroup ownedGroup, SmbShare smb) {
        this.guest = guest;
        this.dhcp = dhcp;
        this.names = names;
        this.nat = nat;
        this.ownedGroup = ownedGroup;
        this.smb = smb;
    }

    /** A builder with QEMU's defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** The core network, for services, stats and neighbours. */
    public GuestNetwork guest() {
        return guest;
    }

    /** The DHCP server, for its lease table ({@link DhcpServer#activeLeases()}, on the event loop). */
    public DhcpServer dhcp() {
        return dhcp;
    }

    /** The guests' DNS names from their DHCP leases (on the event loop). */
    public GuestNames names() {
        return names;
    }

    /**
     * The NAT, for port forwards at run time ({@link NatService#tcp()},
     * {@link NatService#udp()}) and its connection table ({@link NatService#connections});
     * null if built {@link Builder#withoutNat()}.
     */
    public NatService nat() {
        return nat;
    }

    /** The event loop the whole network runs on. */
    public EventLoop eventLoop() {
        return guest.eventLoop();
    }

    /** Attaches a guest whose frames go to {@code sink}: a new port; see {@link GuestNetwork#attach(FrameSink)}. */
    public GuestPort attach(FrameSink sink) {
        return guest.attach(sink);
    }

    /** Attaches a guest as a port treated as {@code options} say; see {@link GuestNetwork#attach(FrameSink, PortOptions)}. */
    public GuestPort attach(FrameSink sink, PortOptions options) {
        return guest.attach(sink, options);
    }

    /** Detaches one guest; see {@link GuestNetwork#detach(GuestPort)}. */
    public void detach(GuestPort port) {
        guest.detach(port);
    }

    /** Detaches every guest; see {@link GuestNetwork#detach()}. */
    public void detach() {
        guest.detach();
    }

    /** Takes one frame from the (first) guest and releases it; see {@link GuestNetwork#receiveFromGuest(ByteBuf)}. */
    public void receiveFromGuest(ByteBuf frame) {
        guest.receiveFromGuest(frame);
    }

    /** Takes one frame from the guest on {@code port} and releases it; see {@link GuestNetwork#receiveFromGuest(GuestPort, ByteBuf)}. */
    public void receiveFromGuest(GuestPort port, ByteBuf frame) {
        guest.receiveFromGuest(port, frame);
    }

    /** Counters of the network and its services. */
    public NetworkStats stats() {
        return guest.stats();
    }

    /**
     * Closes the network (its services stop, the commands of its guest forwards end, an
     * {@code smb=} share's private directory is removed) and, if it created one, its
     * event loop.
     */
    @Override
    public void close() {
        try {
            guest.close().syncUninterruptibly();
        } finally {
            if (smb != null) {
                smb.close();
            }
            if (ownedGroup != null) {
                ownedGroup.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
            }
        }
    }

    /** Builds a {@link JslirpNetwork}. */
    public static final class Builder {
        private NetworkConfig network = NetworkConfig.defaults();
        private DhcpConfig dhcp = DhcpConfig.defaults();
        private DnsConfig dns = DnsConfig.defaults();
        private boolean dnsService = true;
        private boolean natService = true;
        private NatConfig nat = NatConfig.defaults();
        private TftpConfig tftp;
        private EventLoop eventLoop;
        private HostChannels hostChannels = HostChannels.nio();
        private ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        private CommandLauncher launcher;
        private SmbConfig smb;

        private Builder() {
        }

        /** Addressing and limits of the virtual network. */
        public Builder network(NetworkConfig config) {
            this.network = Objects.requireNonNull(config);
            return this;
        }

        /** The DHCP server's configuration. */
        public Builder dhcp(DhcpConfig config) {
            this.dhcp = Objects.requireNonNull(config);
            return this;
        }

        /** The DNS service's configuration. */
        public Builder dns(DnsConfig config) {
            this.dns = Objects.requireNonNull(config);
            return this;
        }

        /**
         * No DNS service at the DNS address: the guest's queries there go unanswered
         * (slirp4netns's {@code --disable-dns}, libslirp's {@code disable_dns}).
         */
        public Builder withoutDns() {
            this.dnsService = false;
            return this;
        }

        /**
         * No NAT: the guests reach the network's own services and each other, nothing on the
         * host or beyond (no connections out, no port forwards, no guest forwards), and
         * {@link JslirpNetwork#nat()} is null. For a network that may open no host socket,
         * such as one on a frozen test clock (jslirp-testkit's {@code JslirpExtension.frozenClock()}).
         * {@link #build()} then refuses a NAT configuration with forwards, or an {@code smb=} share.
         */
        public Builder withoutNat() {
            this.natService = false;
            return this;
        }

        /** The NAT's configuration. */
        public Builder nat(NatConfig config) {
            this.nat = Objects.requireNonNull(config);
            return this;
        }

        /**
         * Serves {@code config}'s directory over TFTP at the host address, as QEMU's
         * {@code tftp=DIR}; null (the default) for no TFTP server, when UDP to the host
         * address's port 69 goes through the NAT like any other.
         */
        public Builder tftp(TftpConfig config) {
            this.tftp = config;
            return this;
        }

        /**
         * Runs the network on {@code loop}, opening host sockets with {@code channels}
         * (which must match the loop's I/O handler). The caller owns the loop.
         */
        public Builder eventLoop(EventLoop loop, HostChannels channels) {
            this.eventLoop = Objects.requireNonNull(loop);
            this.hostChannels = Objects.requireNonNull(channels);
            return this;
        }

        /**
         * Runs the commands of {@code cmd:} guest forwards ({@code guestfwd=}, {@code smb=})
         * with {@code launcher}, which the network closes when it closes. By default, on
         * Netty's epoll transport with JNA on the class path (both optional dependencies),
         * a {@link PosixCommandLauncher} is made when the NAT has such forwards; elsewhere
         * they refuse the start.
         */
        public Builder commandLauncher(CommandLauncher launcher) {
            this.launcher = launcher;
            return this;
        }

        private static CommandLauncher defaultLauncher(NatConfig nat, EventLoop loop) {
            boolean commands = nat.guestForwards().stream().anyMatch(f -> f.target() instanceof HostTarget.Command);
            // The launcher needs epoll (its pipes are epoll channels) and JNA (posix_spawn):
            // both optional dependencies of this module, so it is asked for only when in use.
            return commands && NativeSockets.isEpollLoop(loop) ? new PosixCommandLauncher() : null;
        }

        /** The buffer allocator. */
        public Builder alloc(ByteBufAllocator alloc) {
            this.alloc = Objects.requireNonNull(alloc);
            return this;
        }

        /**
         * Shares a directory with the guest as QEMU's {@code smb=} does (null, the default:
         * none): a private smbd per connection to the server's ports 139 and 445, which
         * needs Netty's epoll transport (see {@link SmbShare}).
         */
        public Builder smb(SmbConfig config) {
            this.smb = config;
            return this;
        }

        /**
         * Assembles and starts the network.
         *
         * @throws dev.jslirp.core.config.ConfigException if a service cannot start (a
         *         forward cannot listen, a guest forward does not fit the network...)
         */
        public JslirpNetwork build() {
            if (!natService) {
                refuseWhatNeedsTheNat();
            }
            SmbShare share = smb == null ? null : SmbShare.create(smb);
            EventLoopGroup owned = null;
            try {
                NatConfig natConfig = share == null ? nat : nat.toBuilder().addGuestForwards(share.forwards()).build();
                EventLoop loop = eventLoop;
                if (loop == null) {
                    owned = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
                    loop = owned.next();
                }
                JslirpNetwork n = build(loop, natConfig, owned, share);
                owned = null;
                share = null;
                return n;
            } finally {
                if (share != null) {
                    share.close();
                }
                if (owned != null) {
                    owned.shutdownGracefully(0, 2, TimeUnit.SECONDS);
                }
            }
        }

        private void refuseWhatNeedsTheNat() {
            List<String> needing = new ArrayList<>();
            nat.forwards().forEach(f -> needing.add("hostfwd=" + f));
            nat.guestForwards().forEach(f -> needing.add("guestfwd=" + f));
            if (smb != null) {
                needing.add("smb=");
            }
            if (!needing.isEmpty()) {
                throw new ConfigException(needing.get(0).substring(0, needing.get(0).indexOf('=')),
                        "a network without NAT cannot serve " + String.join(", ", needing) + ": forwards are the NAT's");
            }
        }

        private JslirpNetwork build(EventLoop loop, NatConfig nat, EventLoopGroup owned, SmbShare share) {
            GuestNames guestNames = new GuestNames(dhcp.domainName());
            DhcpServer dhcpServer = new DhcpServer(dhcp, guestNames);
            NatService natService = !this.natService ? null
                    : new NatService(nat, launcher != null ? launcher : defaultLauncher(nat, loop)).locator(guest -> {
                    // Forwards that follow a VM: by its MAC's lease, or its lease's host name.
                    int a = guest.contains(":") ? dhcpServer.addressOf(MacAddress.parse(guest))
                            : dhcpServer.addressOfHost(guest);
                    return a == 0 ? null : IpAddress.ipv4(a);
                });
            GuestNetwork.Builder b = GuestNetwork.builder(loop)
                    .config(GuestForwards.announce(network, nat.guestForwards()))
                    .alloc(alloc)
                    .hostChannels(hostChannels)
                    .service(dhcpServer);
            if (network.ipv6()) {
                // IPv6's counterparts of DHCP, from the same configuration (dnssearch=, bootfile=).
                b.service(new RouterAdvertiser(dhcp)).service(new Dhcpv6Server(dhcp));
            }
            if (dnsService) {
                b.service(new DnsService(dns, guestNames));
            }
            if (tftp != null) {
                b.service(new TftpService(tftp));
            }
            if (natService != null) {
                b.service(natService);
            }
            GuestNetwork g = b.build();
            return new JslirpNetwork(g, dhcpServer, guestNames, natService, owned, share);
        }
    }
}
