package dev.jslirp.transport.tap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.nat.NatConfig;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jslirp --netns}: jslirp creates {@code tap0} inside a namespace the test made,
 * and the namespace's own tools use the network: busybox udhcpc, ping and nslookup,
 * and Python UDP sockets, to jslirp's gateway, its DNS, the host's loopback through
 * the NAT, and back in through a UDP port forward.
 *
 * <p>One namespace and one jslirp serve the whole class (DHCP once, in
 * {@link #setUp}); each test uses them for one thing. Needs root (fails otherwise).
 */
class NetnsTapTest {
    /** Not the default 1500, so the test sees jslirp set it. */
    static final int MTU = 1400;
    static final String LOCAL_NAME = "printer.jslirp.test";
    static final String LOCAL_ADDRESS = "10.0.2.77";
    static final Duration COMMAND = Duration.ofSeconds(20);

    /** A Python UDP client: sends argv[3] to argv[1]:argv[2] until an answer comes, prints it. */
    static final String UDP_CLIENT = udpClient("AF_INET");

    /** {@link #UDP_CLIENT} with a socket of {@code family} ({@code AF_INET}, {@code AF_INET6}). */
    static String udpClient(String family) {
        return String.join("\n",
                "import socket, sys",
                "s = socket.socket(socket." + family + ", socket.SOCK_DGRAM)",
                "s.settimeout(2)",
                "for attempt in range(5):",
                "    s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))",
                "    try:",
                "        print(s.recvfrom(4096)[0].decode(), flush=True)",
                "        sys.exit(0)",
                "    except socket.timeout:",
                "        pass",
                "sys.exit(1)");
    }

    /** A Python UDP echo server on argv[1]: answers {@code ns-echo:} and the datagram; prints "ready" once bound. */
    static final String UDP_SERVER = String.join("\n",
            "import socket, sys",
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
            "s.bind(('0.0.0.0', int(sys.argv[1])))",
            "print('ready', flush=True)",
            "while True:",
            "    d, a = s.recvfrom(4096)",
            "    s.sendto(b'ns-echo:' + d, a)");

    static final int GUEST_UDP_PORT = 7007;

    @TempDir
    static Path dir;

    static NamespaceGuest guest;
    static TestNamespace ns;
    static UdpEchoServer echo;
    static int forwardedPort;

    @BeforeAll
    static void setUp() throws Exception {
        echo = new UdpEchoServer();
        forwardedPort = NamespaceGuest.freeLoopbackPort();
        guest = NamespaceGuest.start(NetnsTapTest.class, dir,
                NetworkConfig.builder().mtu(MTU).build(),
                DnsConfig.builder().addRecord(LOCAL_NAME + "=" + LOCAL_ADDRESS),
                NatConfig.builder().addForward("udp:127.0.0.1:" + forwardedPort + "-:" + GUEST_UDP_PORT).build());
        ns = guest.ns();
    }

    @AfterAll
    static void tearDown() throws Exception {
        NamespaceGuest.close(guest, echo);
    }

    @Test
    void tapIsCreatedInsideTheNamespaceUpWithTheNetworksMtu() throws Exception {
        String link = ns.exec(COMMAND, "ip", "link", "show", "tap0").ok("ip link show tap0").output();
        assertThat(link).contains("mtu " + MTU).contains("UP");
        // By its MAC, not its name: another test on the machine may have a tap0 of its own.
        String mac = ns.exec(COMMAND, "cat", "/sys/class/net/tap0/address").ok("tap0's address").output().trim();
        assertThat(mac).matches("([0-9a-f]{2}:){5}[0-9a-f]{2}");
        assertThat(TestNamespace.host(COMMAND, "ip", "-o", "link", "show").ok("ip link in the host").output())
                .as("the tap is not in the host's namespace").doesNotContain(mac);
        assertThat(guest.jslirp().transport().describe()).contains("tap tap0 in network namespace " + ns.path());
    }

    /**
     * Without {@code --netns-static}, IPv6 is the kernel's to configure from jslirp's
     * router advertisements, as with slirp4netns {@code --enable-ipv6}: IPv6 is on (the
     * namespace's default), jslirp takes duplicate address detection out of the way (only
     * jslirp is on the link) and has router advertisements accepted even if the namespace
     * forwards.
     */
    @Test
    void tapIsSetUpForSlaacFromJslirpsRouterAdvertisements() throws Exception {
        for (String[] expected : new String[][] {{"disable_ipv6", "0"}, {"accept_dad", "0"}, {"accept_ra", "2"},
                {"autoconf", "1"}}) {
            assertThat(ns.exec(COMMAND, "cat", "/proc/sys/net/ipv6/conf/tap0/" + expected[0]).ok("read sysctl")
                    .output().trim()).as(expected[0]).isEqualTo(expected[1]);
        }
        assertThat(ns.exec(COMMAND, "ip", "-6", "addr", "show", "dev", "tap0", "scope", "link").ok("ip -6 addr")
                .output()).contains("inet6 " + Eui64.address("fe80::", Eui64.macOf(ns, "tap0")) + "/64")
                .doesNotContain("tentative");
    }

    /**
     * Kernel SLAAC in the namespace, as a guest of QEMU's {@code -netdev user} gets it: the
     * kernel solicits a router, takes jslirp's router advertisement, forms its address in
     * fec0::/64 from the tap's MAC and a default route via fe80::2, and then reaches the
     * host address. Needs jslirp's router advertisements (branch {@code autoconf}).
     */
    @Test
    void namespaceTakesItsIpv6AddressAndDefaultRouteFromJslirpsRouterAdvertisements() throws Exception {
        String expected = Eui64.address("fec0::", Eui64.macOf(ns, "tap0"));
        String addrs = "";
        String routes = "";
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        do {
            addrs = ns.exec(COMMAND, "ip", "-6", "addr", "show", "dev", "tap0").ok("ip -6 addr").output();
            routes = ns.exec(COMMAND, "ip", "-6", "route", "show", "default").ok("ip -6 route").output();
            if (addrs.contains("inet6 " + expected + "/64") && !addrs.contains("tentative")
                    && routes.contains("via fe80::2 dev tap0")) {
                break;
            }
            Thread.sleep(200);
        } while (System.nanoTime() < end);
        assertThat(addrs).as("SLAAC address from the router advertisement's prefix")
                .contains("inet6 " + expected + "/64").doesNotContain("tentative");
        assertThat(routes).as("default route from the router advertisement")
                .contains("default via fe80::2 dev tap0 proto ra");
        assertThat(ns.exec(COMMAND, "busybox", "ping", "-6", "-c", "2", "-W", "3", "fec0::2").ok("ping -6 fec0::2")
                .output()).contains("2 packets received");
    }

    @Test
    void namespacesDhcpClientGetsTheFirstAddressWithGatewayAndDns() throws Exception {
        assertThat(guest.lease()).containsEntry("ip", "10.0.2.15").containsEntry("mask", "24")
                .containsEntry("router", "10.0.2.2").containsEntry("dns", "10.0.2.3");
        assertThat(ns.exec(COMMAND, "ip", "-4", "addr", "show", "dev", "tap0").ok("ip addr").output())
                .contains("inet 10.0.2.15/24");
        assertThat(ns.exec(COMMAND, "ip", "route", "show", "default").ok("ip route").output())
                .contains("default via 10.0.2.2 dev tap0");
    }

    @Test
    void pingOfTheGatewayIsAnswered() throws Exception {
        String out = ns.exec(COMMAND, "busybox", "ping", "-c", "3", "-W", "3", "10.0.2.2").ok("ping 10.0.2.2").output();
        assertThat(out).contains("3 packets received");
    }

    @Test
    void localDnsRecordResolvesThroughJslirpsDns() throws Exception {
        String out = ns.exec(COMMAND, "busybox", "nslookup", "-type=a", LOCAL_NAME, "10.0.2.3")
                .ok("nslookup " + LOCAL_NAME).output();
        assertThat(out).contains(LOCAL_ADDRESS);
    }

    @Test
    void udpToTheGatewayReachesAnEchoServerOnTheHostsLoopback() throws Exception {
        String out = ns.exec(COMMAND, "python3", "-c", UDP_CLIENT, "10.0.2.2", Integer.toString(echo.port()), "hello-tap")
                .ok("UDP client to 10.0.2.2:" + echo.port()).output();
        assertThat(out.trim()).isEqualTo("echo:hello-tap");
    }

    @Test
    void udpHostForwardReachesAServerInTheNamespace() throws Exception {
        Process server = ns.start("python3", "-c", UDP_SERVER, Integer.toString(GUEST_UDP_PORT));
        BufferedReader lines = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        assertThat(lines.readLine()).as("UDP server in the namespace started").isEqualTo("ready");
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            client.setSoTimeout(2000);
            byte[] msg = "from-host".getBytes(StandardCharsets.US_ASCII);
            String answer = null;
            for (int attempt = 0; attempt < 5 && answer == null; attempt++) {
                client.send(new DatagramPacket(msg, msg.length, InetAddress.getLoopbackAddress(), forwardedPort));
                try {
                    DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
                    client.receive(in);
                    answer = new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII);
                } catch (SocketTimeoutException e) {
                    // the guest may still be learning the route back; try again
                }
            }
            assertThat(answer).isEqualTo("ns-echo:from-host");
        } finally {
            server.descendants().forEach(ProcessHandle::destroyForcibly);
            server.destroyForcibly();
        }
    }
}
