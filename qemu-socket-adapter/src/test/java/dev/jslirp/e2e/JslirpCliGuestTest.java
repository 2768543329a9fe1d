package dev.jslirp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.capture.Tshark;
import dev.jslirp.e2e.nat.BannerServer;
import dev.jslirp.guest.HostSockets;
import dev.jslirp.metrics.PrometheusText;
import dev.jslirp.guest.NicModel;
import dev.jslirp.guest.QemuGuest;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * jslirp as a user runs it: the {@code ./jslirp} launcher at the top of the source tree (which
 * builds {@code qemu-socket-adapter/target/jslirp.jar} first if it is missing or stale) in a
 * process of its own, with {@code -netdev user}-style options; QEMU started with the
 * {@code -netdev} argument jslirp printed; the guest's udhcpc, resolver and ping through it;
 * then SIGTERM, as from a terminal or service manager. The same run captures the link with
 * {@code --pcap} (read back by tshark: the guest's DHCP, DNS and a TCP exchange) and serves
 * {@code --metrics} (scraped while the guest is up: the counters and the DNS latency show
 * its traffic). Twice: on epoll, and with Netty's native transports switched off, as on a
 * host without epoll, where jslirp serves QEMU on the JDK's NIO.
 */
class JslirpCliGuestTest {
    /** Building the jar (first run, or sources changed) takes a while on a loaded machine. */
    private static final Duration START_TIMEOUT = Duration.ofMinutes(5);
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Pattern NETDEV = Pattern.compile("start QEMU with: -netdev (\\S+) -device ");

    private Process jslirp;
    private ProcessOutput output;

    @AfterEach
    void stopLeftovers() {
        if (jslirp != null && jslirp.isAlive()) {
            jslirp.destroyForcibly();
        }
    }

    /** Whether Netty's native epoll loads in the jslirp process. */
    enum NativeIo {
        /** As on Linux: jslirp runs on epoll. */
        PRESENT("epoll", ""),
        /**
         * As on macOS or Windows, where QEMU runs too: Netty's native transports are switched
         * off ({@code io.netty.transport.noNative}), so jslirp picks the JDK's NIO by itself,
         * unix stream sockets included.
         */
        ABSENT("nio", "-Dio.netty.transport.noNative=true");

        final String io;
        final String javaOption;

        NativeIo(String io, String javaOption) {
            this.io = io;
            this.javaOption = javaOption;
        }
    }

    @ParameterizedTest
    @EnumSource(NativeIo.class)
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void launcherServesARealGuestAndStopsCleanlyOnSigterm(NativeIo nativeIo) throws Exception {
        Path socket = HostSockets.tempUnixSocketPath("cli");
        Path pcap = Files.createTempFile("jslirp-cli-guest", ".pcap");
        try (E2eDnsServer upstream = E2eDnsServer.start(Map.of("www.cli.test", "10.0.2.2"));
             ServerSocket bannerSocket = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
             BannerServer banner = BannerServer.on(bannerSocket)) {
            start(List.of("--listen", "unix:" + socket, "--pcap", pcap.toString(), "--metrics", "tcp:127.0.0.1:0",
                    "--hostname", "cli-guest", "--domainname", "cli.test",
                    "--dnssearch", "one.cli.test", "--dnssearch", "two.cli.test",
                    "--mtu", "1400",
                    "--dns-upstream", "127.0.0.1:" + upstream.address().getPort(),
                    "--dns-record", "db.cli.internal=10.0.2.77"), nativeIo.javaOption);
            String startLine = output.awaitLine("start QEMU with", START_TIMEOUT);
            assertThat(startLine).contains("(" + nativeIo.io + ")");
            Matcher m = NETDEV.matcher(startLine);
            assertThat(m.find()).isTrue();
            String netdev = m.group(1);
            Matcher metricsLine = Pattern.compile("metrics: (\\S+) ").matcher(output.awaitLine("metrics: ", WAIT));
            assertThat(metricsLine.find()).isTrue();
            URI metrics = URI.create(metricsLine.group(1));
            assertThat(netdev).isEqualTo("stream,id=n0,server=off,addr.type=unix,addr.path=" + socket);

            try (QemuGuest guest = GuestNic.boot(getClass().getSimpleName(),
                    List.of(new GuestNic("n0", NicModel.VIRTIO_NET_PCI, QemuGuest.DEFAULT_MAC, netdev)), null, null)) {
                GuestShell sh = new GuestShell(guest);
                Map<String, String> lease = sh.dhcp("eth0");
                assertThat(lease).containsEntry("ip", "10.0.2.15").containsEntry("router", "10.0.2.2")
                        .containsEntry("dns", "10.0.2.3").containsEntry("hostname", "cli-guest")
                        .containsEntry("domain", "cli.test").containsEntry("search", "one.cli.test two.cli.test")
                        .containsEntry("mtu", "1400");

                assertThat(sh.nslookup("www.cli.test", null).addresses()).containsExactly("10.0.2.2");
                assertThat(upstream.namesAsked()).contains("www.cli.test.");
                assertThat(sh.nslookup("db.cli.internal", null).addresses()).containsExactly("10.0.2.77");
                assertThat(upstream.namesAsked()).doesNotContain("db.cli.internal.");
                GuestShell.Ping ping = sh.ping("www.cli.test", 2);
                assertThat(ping.output()).contains("PING www.cli.test (10.0.2.2)");
                assertThat(ping.allAnswered()).as(ping.output()).isTrue();
                assertThat(guest.runOk("nc -w 3 10.0.2.2 " + banner.port() + " < /dev/null", GuestShell.NET_TIMEOUT))
                        .contains(BannerServer.BANNER.trim());

                PrometheusText scrape = PrometheusText.scrape(metrics);
                assertThat(scrape.value("jslirp_dhcp_total", "counter", "ack_sent")).isGreaterThanOrEqualTo(1);
                assertThat(scrape.value("jslirp_dns_total", "counter", "answers_relayed")).isGreaterThanOrEqualTo(1);
                assertThat(scrape.value("jslirp_dns_upstream_seconds_count")).isGreaterThanOrEqualTo(1);
                assertThat(scrape.value("jslirp_nat_tcp_host_connect_seconds_count")).isGreaterThanOrEqualTo(1);
                assertThat(scrape.value("jslirp_dhcp_leases")).isEqualTo(1);
                assertThat(scrape.value("jslirp_traffic_total", "counter", "frames_from_guest")).isPositive();
                assertThat(scrape.value("jslirp_capture_total", "counter", "frames_dropped")).isZero();
            }
            output.awaitLine("QEMU disconnected", WAIT);

            jslirp.toHandle().destroy(); // SIGTERM, keeping the pipe the last lines come through
            assertThat(jslirp.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("exits on SIGTERM").isTrue();
            output.awaitLine("stopped", WAIT);
            assertThat(jslirp.exitValue()).as("killed by SIGTERM after a clean shutdown: %s", output.lines())
                    .isEqualTo(128 + 15);
            String all = String.join("\n", output.lines());
            assertThat(all).contains("stopped").doesNotContain("LEAK").doesNotContain("Exception");
            assertThat(socket).as("socket file removed").doesNotExist();

            // The capture, closed at exit, as tshark reads it.
            assertThat(Tshark.fields(pcap, "dhcp", "dhcp.option.dhcp")).contains("1", "2", "3", "5");
            assertThat(Tshark.fields(pcap, "dns.qry.name == \"www.cli.test\"", "dns.flags.response"))
                    .contains("0", "1");
            String port = Integer.toString(banner.port());
            List<String> tcp = Tshark.fields(pcap, "tcp.port == " + port, "tcp.flags.syn", "tcp.flags.ack", "tcp.len");
            assertThat(tcp).as("SYN, SYN-ACK, then the banner to the guest").contains("1\t0\t0", "1\t1\t0")
                    .anyMatch(l -> l.startsWith("0\t1\t") && !l.endsWith("\t0"));
        } finally {
            Files.deleteIfExists(socket);
            Files.deleteIfExists(pcap);
        }
    }

    /** Runs {@code ./jslirp ARGS} from the top of the source tree, with the leak detector on and {@code javaOption}. */
    private void start(List<String> args, String javaOption) throws Exception {
        Path root = sourceTreeRoot();
        List<String> cmd = new ArrayList<>();
        cmd.add(root.resolve("jslirp").toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile()).redirectErrorStream(true);
        pb.environment().put("JSLIRP_JAVA_OPTS",
                "-Dio.netty.leakDetection.level=paranoid -Dio.netty.leakDetection.targetRecords=32 " + javaOption);
        jslirp = pb.start();
        output = ProcessOutput.follow(jslirp, "jslirp-cli-output");
    }

    /** The directory holding the launcher: the module's parent. */
    private static Path sourceTreeRoot() {
        Path module = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
        for (Path p = module; p != null; p = p.getParent()) {
            if (Files.isExecutable(p.resolve("jslirp")) && Files.isRegularFile(p.resolve("jslirp"))) {
                return p;
            }
        }
        throw new AssertionError("no ./jslirp launcher above " + module);
    }
}
