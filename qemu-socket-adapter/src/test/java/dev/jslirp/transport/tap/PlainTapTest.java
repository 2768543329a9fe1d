package dev.jslirp.transport.tap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.nat.NatConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jslirp --tap NAME}: a tap in jslirp's own namespace, created or attached,
 * then used from a namespace the test moves it into; its lifetime; what happens when
 * it is deleted under jslirp or is busy. Needs root (fails otherwise); every tap has a
 * fresh name and is removed at the end.
 */
class PlainTapTest {
    static final Duration COMMAND = Duration.ofSeconds(20);

    @TempDir
    Path dir;

    @BeforeAll
    static void root() {
        TestNamespace.requireRoot(PlainTapTest.class);
    }

    static String freshName() {
        return "jslt" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 36);
    }

    /** The DNS upstream is an address nothing answers on: no query leaves the machine. */
    static JslirpOnTap start(NetworkConfig net, TapOptions options) throws IOException {
        return JslirpOnTap.start(net, DnsConfig.builder().addUpstream(new InetSocketAddress("127.0.0.1", 9)).build(),
                NatConfig.defaults(), options);
    }

    static boolean hostHasLink(String name) throws Exception {
        return TestNamespace.host(COMMAND, "ip", "link", "show", "dev", name).exit() == 0;
    }

    /** An IPv6 setting of {@code ifname} in the test's own namespace ({@code /proc/sys/net/ipv6/conf/IFNAME/KEY}). */
    static String ipv6Setting(String ifname, String key) throws IOException {
        return Files.readString(Path.of("/proc/sys/net/ipv6/conf", ifname, key)).trim();
    }

    /** Deletes a persistent tap the test made, wherever it is now; quietly. */
    static void deleteTap(String name, TestNamespace ns) throws Exception {
        TestNamespace.host(COMMAND, "ip", "link", "delete", name);
        if (ns != null) {
            ns.exec(COMMAND, "ip", "link", "delete", name);
        }
    }

    @Test
    void persistentTapMovedIntoANamespaceServesDhcpAndPing() throws Exception {
        String name = freshName();
        TestNamespace.host(COMMAND, "ip", "tuntap", "add", "dev", name, "mode", "tap").ok("ip tuntap add " + name);
        try (TestNamespace ns = TestNamespace.create()) {
            try (JslirpOnTap jslirp = start(NetworkConfig.defaults(), TapOptions.tap(name))) {
                assertThat(jslirp.transport().describe()).isEqualTo("tap " + name + " (persistent)");
                assertThat(ipv6Setting(name, "accept_ra")).as("a tap jslirp did not make is left as it was")
                        .isEqualTo(ipv6Setting("default", "accept_ra"));
                // The descriptor keeps working after the interface changes namespace.
                TestNamespace.host(COMMAND, "ip", "link", "set", name, "netns", ns.name()).ok("ip link set netns");
                Map<String, String> lease = ns.dhcp(name, dir);
                assertThat(lease).containsEntry("ip", "10.0.2.15").containsEntry("router", "10.0.2.2");
                assertThat(ns.exec(COMMAND, "busybox", "ping", "-c", "2", "-W", "3", "10.0.2.2").ok("ping").output())
                        .contains("2 packets received");
            }
            assertThat(ns.exec(COMMAND, "ip", "link", "show", name).exit())
                    .as("a persistent tap outlives jslirp").isZero();
        } finally {
            deleteTap(name, null);
        }
    }

    @Test
    void tapJslirpCreatesIsUpWithTheMtuAndRemovedOnClose() throws Exception {
        String prefix = freshName().substring(0, 10);
        JslirpOnTap jslirp = start(NetworkConfig.builder().mtu(9000).build(), TapOptions.tap(prefix + "%d"));
        String name;
        try {
            name = jslirp.transport().ifname();
            assertThat(name).as("the kernel numbered the name").matches(prefix + "\\d+");
            assertThat(jslirp.transport().describe()).isEqualTo("tap " + name + " (removed when jslirp exits)");
            String link = TestNamespace.host(COMMAND, "ip", "link", "show", "dev", name).ok("ip link show").output();
            assertThat(link).contains("mtu 9000").contains("UP");
            assertThat(ipv6Setting(name, "accept_ra"))
                    .as("the host takes no default route from the network jslirp serves behind the tap").isEqualTo("0");
        } finally {
            jslirp.close();
        }
        assertThat(hostHasLink(name)).as(name + " removed when jslirp closed it").isFalse();
        assertThat(jslirp.transport().ended().isSuccess()).isTrue();
    }

    @Test
    void tapDeletedUnderJslirpEndsTheLinkAndDetachesTheNetwork() throws Exception {
        String name = freshName();
        TestNamespace.host(COMMAND, "ip", "tuntap", "add", "dev", name, "mode", "tap").ok("ip tuntap add " + name);
        try (JslirpOnTap jslirp = start(NetworkConfig.defaults(), TapOptions.tap(name))) {
            TestNamespace.host(COMMAND, "ip", "link", "delete", name).ok("ip link delete " + name);
            assertThat(jslirp.transport().ended().await(5, TimeUnit.SECONDS)).as("link ended").isTrue();
            assertThat(jslirp.transport().ended().isSuccess()).as("ended by a failure").isFalse();
            assertThat(jslirp.tapCounter(TapCounter.LINK_LOST)).isEqualTo(1);
            assertThat(jslirp.network().eventLoop().submit(() -> jslirp.network().guest().isGuestAttached()).get())
                    .as("network detached").isFalse();
        } finally {
            deleteTap(name, null);
        }
    }

    @Test
    void secondJslirpOnABusyTapIsRefusedWithAMessage() throws Exception {
        String name = freshName();
        try (JslirpOnTap first = start(NetworkConfig.defaults(), TapOptions.tap(name))) {
            assertThatThrownBy(() -> start(NetworkConfig.defaults(), TapOptions.tap(name)).close())
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("cannot attach tap " + name)
                    .hasMessageContaining("in use by another process");
            assertThat(hostHasLink(name)).as("the first one still has it").isTrue();
        }
        assertThat(hostHasLink(name)).isFalse();
    }

    @Test
    void namespaceDeletedUnderJslirpClosesTheTap() throws Exception {
        TestNamespace ns = TestNamespace.create();
        try (JslirpOnTap jslirp = start(NetworkConfig.defaults(),
                TapOptions.inNamespace(NetworkNamespace.of(ns.name()), "tap0", false))) {
            ns.close();
            assertThat(jslirp.transport().ended().await(5, TimeUnit.SECONDS)).as("link ended").isTrue();
            assertThat(jslirp.transport().ended().isSuccess()).as("a normal end").isTrue();
        } finally {
            ns.close();
        }
    }

    @Test
    void staticAddressingConfiguresTheTapWithoutDhcp() throws Exception {
        try (TestNamespace ns = TestNamespace.create();
             JslirpOnTap jslirp = start(NetworkConfig.builder().net("10.9.8.0/24").build(),
                     TapOptions.inNamespace(NetworkNamespace.of(ns.path().toString()), "eth7", true))) {
            assertThat(ns.exec(COMMAND, "ip", "-4", "addr", "show", "dev", "eth7").ok("ip addr").output())
                    .contains("inet 10.9.8.15/24");
            assertThat(ns.exec(COMMAND, "ip", "route", "show", "default").ok("ip route").output())
                    .contains("default via 10.9.8.2 dev eth7");
            assertThat(ns.exec(COMMAND, "busybox", "ping", "-c", "2", "-W", "3", "10.9.8.2").ok("ping").output())
                    .contains("2 packets received");
            assertThat(jslirp.transport().attachHint("n0")).contains("10.9.8.15/24").contains("via 10.9.8.2");
        }
    }

    /** A network without IPv6 switches it off on the namespace's tap: nothing on the link would answer. */
    @Test
    void withoutIpv6TheNamespacesTapHasNone() throws Exception {
        try (TestNamespace ns = TestNamespace.create();
             JslirpOnTap jslirp = start(NetworkConfig.builder().ipv6(false).build(),
                     TapOptions.inNamespace(NetworkNamespace.of(ns.path().toString()), "tap0", true))) {
            assertIpv4Only(ns, jslirp);
        }
    }

    /** {@code --netns-static} gave tap0 IPv4 and nothing of IPv6, and says so. */
    private static void assertIpv4Only(TestNamespace ns, JslirpOnTap jslirp) throws Exception {
        assertThat(ns.exec(COMMAND, "cat", "/proc/sys/net/ipv6/conf/tap0/disable_ipv6").ok("sysctl").output().trim())
                .isEqualTo("1");
        assertThat(ns.exec(COMMAND, "ip", "-6", "addr", "show", "dev", "tap0").ok("ip -6 addr").output())
                .doesNotContain("inet6");
        assertThat(ns.exec(COMMAND, "ip", "-4", "addr", "show", "dev", "tap0").ok("ip addr").output())
                .contains("inet 10.0.2.15/24");
        assertThat(jslirp.transport().attachHint("n0")).isEqualTo(
                "tap0 has 10.0.2.15/24 and a default route via 10.0.2.2; use nameserver 10.0.2.3");
    }

    /**
     * A namespace made with IPv6 off keeps it off (its owner's choice, as slirp4netns
     * leaves it): {@code --netns-static} then sets IPv4 only, and says so.
     */
    @Test
    void namespaceWithIpv6OffByDefaultKeepsItOff() throws Exception {
        try (TestNamespace ns = TestNamespace.create()) {
            ns.exec(COMMAND, "sysctl", "-q", "-w", "net.ipv6.conf.default.disable_ipv6=1").ok("sysctl");
            try (JslirpOnTap jslirp = start(NetworkConfig.defaults(),
                    TapOptions.inNamespace(NetworkNamespace.of(ns.path().toString()), "tap0", true))) {
                assertIpv4Only(ns, jslirp);
            }
        }
    }

    /** Below IPv6's minimum MTU (1280) the kernel keeps IPv6 off the tap: {@code --netns-static} sets IPv4 only. */
    @Test
    void mtuBelowIpv6sMinimumGivesIpv4Only() throws Exception {
        try (TestNamespace ns = TestNamespace.create();
             JslirpOnTap jslirp = start(NetworkConfig.builder().mtu(1000).build(),
                     TapOptions.inNamespace(NetworkNamespace.of(ns.path().toString()), "tap0", true))) {
            assertThat(ns.exec(COMMAND, "ip", "-6", "addr", "show", "dev", "tap0").ok("ip -6 addr").output())
                    .doesNotContain("inet6");
            assertThat(jslirp.transport().attachHint("n0")).isEqualTo(
                    "tap0 has 10.0.2.15/24 and a default route via 10.0.2.2; use nameserver 10.0.2.3");
            assertThat(ns.exec(COMMAND, "busybox", "ping", "-c", "1", "-W", "3", "10.0.2.2").exit()).isZero();
        }
    }

    @Test
    void framesLongerThanTheReadBufferAreCountedNotDelivered() throws Exception {
        try (NamespaceGuest guest = NamespaceGuest.start(PlainTapTest.class, dir, NetworkConfig.defaults(),
                DnsConfig.builder(), NatConfig.defaults())) {
            TestNamespace ns = guest.ns();
            // Raised behind jslirp's back: frames of 9000 bytes are over the network's MTU. With the
            // tap's offload (on here) jslirp reads up to 64 KiB and takes only TCP super-frames that
            // size, so the ping is counted oversized; without offload it would not fit the read.
            ns.exec(COMMAND, "ip", "link", "set", "tap0", "mtu", "9000").ok("ip link set mtu");
            String out = ns.exec(COMMAND, "busybox", "ping", "-c", "1", "-W", "1", "-s", "8000", "10.0.2.2").output();
            assertThat(guest.jslirp().tapCounter(TapCounter.OVERSIZED_FRAMES)
                    + guest.jslirp().tapCounter(TapCounter.TRUNCATED_FRAMES))
                    .as("%s %s", out, guest.jslirp().network().stats().snapshot()).isPositive();
            assertThat(guest.jslirp().network().stats().snapshot()).as("the oversized ping was not answered").doesNotContainKey("traffic.ECHO_REPLIES");
            // Normal frames still flow.
            assertThat(ns.exec(COMMAND, "busybox", "ping", "-c", "1", "-W", "3", "10.0.2.2").exit()).isZero();
        }
    }
}
