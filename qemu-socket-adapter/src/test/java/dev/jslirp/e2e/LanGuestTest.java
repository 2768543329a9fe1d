package dev.jslirp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.dhcp.DhcpConfig;
import dev.jslirp.dhcp.LeaseInfo;
import dev.jslirp.dns.DnsConfig;
import dev.jslirp.guest.NicModel;
import dev.jslirp.guest.QemuGuest;
import dev.jslirp.nat.hostfwd.HostForward;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.stream.StreamServer;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Two real guests on one jslirp network, as libvirt's default network has them: both QEMUs
 * connect to the same listening socket and are ports of one switch. Each leases its own
 * address with its host name; they ping and talk TCP to each other over IPv4 and IPv6
 * (link-local and global), find each other by name through jslirp's DNS, reach a host
 * service, and are reached from the host through a forward to each (one by address, one
 * by host name). One guest's QEMU stopped with SIGSTOP (so it reads nothing) while it
 * downloads does not slow the other's upload, measured as the bytes the host receives in
 * equal windows before and during the stop; then that VM is restarted (a new QEMU, same
 * MAC) and gets its lease and name back.
 */
class LanGuestTest {
    private static final String MAC_A = GuestNic.mac(0x41);
    private static final String MAC_B = GuestNic.mac(0x42);
    private static final String IP_A = "10.0.2.15";
    private static final String IP_B = "10.0.2.16";
    /** Global addresses the test gives the guests (jslirp's router advertisements are the autoconf work). */
    private static final String IP6_A = "fec0::a";
    private static final String IP6_B = "fec0::b";
    private static final Duration WINDOW = Duration.ofSeconds(4);

    @Test
    void twoGuestsShareOneLanAndAStoppedOneDoesNotSlowTheOther(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        IoTransport io = IoTransport.best();
        EventLoopGroup group = io.newEventLoopGroup(1);
        try (E2eDnsServer upstream = E2eDnsServer.start(Map.of());
             HostSink sink = new HostSink();
             HostSource source = new HostSource();
             HostBanner banner = new HostBanner("host says hi\n")) {
            JslirpNetwork net = JslirpNetwork.builder()
                    .network(NetworkConfig.defaults())
                    .dhcp(DhcpConfig.builder().domainName("lan.test").build())
                    .dns(DnsConfig.builder().addUpstream(upstream.address()).build())
                    .eventLoop(group.next(), io.hostChannels())
                    .build();
            Endpoint socket = new Endpoint.Unix(dir.resolve("lan.sock"));
            try (StreamServer server = new StreamServer(net.guest(), io, socket, LinkBuffers.DEFAULT)) {
                server.start();
                String netdev = "stream,id=n0,server=off,addr.type=unix,addr.path=" + dir.resolve("lan.sock");
                QemuGuest a = boot("a", MAC_A, netdev);
                QemuGuest b = null;
                try {
                    b = boot("b", MAC_B, netdev);
                    lease(a, "vm1", IP_A);
                    lease(b, "vm2", IP_B);
                    assertThat(leases(net)).extracting(LeaseInfo::hostname).containsExactlyInAnyOrder("vm1", "vm2");

                    // IPv4 between the guests, both ways, and a TCP connection.
                    assertThat(new GuestShell(a).ping(IP_B, 3).allAnswered()).isTrue();
                    assertThat(new GuestShell(b).ping(IP_A, 3).allAnswered()).isTrue();
                    // busybox nc ends when its stdin does: a sleep keeps it open.
                    b.runOk("(sleep 30 | nc -l -p 5000 > /tmp/got 2>&1 &) ; sleep 1");
                    a.runOk("echo hello-from-a | nc " + IP_B + " 5000", GuestShell.NET_TIMEOUT);
                    assertThat(b.runOk("sleep 1; cat /tmp/got")).contains("hello-from-a");

                    // Names: bare and under the domain, and the address back to the name.
                    GuestShell.Lookup byName = new GuestShell(a).nslookup("vm2", "10.0.2.3");
                    assertThat(byName.addresses()).as(byName.output()).containsExactly(IP_B);
                    assertThat(new GuestShell(b).nslookup("vm1.lan.test", "10.0.2.3").addresses()).containsExactly(IP_A);
                    assertThat(b.runOk("nslookup " + IP_A + " 10.0.2.3", GuestShell.NET_TIMEOUT)).contains("vm1.lan.test");
                    assertThat(a.runOk("ping -c 2 vm2", GuestShell.NET_TIMEOUT)).contains("2 packets received");

                    // IPv6: link-local (neighbour discovery over multicast between the guests) and global.
                    a.runOk("ip -6 addr add " + IP6_A + "/64 dev eth0");
                    b.runOk("ip -6 addr add " + IP6_B + "/64 dev eth0");
                    GuestShell.sleep(2500);                    // duplicate address detection
                    assertThat(a.runOk("ping6 -c 3 -I eth0 " + linkLocal(MAC_B), GuestShell.NET_TIMEOUT))
                            .contains("3 packets received");
                    assertThat(b.runOk("ping6 -c 3 " + IP6_A, GuestShell.NET_TIMEOUT)).contains("3 packets received");

                    // A host service, from each guest.
                    for (QemuGuest g : List.of(a, b)) {
                        assertThat(g.runOk("sleep 5 | nc 10.0.2.2 " + banner.port(), GuestShell.NET_TIMEOUT))
                                .contains("host says hi");
                    }

                    // A forward to each: one by address, one by the guest's host name.
                    int toA = forward(net, "tcp:127.0.0.1:0-" + IP_A + ":7000");
                    int toB = forward(net, "tcp:127.0.0.1:0-vm2:7000");
                    a.runOk("(echo i-am-a | nc -l -p 7000 >/dev/null 2>&1 &) ; sleep 1");
                    b.runOk("(echo i-am-b | nc -l -p 7000 >/dev/null 2>&1 &) ; sleep 1");
                    assertThat(readBanner(toA)).contains("i-am-a");
                    assertThat(readBanner(toB)).contains("i-am-b");

                    // b downloads and a uploads; then b's QEMU stops (reads nothing) for a window.
                    b.runOk("(sleep 100000 | nc 10.0.2.2 " + source.port() + " >/dev/null 2>&1 &) ; sleep 1");
                    a.runOk("(dd if=/dev/zero bs=65536 count=1000000 2>/dev/null | nc 10.0.2.2 " + sink.port()
                            + " >/dev/null 2>&1 &) ; sleep 1");
                    long before = sink.bytesOver(WINDOW);
                    long downloadedBefore = source.bytesOver(WINDOW);
                    signal(b, "STOP");
                    long paused;
                    long downloadedPaused;
                    try {
                        GuestShell.sleep(1000);                // what was in flight to b lands in buffers
                        long sourceStart = source.bytes.get();
                        paused = sink.bytesOver(WINDOW);
                        downloadedPaused = source.bytes.get() - sourceStart;
                    } finally {
                        signal(b, "CONT");
                    }
                    System.out.printf("a's upload: %d bytes in %s before, %d while b was stopped; b's download:"
                            + " %d bytes before, %d while stopped%n", before, WINDOW, paused, downloadedBefore,
                            downloadedPaused);
                    assertThat(before).as("a uploads before").isGreaterThan(1 << 20);
                    assertThat(downloadedBefore).as("b downloads before").isGreaterThan(1 << 20);
                    assertThat(downloadedPaused).as("b's download stalls while its QEMU is stopped")
                            .isLessThan(downloadedBefore / 10);
                    assertThat(paused).as("a's upload while b is stopped, against %d before", before)
                            .isGreaterThan(before / 2);

                    // b's VM restarts: a new QEMU, same MAC, a new port; its lease and name come back.
                    GuestNic.stop(b);
                    b = boot("b2", MAC_B, netdev);
                    lease(b, "vm2", IP_B);
                    assertThat(new GuestShell(a).nslookup("vm2", "10.0.2.3").addresses()).containsExactly(IP_B);
                    assertThat(new GuestShell(a).ping(IP_B, 2).allAnswered()).isTrue();
                    assertThat(net.stats().snapshot()).doesNotContainKey("transport.REFUSED_CONNECTIONS");
                } finally {
                    GuestNic.stop(b);
                    GuestNic.stop(a);
                }
            } finally {
                net.close();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    private static QemuGuest boot(String name, String mac, String netdev) {
        return GuestNic.boot(LanGuestTest.class.getSimpleName() + "-" + name,
                List.of(new GuestNic("n0", NicModel.VIRTIO_NET_PCI, mac, netdev)), null, null);
    }

    /** DHCP with host name {@code name} (option 12); checks the address. */
    private static void lease(QemuGuest g, String name, String expected) {
        Map<String, String> lease = new GuestShell(g).dhcp("eth0", "-x hostname:" + name);
        assertThat(lease).containsEntry("ip", expected);
    }

    private static List<LeaseInfo> leases(JslirpNetwork net) {
        return net.eventLoop().submit(() -> net.dhcp().leases()).syncUninterruptibly().getNow();
    }

    private static int forward(JslirpNetwork net, String rule) throws Exception {
        return net.nat().addForward(HostForward.parse(rule)).get(10, TimeUnit.SECONDS).getPort();
    }

    private static String readBanner(int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            s.setSoTimeout(20_000);
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        }
    }

    /** Sends {@code signal} to the QEMU process the test started, by its pid. */
    private static void signal(QemuGuest g, String signal) throws Exception {
        Process p = new ProcessBuilder("kill", "-" + signal, Long.toString(g.pid())).inheritIO().start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0).as("kill -%s %d", signal, g.pid()).isTrue();
    }

    /** The EUI-64 link-local address the guest's kernel gives itself (RFC 4291 appendix A). */
    static String linkLocal(String mac) {
        String[] b = mac.split(":");
        int first = Integer.parseInt(b[0], 16) ^ 0x02;
        return String.format("fe80::%x%s:%sff:fe%s:%s%s", first, b[1], b[2], b[3], b[4], b[5]).replace("::0", "::");
    }

    /** A host service that greets each client and closes. */
    private static final class HostBanner extends HostServer {
        private final byte[] text;

        HostBanner(String text) throws IOException {
            this.text = text.getBytes(StandardCharsets.US_ASCII);
            start();
        }

        @Override
        void serve(Socket s) throws IOException {
            s.getOutputStream().write(text);
        }
    }

    /** Counts what clients send. */
    private static final class HostSink extends HostServer {
        HostSink() throws IOException {
            start();
        }

        @Override
        void serve(Socket s) throws IOException {
            InputStream in = s.getInputStream();
            byte[] buf = new byte[65536];
            int n;
            while ((n = in.read(buf)) > 0) {
                bytes.addAndGet(n);
            }
        }
    }

    /** Sends zeros to each client until it goes. */
    private static final class HostSource extends HostServer {
        HostSource() throws IOException {
            start();
        }

        @Override
        void serve(Socket s) throws IOException {
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[65536];
            while (true) {
                out.write(buf);
                bytes.addAndGet(buf.length);
            }
        }
    }

    /** A server on 127.0.0.1 serving each client on a thread of its own. */
    private abstract static class HostServer implements AutoCloseable {
        final ServerSocket server;
        final AtomicLong bytes = new AtomicLong();

        HostServer() throws IOException {
            server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
        }

        void start() {
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread c = new Thread(() -> {
                            try (s) {
                                serve(s);
                            } catch (IOException e) {
                                // the client went
                            }
                        }, "lan-test-client");
                        c.setDaemon(true);
                        c.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "lan-test-server");
            t.setDaemon(true);
            t.start();
        }

        abstract void serve(Socket s) throws IOException;

        int port() {
            return server.getLocalPort();
        }

        /** Bytes moved during the next {@code window}. */
        long bytesOver(Duration window) {
            long start = bytes.get();
            GuestShell.sleep(window.toMillis());
            return bytes.get() - start;
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}
