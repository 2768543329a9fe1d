package dev.jslirp.transport.tap;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.nat.NatConfig;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Map;

/**
 * A namespace the test made, served by jslirp as {@code jslirp --netns NS} would
 * ({@code tap0} created inside), with its address from busybox udhcpc ({@link #start})
 * or as {@code --netns-static} gives it, IPv6 too ({@link #startStatic}): the "guest" of
 * the tap tests. jslirp's DNS upstream is a local socket that never answers, so no
 * query leaves the machine. Closing stops jslirp and deletes the namespace.
 */
public final class NamespaceGuest implements AutoCloseable {
    static final String IFNAME = "tap0";

    private final TestNamespace ns;
    private final DatagramSocket silentUpstream;
    private final JslirpOnTap jslirp;
    private final Map<String, String> lease;

    private NamespaceGuest(TestNamespace ns, DatagramSocket silentUpstream, JslirpOnTap jslirp,
                           Map<String, String> lease) {
        this.ns = ns;
        this.silentUpstream = silentUpstream;
        this.jslirp = jslirp;
        this.lease = lease;
    }

    /**
     * Creates the namespace, starts jslirp on it with {@code net}, {@code dns} (its
     * upstreams replaced by the silent socket) and {@code nat}, and runs DHCP inside.
     * Fails unless root. On failure, nothing is left behind.
     */
    public static NamespaceGuest start(Class<?> test, Path workDir, NetworkConfig net, DnsConfig.Builder dns, NatConfig nat)
            throws Exception {
        return start(test, workDir, net, dns, nat, b -> { });
    }

    /** As {@link #start(Class, Path, NetworkConfig, DnsConfig.Builder, NatConfig)}, the network's builder adjusted by {@code more}. */
    public static NamespaceGuest start(Class<?> test, Path workDir, NetworkConfig net, DnsConfig.Builder dns, NatConfig nat,
                                       java.util.function.Consumer<dev.jslirp.JslirpNetwork.Builder> more)
            throws Exception {
        return start(test, workDir, net, dns, nat, false, more);
    }

    /**
     * As {@link #start}, but with {@code --netns-static}: jslirp gives {@code tap0} its
     * addresses and default routes (10.0.2.15/24 via 10.0.2.2, fec0::15/64 via fe80::2
     * by default) and no DHCP client runs ({@link #lease()} is empty).
     */
    static NamespaceGuest startStatic(Class<?> test, NetworkConfig net, DnsConfig.Builder dns, NatConfig nat)
            throws Exception {
        return start(test, null, net, dns, nat, true, b -> { });
    }

    private static NamespaceGuest start(Class<?> test, Path workDir, NetworkConfig net, DnsConfig.Builder dns,
                                        NatConfig nat, boolean staticAddresses,
                                        java.util.function.Consumer<dev.jslirp.JslirpNetwork.Builder> more)
            throws Exception {
        TestNamespace.requireRoot(test);
        TestNamespace ns = TestNamespace.create();
        DatagramSocket silent = null;
        JslirpOnTap jslirp = null;
        try {
            silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            jslirp = JslirpOnTap.start(net,
                    dns.addUpstream(new InetSocketAddress(InetAddress.getLoopbackAddress(), silent.getLocalPort()))
                            .build(),
                    nat, TapOptions.inNamespace(NetworkNamespace.of(ns.path().toString()), IFNAME, staticAddresses), more);
            Map<String, String> lease = staticAddresses ? Map.of() : ns.dhcp(IFNAME, workDir);
            return new NamespaceGuest(ns, silent, jslirp, lease);
        } catch (Exception | AssertionError e) {
            closeAll(jslirp, silent, ns);
            throw e;
        }
    }

    public TestNamespace ns() {
        return ns;
    }

    public JslirpOnTap jslirp() {
        return jslirp;
    }

    /** The variables of the DHCP lease udhcpc got. */
    public Map<String, String> lease() {
        return lease;
    }

    /** A free UDP or TCP port on 127.0.0.1 a moment ago, for a forward's host side. */
    static int freeLoopbackPort() throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws Exception {
        closeAll(jslirp, silentUpstream, ns);
    }

    /** Closes {@code guest} (if started) and then, whatever happened, the test's host-side {@code server}. */
    static void close(NamespaceGuest guest, AutoCloseable server) throws Exception {
        try {
            if (guest != null) {
                guest.close();
            }
        } finally {
            if (server != null) {
                server.close();
            }
        }
    }

    private static void closeAll(JslirpOnTap jslirp, DatagramSocket silent, TestNamespace ns) throws Exception {
        try {
            if (jslirp != null) {
                jslirp.close();
            }
        } finally {
            try {
                if (silent != null) {
                    silent.close();
                }
            } finally {
                ns.close();
            }
        }
    }
}
