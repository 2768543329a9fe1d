package dev.jslirp.slirp4netns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.transport.tap.TestNamespace;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code jslirp-slirp4netns} executable against real network namespaces, as root,
 * run the way rootlesskit runs slirp4netns (a PID, {@code -r}, the API socket) and the
 * way podman does (a path, {@code -c}, {@code -e}, {@code --macaddress},
 * {@code --enable-seccomp}): readiness,
 * the tap and its configuration inside, the namespace reaching a server on the host's
 * 127.0.0.1 through the gateway, a port forward added through the API reaching a server
 * inside, the exit descriptor and SIGTERM ending it, the files it leaves (none). Every
 * peer is on 127.0.0.1 or inside the namespaces the test creates.
 */
class Slirp4netnsNamespaceTest {
    private static final Duration START = Duration.ofSeconds(60);
    private static final Duration SHORT = Duration.ofSeconds(20);

    @TempDir
    Path work;

    @BeforeAll
    static void root() {
        TestNamespace.requireRoot(Slirp4netnsNamespaceTest.class);
    }

    /** One request to the API socket, as rootlesskit's client sends it. */
    private static String api(Path socket, String request) throws IOException {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            ch.write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8)));
            ch.shutdownOutput();
            return new String(Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void rootlesskitsWayAPidTheReadyFdTheApiSocketAndTheExitFd() throws Exception {
        Path www = Files.createDirectories(work.resolve("www"));
        Files.writeString(www.resolve("index.html"), "from-the-namespace");
        Path socket = work.resolve("api.sock");
        try (HostPage host = new HostPage("from-the-host");
             TestNamespace ns = TestNamespace.create("jslirp-s4n-");
             Slirp4netnsProcess s4n = startWith(ns, socket, "--mtu", "65520", "--disable-host-loopback")) {
            s4n.awaitReady(START);
            assertThat(s4n.log()).contains("Starting slirp (jslirp)", "* MTU:             65520",
                    "* Recommended IP:  10.0.2.100", "* API Socket:      " + socket);
            assertThat(ns.exec(SHORT, "ip", "-o", "link", "show", "tap0").ok("ip link").output())
                    .contains("mtu 65520", "UP");
            // What rootlesskit's child does after the parent reported ready:
            ns.exec(SHORT, "ip", "addr", "add", "10.0.2.100/24", "dev", "tap0").ok("ip addr add");
            ns.exec(SHORT, "ip", "route", "add", "default", "via", "10.0.2.2").ok("ip route add");

            ns.start("busybox", "httpd", "-f", "-p", "8080", "-h", www.toString());
            int published = RootlessKitTest.freePort();
            assertThat(api(socket, "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_addr\":"
                    + "\"127.0.0.1\",\"host_port\":" + published + ",\"guest_addr\":\"\",\"guest_port\":8080}}"))
                    .isEqualTo("{\"return\":{\"id\":1}}");
            assertThat(retry(() -> HostPage.fetch(published))).isEqualTo("from-the-namespace");

            // No wget -T: Debian's busybox 1.35 wget dies of SIGSEGV with it; exec has its own timeout.
            TestNamespace.Result refused = ns.exec(SHORT, "busybox", "wget", "-q", "-O", "-",
                    "http://10.0.2.2:" + host.port() + "/");
            assertThat(refused.exit()).as("--disable-host-loopback: " + refused.output()).isNotZero();
            assertThat(host.clients()).isEmpty();

            assertThat(api(socket, "{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1}}"))
                    .isEqualTo("{\"return\":{}}");
            s4n.closeExitFd();
            assertThat(s4n.awaitExit(SHORT)).as("exit status after the exit fd closed:\n" + s4n.log()).isZero();
            assertThat(s4n.log()).contains("exit-fd event").doesNotContain("LEAK:");
            assertThat(socket).as("API socket removed at exit").doesNotExist();
            assertThat(ns.exec(SHORT, "ip", "link", "show", "tap0").exit()).as("the tap went with jslirp").isNotZero();
        }
    }

    @Test
    void podmansWayAPathConfigureMacCidrOutboundAddressNoDnsAndSeccomp() throws Exception {
        try (HostPage host = new HostPage("from-the-host");
             TestNamespace ns = TestNamespace.create("jslirp-s4n-");
             Slirp4netnsProcess s4n = Slirp4netnsProcess.start(work, true, "-c", "--mtu=1500",
                     "--cidr=10.0.3.0/24", "--macaddress=02:11:22:33:44:55", "--outbound-addr=127.0.0.2",
                     "--disable-dns", "--enable-seccomp", "--netns-type=path", ns.path().toString(), "tap1")) {
            s4n.awaitReady(START);
            assertThat(Files.readAllLines(Path.of("/proc", Long.toString(s4n.process().pid()), "status")))
                    .as("--enable-seccomp: a filter on every thread").contains("Seccomp:\t2")
                    .anyMatch(l -> l.startsWith("NoNewPrivs:\t1"));
            String link = ns.exec(SHORT, "ip", "-o", "addr", "show", "tap1").ok("ip addr").output();
            assertThat(link).contains("inet 10.0.3.100/24");
            assertThat(ns.exec(SHORT, "ip", "-o", "link", "show", "tap1").output()).contains("02:11:22:33:44:55");
            assertThat(ns.exec(SHORT, "ip", "route").output()).contains("default via 10.0.3.2");
            assertThat(ns.exec(SHORT, "ip", "-o", "link", "show", "lo").output()).contains("UP");

            String got = ns.exec(SHORT, "busybox", "wget", "-q", "-O", "-",
                    "http://10.0.3.2:" + host.port() + "/").ok("wget from the namespace").output();
            assertThat(got).isEqualTo("from-the-host");
            assertThat(host.clients()).as("the host saw the outbound address").containsExactly("127.0.0.2");

            TestNamespace.Result dns = ns.exec(SHORT, "busybox", "nslookup", "jslirp.test", "10.0.3.3");
            assertThat(dns.exit()).as("--disable-dns: no DNS at 10.0.3.3: " + dns.output()).isNotZero();

            s4n.terminate();
            assertThat(s4n.awaitExit(SHORT)).as("SIGTERM").isEqualTo(143);
            assertThat(s4n.log()).contains("stopped; counters:", "nat.udp.REFUSED_DESTINATION=").doesNotContain("dns.", "LEAK:");
        }
    }

    /**
     * {@code -6}: the namespace's own kernel takes an address in fd00::/64 and a default
     * route from jslirp's router advertisements (slirp4netns configures no IPv6 itself),
     * and reaches the host's [::1] through fd00::2, from {@code --outbound-addr6}.
     */
    @Test
    void enableIpv6GivesTheNamespaceSlirp4netnssIpv6NetworkBySlaac() throws Exception {
        try (HostPage host = new HostPage("from-the-host-over-ipv6", InetAddress.getByName("::1"));
             TestNamespace ns = TestNamespace.create("jslirp-s4n-");
             Slirp4netnsProcess s4n = Slirp4netnsProcess.start(work, true, "-c", "-6", "--outbound-addr6=::1",
                     "--netns-type=path", ns.path().toString(), "tap0")) {
            s4n.awaitReady(START);
            assertThat(s4n.log()).contains("* IPv6 network:    fd00::/64 (router fd00::2, DNS fd00::3",
                    "* Outbound IPv6:    ::1");
            String addrs = "";
            String routes = "";
            long end = System.nanoTime() + SHORT.toNanos();
            while (System.nanoTime() < end) {
                addrs = ns.exec(SHORT, "ip", "-6", "addr", "show", "dev", "tap0").ok("ip -6 addr").output();
                routes = ns.exec(SHORT, "ip", "-6", "route", "show", "default").ok("ip -6 route").output();
                if (addrs.contains("inet6 fd00::") && !addrs.contains("tentative") && routes.contains("via fe80::2")) {
                    break;
                }
                Thread.sleep(200);
            }
            assertThat(addrs).as("SLAAC address").containsPattern("inet6 fd00::[0-9a-f:]+/64 scope global");
            assertThat(addrs).doesNotContain("tentative", "dadfailed");
            assertThat(routes).as("default route from the router advertisement").contains("via fe80::2 dev tap0");

            String got = ns.exec(SHORT, "busybox", "wget", "-q", "-O", "-",
                    "http://[fd00::2]:" + host.port() + "/").ok("wget from the namespace over IPv6").output();
            assertThat(got).isEqualTo("from-the-host-over-ipv6");
            assertThat(host.clients()).as("the host's ::1, the outbound address").containsExactly("0:0:0:0:0:0:0:1");
            assertThat(ns.exec(SHORT, "busybox", "ping", "-6", "-c", "1", "-W", "3", "fd00::2").exit())
                    .as("the router answers ping").isZero();

            s4n.terminate();
            assertThat(s4n.awaitExit(SHORT)).as("SIGTERM").isEqualTo(143);
            assertThat(s4n.log()).doesNotContain("LEAK:");
        }
    }

    private Slirp4netnsProcess startWith(TestNamespace ns, Path socket, String... options) throws Exception {
        Process sleeper = ns.start("sleep", "600");
        // ip netns exec enters the namespace, then execs sleep in place: wait for the first.
        Path sleeperNs = Path.of("/proc", Long.toString(sleeper.pid()), "ns", "net");
        long end = System.nanoTime() + SHORT.toNanos();
        while (!Files.isSameFile(sleeperNs, ns.path())) {
            assertThat(System.nanoTime()).as("process %d entered %s", sleeper.pid(), ns).isLessThan(end);
            Thread.sleep(20);
        }
        String[] args = new String[options.length + 4];
        System.arraycopy(options, 0, args, 0, options.length);
        args[options.length] = "--api-socket";
        args[options.length + 1] = socket.toString();
        args[options.length + 2] = Long.toString(sleeper.pid());
        args[options.length + 3] = "tap0";
        return Slirp4netnsProcess.start(work, true, args);
    }

    /** What {@code call} returns, retried for a few seconds while it throws (a listener not yet there). */
    private static <T> T retry(java.util.concurrent.Callable<T> call) throws Exception {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try {
                return call.call();
            } catch (IOException e) {
                if (System.nanoTime() > end) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }
}
