package dev.jslirp.transport.tap;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.config.PortOptions;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.GuestTransport;
import dev.jslirp.transport.LinkBuffers;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * jslirp serving a Linux tap device instead of a QEMU socket, as slirp4netns and
 * pasta do: whatever uses the tap (a network namespace, a container, a bridge) gets
 * the user-mode network, the same engine a QEMU guest gets.
 *
 * <h2>Start-up, step by step</h2>
 * <ol>
 *   <li>With {@code --netns}: a new thread enters the namespace with {@code setns(2)}
 *       ({@link NetworkNamespace}); steps 2 to 4 run on it, so the tap and the
 *       configuration land in the namespace. Without: on the calling thread, in
 *       jslirp's own namespace.</li>
 *   <li>Open or create the tap, non-blocking ({@link TapDevice}).</li>
 *   <li>Set its MTU to the network's ({@link NetworkConfig#mtu()}) and bring it up
 *       ({@link LinkControl}, {@code SIOCSIFMTU} and {@code SIOCSIFFLAGS}: what
 *       {@code ip link set tap0 mtu 1500 up} does). For a persistent tap jslirp did
 *       not create in its own namespace, this is best effort: a tap the user owns can
 *       be attached without CAP_NET_ADMIN, and then the user configures it.</li>
 *   <li>With {@code --netns-static}: address {@code dhcpstart/prefix} and a default
 *       route via the gateway ({@code SIOCSIFADDR}, {@code SIOCSIFNETMASK},
 *       {@code SIOCADDRT}). Otherwise the address is left to a DHCP client in the
 *       namespace ({@code udhcpc -i tap0}, {@code dhclient tap0}); jslirp's DHCP
 *       server answers it. DNS ({@code /etc/resolv.conf}) belongs to the mount
 *       namespace, not the network one, so it is the namespace user's to set
 *       (nameserver 10.0.2.3 by default) or the DHCP client's script.</li>
 *   <li>Back on the calling thread: register the descriptor with the network's epoll
 *       event loop ({@link TapLink}) and attach the network.</li>
 * </ol>
 * Steps 2 to 4 are {@link TapSetup#open()}. A {@link Source} given to the constructor
 * replaces steps 1 to 4: the slirp4netns mode has a helper process inside the namespace
 * do them when the JVM may not enter it (a user namespace), and receives the descriptor.
 *
 * <p>The network's event loop must be Netty's native epoll loop
 * ({@code --io epoll}, the default on Linux): the tap is an {@code EpollIoHandle} on it.
 * Needs root, or CAP_NET_ADMIN (and CAP_SYS_ADMIN to enter a namespace) in the
 * namespace's user namespace: see {@link TapErrors} for the messages.
 *
 * <h2>Lifetime</h2>
 * <p>The tap stays attached until {@link #close()}, until its namespace is gone
 * ({@code ip netns delete}, or the process named by PID exited; checked once a second,
 * since the tap itself keeps the namespace alive), or until it disappears (deleted):
 * then the network is detached and {@link #ended()} completes, successfully but for a
 * lost tap. A tap jslirp created disappears when jslirp closes it.
 */
public final class TapTransport implements GuestTransport {
    private static final Logger LOG = LoggerFactory.getLogger(TapTransport.class);
    /** How often {@link #watchNamespace} looks. */
    private static final long NAMESPACE_CHECK_SECONDS = 1;

    private final GuestNetwork network;
    private final TapOptions options;
    private final LinkBuffers buffers;
    private final Promise<Void> ended;
    private final Source source;
    /** The smallest link MTU that carries IPv6 (RFC 8200 section 5); Linux turns IPv6 off below it. */
    private static final int IPV6_MIN_MTU = 1280;
    /** What {@code --netns-static} set, once started with it. */
    private volatile StaticAddresses staticAddresses;
    private final PortOptions portOptions;
    /** Set once started; read by {@link #close()} and the accessors from any thread. */
    private volatile TapLink link;
    private volatile TapDevice device;

    /** A transport for {@code network}, whose event loop must be an epoll loop; nothing opens before {@link #start()}. */
    public TapTransport(GuestNetwork network, TapOptions options, LinkBuffers buffers) {
        this(network, options, buffers, null);
    }

    /**
     * A transport whose tap comes from {@code source} (null: opened as {@code options}
     * say). {@code options} still name the tap and the namespace to watch.
     */
    public TapTransport(GuestNetwork network, TapOptions options, LinkBuffers buffers, Source source) {
        this(network, options, buffers, source, PortOptions.named("tap"));
    }

    /**
     * As {@link #TapTransport(GuestNetwork, TapOptions, LinkBuffers, Source)}, the tap's
     * port of the network treated as {@code portOptions} say (its name is the tap's).
     */
    public TapTransport(GuestNetwork network, TapOptions options, LinkBuffers buffers, Source source,
                        PortOptions portOptions) {
        this.portOptions = Objects.requireNonNull(portOptions, "portOptions");
        this.network = Objects.requireNonNull(network, "network");
        this.options = Objects.requireNonNull(options, "options");
        this.buffers = Objects.requireNonNull(buffers, "buffers");
        this.ended = network.eventLoop().newPromise();
        this.source = source != null ? source : this::openAsOptionsSay;
    }

    /**
     * Where the transport gets its opened, configured tap from: by default
     * {@link TapSetup#open()} in jslirp's namespace or on a thread that entered
     * {@code --netns}; the slirp4netns mode also has a helper process open it.
     */
    @FunctionalInterface
    public interface Source {
        /** Opens and configures the tap; blocks; not on the event loop. */
        OpenedTap open() throws IOException;
    }

    /**
     * Opens and configures the tap (in the namespace, if any), then attaches it to the
     * network on its event loop. Blocks until done; not on the event loop.
     *
     * @throws IOException if the loop is not epoll, or the namespace or tap cannot be
     *                     opened or configured; the message says what is missing.
     *                     Nothing is left open then.
     */
    @Override
    public void start() throws IOException {
        if (link != null) {
            throw new IllegalStateException("started already");
        }
        EventLoop loop = network.eventLoop();
        if (!(loop instanceof IoEventLoop ioLoop) || !ioLoop.isCompatible(TapLink.class)) {
            throw new IOException("a tap needs Netty's native epoll event loop (--io epoll); this network runs on "
                    + loop.getClass().getSimpleName());
        }
        if (options.netns() != null && options.netns().isCurrent()) {
            throw new IOException(options.netns() + " is jslirp's own network namespace, not a separate one: "
                    + "refusing to configure the host's networking (give the PID of a process inside the namespace, "
                    + "or use --tap for a tap here)");
        }
        Object namespace = options.netns() == null ? null : options.netns().identity();
        OpenedTap o = source.open();
        attach(ioLoop, o.device(), o.readMtu());
        if (namespace != null) {
            watchNamespace(namespace);
        }
    }

    /**
     * Once a second, off the event loop, checks that the namespace is still there; when
     * it is gone ({@code ip netns delete}, or the process it was named by exited) the
     * tap is closed and {@link #ended()} completes. The tap's descriptor itself keeps
     * the namespace alive, so the kernel would never tell.
     */
    private void watchNamespace(Object identity) {
        TapLink l = link;
        CompletableFuture.runAsync(() -> {
            if (ended.isDone()) {
                return;
            }
            if (options.netns().isStill(identity)) {
                watchNamespace(identity);
                return;
            }
            try {
                network.eventLoop().execute(() -> {
                    if (!ended.isDone()) {
                        LOG.info("{} is gone; closing {}", options.netns(), ifname());
                        l.close();
                    }
                });
            } catch (RejectedExecutionException e) {
                // The loop has shut down and closed the link itself.
            }
        }, CompletableFuture.delayedExecutor(NAMESPACE_CHECK_SECONDS, TimeUnit.SECONDS));
    }

    /**
     * Step 5: registers {@code dev} with the loop and attaches the network; closes
     * {@code dev} on failure. Package-private for tests that stand a socket pair in
     * for a tap.
     */
    void attach(IoEventLoop ioLoop, TapDevice dev, int readMtu) throws IOException {
        boolean offload = options.offload() && dev.vnetHeader();
        if (offload) {
            try {
                dev.enableOffloads();
            } catch (IOException e) {
                LOG.warn("{}; frames go to and from it one by one, as with --tap-offload off", e.getMessage());
                offload = false;
            }
        }
        attach(ioLoop, dev, readMtu, offload);
    }

    /**
     * Step 5 once the offloads are settled: {@code offload} true if the tap takes and
     * gives super-frames. Package-private for tests whose socket pair cannot take the
     * ioctl but can carry virtio-net headers.
     */
    void attach(IoEventLoop ioLoop, TapDevice dev, int readMtu, boolean offload) throws IOException {
        TapLink l = new TapLink(dev, offload, network, buffers, readMtu, portOptions.withName(describe()), cause -> {
            if (cause == null) {
                ended.trySuccess(null);
            } else {
                ended.tryFailure(cause);
            }
        });
        Future<IoRegistration> reg = ioLoop.register(l).awaitUninterruptibly();
        if (!reg.isSuccess()) {
            dev.close();
            throw new IOException("cannot register " + dev + " with the event loop: " + reg.cause(), reg.cause());
        }
        Future<?> started = ioLoop.submit(() -> {
            try {
                l.start(reg.getNow());
            } catch (RuntimeException e) {
                l.close();
                throw e;
            }
        }).awaitUninterruptibly();
        if (!started.isSuccess()) {
            throw new IOException("cannot attach " + dev + " to the network: " + started.cause().getMessage(),
                    started.cause());
        }
        this.device = dev;
        this.link = l;
        LOG.debug("attached to {} (read buffer {} bytes per frame, offloads {})", describe(), l.frameCapacity(),
                offload ? "on" : "off");
    }

    /** Steps 2 to 5 of the start-up, on a thread in the right namespace. */
    private OpenedTap openAsOptionsSay() throws IOException {
        NetworkConfig cfg = network.config();
        TapSetup setup = TapSetup.link(options.ifname(), cfg.mtu()).withIpv6(new NamespaceIpv6(cfg));
        if (options.netns() == null) {
            return setup.withLinkOptional().open();
        }
        if (options.staticAddress()) {
            StaticAddresses a = StaticAddresses.of(cfg);
            if (a.ipv4() != null) {
                setup = setup.withAddress(a.ipv4().ipv4(), cfg.netmask(), a.ipv4Gateway().ipv4());
            }
        }
        return options.netns().call(setup::open);
    }

    /**
     * Steps 3 and 5 for IPv6: the sysctls before the link comes up ({@link Ipv6Sysctls}),
     * and {@code --netns-static}'s IPv6 address and default route if the tap can have
     * IPv6 (see the warning); what was set is remembered for {@link #guestHint()}.
     */
    private final class NamespaceIpv6 implements TapSetup.Ipv6 {
        private final NetworkConfig cfg;

        NamespaceIpv6(NetworkConfig cfg) {
            this.cfg = cfg;
        }

        @Override
        public boolean beforeUp(TapDevice dev) {
            int mtu = cfg.mtu();
            Ipv6Sysctls.State ipv6 = Ipv6Sysctls.forTap(cfg, options, !dev.persistent()).apply(dev.name());
            boolean usable = ipv6 == Ipv6Sysctls.State.ON && mtu >= IPV6_MIN_MTU;
            if (options.netns() != null && cfg.ipv6() && !usable) {
                LOG.warn("{} gets no IPv6: {}", dev.name(), ipv6 != Ipv6Sysctls.State.ON ? ipv6.why()
                        : "its MTU " + mtu + " is below IPv6's minimum of " + IPV6_MIN_MTU
                        + " (RFC 8200 section 5), so the kernel keeps IPv6 off on it");
            }
            return usable;
        }

        @Override
        public void afterAddress(LinkControl control, String ifname, boolean usable) throws IOException {
            if (!options.staticAddress() || options.netns() == null) {
                return;
            }
            StaticAddresses a = StaticAddresses.of(cfg);
            if (a.ipv6() == null || !usable) {
                staticAddresses = a.withoutIpv6();
                return;
            }
            control.ipv6Address(ifname, a.ipv6(), a.ipv6PrefixLength());
            control.ipv6DefaultRoute(ifname, a.ipv6Gateway());
            staticAddresses = a;
        }
    }

    /**
     * Completes on the event loop when the tap has ended: successfully when closed,
     * with the cause when it was lost (deleted, its namespace destroyed).
     */
    public Future<Void> ended() {
        return ended;
    }

    /** The interface's name as the kernel reported it (a {@code %d} pattern filled in), once started. */
    public String ifname() {
        return device != null ? device.name() : options.ifname();
    }

    /** The options the transport was made with. */
    public TapOptions options() {
        return options;
    }

    /** A tap has no socket address: null. */
    @Override
    public Endpoint endpoint() {
        return null;
    }

    /** No QEMU attaches to the tap jslirp holds: an empty list. */
    @Override
    public List<String> qemuNetdevs(String id) {
        return List.of();
    }

    @Override
    public String activity() {
        return "serving " + describe();
    }

    /**
     * What the user runs to configure the interface, for the start-up log: the DHCP
     * client command in the namespace, or what {@code --netns-static} set.
     */
    @Override
    public String attachHint(String id) {
        String name = ifname();
        NetworkConfig cfg = network.config();
        String dns = cfg.ipv4() ? Ipv4Address.toString(cfg.dns()) : cfg.ipv6Dns().toString();
        if (options.staticAddress()) {
            StaticAddresses set = staticAddresses != null ? staticAddresses : StaticAddresses.of(cfg);
            return name + " has " + set.describe() + "; use nameserver " + dns;
        }
        String slaac = "IPv6 by SLAAC from jslirp's router advertisements (" + cfg.ipv6Prefix() + "/"
                + cfg.ipv6PrefixLength() + ", default route via " + cfg.routerLinkLocal() + ")";
        if (!cfg.ipv4()) {
            return name + " gets " + slaac + "; nameserver " + dns;
        }
        String inside = "";
        if (options.netns() != null) {
            String ipName = options.netns().ipNetnsName();
            inside = ipName != null ? "ip netns exec " + ipName + " " : "nsenter --net=" + options.netns().path() + " ";
        }
        return "get its address by DHCP: " + inside + "udhcpc -i " + name + " (or dhclient " + name
                + "); nameserver " + dns + (options.netns() != null && cfg.ipv6() ? "; " + slaac : "");
    }

    /** Closes the tap (a tap jslirp created disappears) and detaches the network; blocks until done. Not on the event loop. */
    @Override
    public void close() {
        TapLink l = link;
        if (l == null) {
            return;
        }
        try {
            network.eventLoop().submit(l::close).syncUninterruptibly();
        } catch (RejectedExecutionException e) {
            // The loop has shut down, and closed the link as it did.
        }
    }

    /** The tap and where it is, e.g. {@code tap tap0 in network namespace /run/netns/ns1}. */
    public String describe() {
        String where = options.netns() != null ? " in " + options.netns() : "";
        String kind = device == null ? "" : device.persistent() ? " (persistent)" : " (removed when jslirp exits)";
        return "tap " + ifname() + where + kind;
    }

    @Override
    public String toString() {
        return describe();
    }
}
