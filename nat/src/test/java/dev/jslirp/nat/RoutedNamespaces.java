package dev.jslirp.nat;

import com.sun.jna.Library;
import com.sun.jna.Native;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.spi.HostChannels;
import dev.jslirp.core.testkit.VirtualGuest;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Two network namespaces the test creates, so the NAT's host sockets can meet a real
 * router, unreachable routes and hosts without any packet leaving the machine: the NAT's
 * event loop runs inside {@code host}, whose only way out is a veth pair to {@code router}.
 *
 * <pre>
 *   host (the NAT's sockets)                          router (forwarding on)
 *   lo 127.0.0.1, ::1                                  lo
 *   h0 198.51.100.1/24, 2001:db8:1::1/64  &lt;-- veth --&gt;  r0 198.51.100.254/24, 2001:db8:1::fe/64
 *   203.0.113.0/24, 2001:db8:2::/63 via the router      203.0.113.0/25, 2001:db8:2::/64: unreachable
 *   198.18.0.0/16, 2001:db8:ee::/48: unreachable        203.0.113.128/25, 2001:db8:2:1::/64: out of
 *   nothing else: 198.19.0.1, 2001:db8:ff::1 have no route     f0, a veth whose other end f1 drops
 *                                                        it (a MAC nobody has, a static neighbour)
 * </pre>
 *
 * All addresses are reserved for documentation (RFC 5737, RFC 3849) or benchmarking
 * (RFC 2544): nothing real uses them, and no route leads out. The router answers what it
 * cannot forward with ICMP (unreachable, time exceeded) without rate limit.
 *
 * <h2>Running the NAT inside</h2>
 * <p>A socket belongs to the namespace of the thread that creates it, for good.
 * {@link #guest} builds a network whose event loop thread enters {@code host} before it runs
 * anything ({@link #inside}: a wrapper of the I/O handler whose {@code initialize()} calls
 * {@code setns(2)}), so every socket the NAT opens lives there; the test's own peers are made
 * there with {@link #call}. Needs root; fails, not skips, without it.
 */
public final class RoutedNamespaces implements AutoCloseable {
    /** The host namespace's address on the link. */
    public static final String HOST = "198.51.100.1";
    /** The router's address: a real host one hop away. */
    public static final String ROUTER = "198.51.100.254";
    /** Behind the router, which has an unreachable route to it: ICMP host unreachable from the router. */
    public static final String BEHIND_ROUTER = "203.0.113.5";
    /**
     * Beyond the router, which forwards to it where it is lost: silence, or time exceeded
     * from the router for a datagram whose time to live runs out there.
     */
    public static final String FAR_AWAY = "203.0.113.200";
    /** An unreachable route in the host namespace itself: EHOSTUNREACH at once. */
    public static final String LOCAL_UNREACHABLE = "198.18.0.5";
    /** No route at all: ENETUNREACH. */
    public static final String NO_ROUTE = "198.19.0.1";
    /** IPv6 counterparts. */
    public static final String HOST6 = "2001:db8:1::1";
    public static final String ROUTER6 = "2001:db8:1::fe";
    public static final String BEHIND_ROUTER6 = "2001:db8:2::5";
    public static final String FAR_AWAY6 = "2001:db8:2:1::5";
    public static final String LOCAL_UNREACHABLE6 = "2001:db8:ee::5";
    public static final String NO_ROUTE6 = "2001:db8:ff::1";

    private final String host;
    private final String router;

    private RoutedNamespaces(String host, String router) {
        this.host = host;
        this.router = router;
    }

    /** Creates both namespaces and the link; {@code pingGroupRange} is the host namespace's sysctl. */
    public static RoutedNamespaces create(String pingGroupRange) {
        requireRoot();
        String suffix = Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 28);
        RoutedNamespaces ns = new RoutedNamespaces("jslirp-nat-h" + suffix, "jslirp-nat-r" + suffix);
        try {
            run("ip", "netns", "add", ns.host);
            run("ip", "netns", "add", ns.router);
            String hv = "jnh" + suffix;
            String rv = "jnr" + suffix;
            run("ip", "-n", ns.host, "link", "add", hv, "type", "veth", "peer", "name", rv, "netns", ns.router);
            for (String[] c : new String[][] {
                {"link", "set", "lo", "up"},
                {"addr", "add", HOST + "/24", "dev", hv},
                {"-6", "addr", "add", HOST6 + "/64", "dev", hv, "nodad"},
                {"link", "set", hv, "up"},
                {"route", "add", "203.0.113.0/24", "via", ROUTER},
                {"-6", "route", "add", "2001:db8:2::/63", "via", ROUTER6},
                {"route", "add", "unreachable", "198.18.0.0/16"},
                {"-6", "route", "add", "unreachable", "2001:db8:ee::/48"}}) {
                run(ns.ip(ns.host, c));
            }
            for (String[] c : new String[][] {
                {"link", "set", "lo", "up"},
                {"addr", "add", ROUTER + "/24", "dev", rv},
                {"-6", "addr", "add", ROUTER6 + "/64", "dev", rv, "nodad"},
                {"link", "set", rv, "up"},
                {"link", "add", "f0", "type", "veth", "peer", "name", "f1"},
                {"link", "set", "f0", "up"},
                {"link", "set", "f1", "up"},
                {"route", "add", "unreachable", "203.0.113.0/25"},
                {"route", "add", "203.0.113.128/25", "dev", "f0"},
                {"neigh", "add", FAR_AWAY, "lladdr", "02:00:00:00:00:01", "dev", "f0", "nud", "permanent"},
                {"-6", "route", "add", "unreachable", "2001:db8:2::/64"},
                {"-6", "route", "add", "2001:db8:2:1::/64", "dev", "f0"},
                {"-6", "neigh", "add", FAR_AWAY6, "lladdr", "02:00:00:00:00:01", "dev", "f0", "nud", "permanent"}}) {
                run(ns.ip(ns.router, c));
            }
            ns.sysctl(ns.host, "net.ipv4.ping_group_range=" + pingGroupRange);
            ns.sysctl(ns.router, "net.ipv4.ip_forward=1");
            ns.sysctl(ns.router, "net.ipv6.conf.all.forwarding=1");
            ns.sysctl(ns.router, "net.ipv4.icmp_ratelimit=0");
            ns.sysctl(ns.router, "net.ipv6.icmp.ratelimit=0");
            return ns;
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
    }

    private String[] ip(String netns, String[] args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "-n", netns));
        cmd.addAll(List.of(args));
        return cmd.toArray(new String[0]);
    }

    private void sysctl(String netns, String setting) {
        run("ip", "netns", "exec", netns, "sysctl", "-q", "-w", setting);
    }

    /** A network on its own event loop inside the host namespace (epoll or NIO), with {@code services}. */
    public VirtualGuest guest(boolean epoll, NetworkConfig config, GuestService... services) {
        return epoll
                ? VirtualGuest.onRealLoop(config, inside(EpollIoHandler.newFactory()), EpollTestChannels.HOST_CHANNELS,
                        services)
                : VirtualGuest.onRealLoop(config, inside(NioIoHandler.newFactory()), HostChannels.nio(), services);
    }

    /** {@code io}, its event loop thread moved into the host namespace before it runs anything. */
    public IoHandlerFactory inside(IoHandlerFactory io) {
        Path netns = Path.of("/run/netns", host);
        return executor -> new InNamespace(io.newHandler(executor), netns);
    }

    /** Runs {@code task} on a fresh thread inside the host namespace (to make the test's peers there). */
    public <T> T call(Callable<T> task) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                enter(Path.of("/run/netns", host));
                result.complete(task.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "in-" + host);
        t.start();
        try {
            return result.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("in namespace " + host, e);
        }
    }

    /** Deletes both namespaces (the veth pair goes with them). */
    @Override
    public void close() {
        runQuietly("ip", "netns", "del", host);
        runQuietly("ip", "netns", "del", router);
    }

    /** True while either namespace exists (for the test's clean-up check). */
    public boolean exists() {
        return Files.exists(Path.of("/run/netns", host)) || Files.exists(Path.of("/run/netns", router));
    }

    // ---------------------------------------------------------------- helpers

    private static void requireRoot() {
        try {
            String uid = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                    .findFirst().orElse("Uid: ?").split("\\s+")[1];
            if (!uid.equals("0")) {
                throw new AssertionError("the test must run as root (as CI does): it creates network namespaces "
                        + "(ip netns add); this JVM runs as uid " + uid);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out.strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", cmd), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", cmd), e);
        }
    }

    private static void runQuietly(String... cmd) {
        try {
            run(cmd);
        } catch (RuntimeException ignored) {
            // clean-up: best effort, checked by exists()
        }
    }

    /** Moves the calling thread into the namespace at {@code netns} (setns(2) with CLONE_NEWNET). */
    static void enter(Path netns) {
        Netns libc = Netns.INSTANCE;
        int fd = libc.open(netns.toString(), 0);
        if (fd < 0) {
            throw new IllegalStateException("cannot open " + netns + ": errno " + Native.getLastError());
        }
        try {
            if (libc.setns(fd, 0x40000000) != 0) {
                throw new IllegalStateException("setns(" + netns + "): errno " + Native.getLastError());
            }
        } finally {
            libc.close(fd);
        }
    }

    /** The three libc calls that enter a namespace. */
    interface Netns extends Library {
        Netns INSTANCE = Native.load("c", Netns.class);

        int open(String path, int flags);

        int close(int fd);

        int setns(int fd, int nstype);
    }

    /** An I/O handler whose thread enters a namespace first. */
    private static final class InNamespace implements IoHandler {
        private final IoHandler delegate;
        private final Path netns;

        InNamespace(IoHandler delegate, Path netns) {
            this.delegate = delegate;
            this.netns = netns;
        }

        @Override
        public void initialize() {
            enter(netns);
            delegate.initialize();
        }

        @Override
        public int run(IoHandlerContext context) {
            return delegate.run(context);
        }

        @Override
        public void prepareToDestroy() {
            delegate.prepareToDestroy();
        }

        @Override
        public void destroy() {
            delegate.destroy();
        }

        @Override
        public IoRegistration register(IoHandle handle) throws Exception {
            return delegate.register(handle);
        }

        @Override
        public void wakeup() {
            delegate.wakeup();
        }

        @Override
        public boolean isCompatible(Class<? extends IoHandle> handleType) {
            return delegate.isCompatible(handleType);
        }
    }
}
