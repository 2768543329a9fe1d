package dev.jslirp.transport.tap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.e2e.nat.Blob;
import dev.jslirp.e2e.nat.BlobHttpServer;
import dev.jslirp.e2e.nat.HostSide;
import dev.jslirp.e2e.nat.PeerHost;
import dev.jslirp.e2e.nat.UdpEchoServer;
import dev.jslirp.nat.NatConfig;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jslirp --netns NS --netns-static} over IPv6: what jslirp sets on the tap (the
 * kernel's IPv6 settings, the static address and default route), and the namespace's own
 * tools using them: busybox ping, wget and httpd, Python UDP sockets, to the host address
 * fec0::2 (the host's ::1 through the NAT), to a peer host in a namespace of the test's
 * over IPv6, and back in through a port forward from the host's ::1.
 *
 * <p>One namespace and one jslirp serve the class. Needs root (fails otherwise).
 */
class NetnsIpv6Test {
    static final Duration COMMAND = Duration.ofSeconds(30);
    /** What {@code --netns-static} gives the tap with the default network (10.0.2.15 -> fec0::15). */
    static final String GUEST6 = "fec0::15";
    static final String HOST6 = "fec0::2";
    static final int GUEST_HTTP_PORT = 8080;
    static final String GUEST_PAGE = "hello over IPv6 from inside the namespace\n";

    /** A Python UDP client over IPv6: sends argv[3] to [argv[1]]:argv[2] until an answer comes, prints it. */
    static final String UDP6_CLIENT = NetnsTapTest.udpClient("AF_INET6");

    @TempDir
    static Path dir;

    static BlobHttpServer hostHttp;
    static UdpEchoServer hostUdp;
    static PeerHost peer;
    static int forwardedPort;
    static NamespaceGuest guest;
    static TestNamespace ns;

    @BeforeAll
    static void setUp() throws Exception {
        TestNamespace.requireRoot(NetnsIpv6Test.class);
        InetAddress loopback6 = InetAddress.getByName("::1");
        ServerSocket http = new ServerSocket();
        http.bind(new InetSocketAddress(loopback6, 0));
        hostHttp = BlobHttpServer.on(http, Blob.random(6, 512 << 10));
        hostUdp = UdpEchoServer.on(new DatagramSocket(new InetSocketAddress(loopback6, 0)));
        peer = PeerHost.createDualStack(HostSide.thisProcess(), 7, 1 << 20);
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(loopback6, 0));
            forwardedPort = s.getLocalPort();
        }
        guest = NamespaceGuest.startStatic(NetnsIpv6Test.class, NetworkConfig.defaults(), DnsConfig.builder(),
                NatConfig.builder().addForward("tcp:[::1]:" + forwardedPort + "-[" + GUEST6 + "]:" + GUEST_HTTP_PORT)
                        .build());
        ns = guest.ns();
    }

    @AfterAll
    static void tearDown() throws Exception {
        try {
            NamespaceGuest.close(guest, peer);
        } finally {
            if (hostHttp != null) {
                hostHttp.close();
            }
            if (hostUdp != null) {
                hostUdp.close();
            }
        }
    }

    private static String inside(String what, String... command) throws Exception {
        return ns.exec(COMMAND, command).ok(what).output();
    }

    private static String sysctl(String name) throws Exception {
        return inside("read " + name, "cat", "/proc/sys/net/ipv6/conf/tap0/" + name).trim();
    }

    @Test
    void tapTakesIpv6WithoutDuplicateAddressDetectionOrRouterAdvertisements() throws Exception {
        assertThat(sysctl("disable_ipv6")).as("IPv6 on").isEqualTo("0");
        assertThat(sysctl("accept_dad")).as("no duplicate address detection").isEqualTo("0");
        assertThat(sysctl("accept_ra")).as("static: the configuration is jslirp's alone").isEqualTo("0");
    }

    @Test
    void tapHasTheLinkLocalAddressOfItsMacAtOnce() throws Exception {
        String addrs = inside("ip -6 addr", "ip", "-6", "addr", "show", "dev", "tap0", "scope", "link");
        assertThat(addrs).contains("inet6 " + Eui64.address("fe80::", Eui64.macOf(ns, "tap0")) + "/64 scope link")
                .doesNotContain("tentative").doesNotContain("dadfailed");
    }

    @Test
    void staticAddressAndDefaultRouteViaTheRouter() throws Exception {
        // fec0::/10 was site-local (RFC 3879 deprecated it): the kernel shows "scope site".
        String addrs = inside("ip -6 addr", "ip", "-6", "addr", "show", "dev", "tap0");
        assertThat(addrs).contains("inet6 " + GUEST6 + "/64 scope ")
                .doesNotContain("tentative");
        assertThat(inside("ip -6 route", "ip", "-6", "route", "show", "default"))
                .contains("default via fe80::2 dev tap0");
        assertThat(guest.jslirp().transport().attachHint("n0"))
                .contains("10.0.2.15/24 and fec0::15/64, default routes via 10.0.2.2 and fe80::2");
    }

    @Test
    void pingOfTheHostAddressIsAnswered() throws Exception {
        assertThat(inside("ping -6 " + HOST6, "busybox", "ping", "-6", "-c", "3", "-W", "3", HOST6))
                .contains("3 packets received");
    }

    @Test
    void tcpToTheHostAddressReachesAServerOnTheHostsIpv6Loopback() throws Exception {
        String base = "http://[" + HOST6 + "]:" + hostHttp.port();
        assertThat(inside("wget /whoami", "busybox", "wget", "-q", "-O", "-", base + "/whoami"))
                .as("the NAT's connection comes from the host's ::1").startsWith("you are 0:0:0:0:0:0:0:1:");
        String sum = inside("wget /blob | sha256sum", "sh", "-c", "busybox wget -q -O - " + base
                + "/blob | busybox sha256sum");
        assertThat(sum.trim()).startsWith(hostHttp.blob().sha256());
    }

    @Test
    void udpToTheHostAddressReachesAnEchoServerOnTheHostsIpv6Loopback() throws Exception {
        String out = inside("UDP client to [" + HOST6 + "]:" + hostUdp.port(), "python3", "-c", UDP6_CLIENT, HOST6,
                Integer.toString(hostUdp.port()), "hello-over-ipv6");
        assertThat(out.trim()).isEqualTo("hello-over-ipv6");
        assertThat(hostUdp.echoed()).isNotEmpty().allSatisfy(e -> assertThat(e.from()).startsWith("0:0:0:0:0:0:0:1:"));
    }

    @Test
    void tcpReachesAPeerHostOverIpv6() throws Exception {
        String sum = inside("wget from the peer", "sh", "-c", "busybox wget -q -O - http://[" + PeerHost.ADDRESS6
                + "]:" + PeerHost.HTTP_PORT + "/blob | busybox sha256sum");
        assertThat(sum.trim()).startsWith(peer.blobSha256());
    }

    @Test
    void tcpHostForwardFromTheHostsIpv6LoopbackReachesAServerInTheNamespace() throws Exception {
        String response = NamespaceHttpd.start(ns, dir, "[::]:" + GUEST_HTTP_PORT, GUEST_PAGE)
                .getThroughForward(InetAddress.getByName("::1"), forwardedPort);
        assertThat(response).as("HTTP response through the forward").isNotNull()
                .startsWith("HTTP/1.").endsWith(GUEST_PAGE);
    }
}
