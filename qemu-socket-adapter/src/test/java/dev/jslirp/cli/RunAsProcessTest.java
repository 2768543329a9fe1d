package dev.jslirp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.jslirp.control.ControlClient;
import dev.jslirp.control.ControlReply;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.tap.NamespaceHttpd;
import dev.jslirp.transport.tap.TestNamespace;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code --runas nobody} on a jslirp process serving a namespace: every thread of the
 * process ends up as nobody with no groups and no capabilities (read from
 * {@code /proc/PID/task/TID/status} by the test, not by jslirp's own parser), and the
 * network goes on working unprivileged: the namespace reaches servers on the host's
 * 127.0.0.1 and ::1 through 10.0.2.2 and fec0::2 (new host sockets, made after the drop),
 * the forward bound at start-up reaches the namespace, and one added over the control
 * socket afterwards does too. The pid file is written before the drop, in a directory
 * only root may write. The tests of a namespace need root (fail otherwise).
 */
class RunAsProcessTest extends JslirpProcessTest {
    private static final Duration COMMAND = Duration.ofSeconds(20);
    /** The port of busybox httpd inside the namespace. */
    private static final int GUEST_HTTP_PORT = 8080;

    private final List<HttpServer> hostPages = new ArrayList<>();

    @AfterEach
    void stopPages() {
        hostPages.forEach(s -> s.stop(0));
    }

    /** A page with {@code body} on the host's {@code address}, a free port; returns the port. */
    private int hostPage(InetAddress address, String body) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(address, 0), 8);
        server.createContext("/", ex -> {
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        hostPages.add(server);
        return server.getAddress().getPort();
    }

    /** The uid, gid, groups and capabilities of every thread of process {@code pid}, one line per thread. */
    private static List<String> threadCredentials(long pid) throws IOException {
        List<String> threads = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks) {
                try {
                    StringBuilder b = new StringBuilder();
                    for (String line : Files.readAllLines(task.resolve("status"))) {
                        if (line.matches("(Uid|Gid|Groups|CapPrm|CapEff|CapAmb):.*")) {
                            b.append(line.replaceAll("\\s+", " ").trim()).append("; ");
                        }
                    }
                    threads.add(b.toString());
                } catch (NoSuchFileException e) {
                    // a thread that ended meanwhile
                }
            }
        }
        return threads;
    }

    private static int freeLoopbackPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void everyThreadBecomesNobodyWithoutCapabilitiesAndTheNetworkKeepsWorking() throws Exception {
        TestNamespace.requireRoot(getClass());
        String nobody = "65534";
        try (TestNamespace ns = TestNamespace.create("jslirp-runas-")) {
            int page4 = hostPage(InetAddress.getByName("127.0.0.1"), "host-page-v4");
            int page6 = hostPage(InetAddress.getByName("::1"), "host-page-v6");
            NamespaceHttpd httpd = NamespaceHttpd.start(ns, dir, Integer.toString(GUEST_HTTP_PORT), "namespace-page");
            int forward = freeLoopbackPort();
            Path control = dir.resolve("control.sock");
            Path pidFile = dir.resolve("jslirp.pid");

            jslirp = JslirpProcess.start("--netns", ns.name(), "--netns-static", "--runas", "nobody",
                    "--hostfwd", "tcp:127.0.0.1:" + forward + "-:" + GUEST_HTTP_PORT,
                    "--control", "unix:" + control, "--pid-file", pidFile.toString(), "--dns-upstream", "127.0.0.1:9");
            String dropped = jslirp.awaitLine("dropped root");
            assertThat(dropped).contains("now nobody:nogroup (uid 65534, gid 65534), was uid 0 gid 0")
                    .contains("now no supplementary groups and CapPrm=CapEff=CapAmb=0, checked in all");

            assertThat(Files.readString(pidFile)).as("written as root, in a directory only root may write")
                    .isEqualTo(jslirp.process().pid() + "\n");
            List<String> threads = threadCredentials(jslirp.process().pid());
            assertThat(threads).as("the JVM's threads: main, event loop, GC, JIT...").hasSizeGreaterThan(5);
            assertThat(threads).allSatisfy(t -> assertThat(t).isEqualTo(
                    "Uid: " + nobody + " " + nobody + " " + nobody + " " + nobody + "; "
                    + "Gid: " + nobody + " " + nobody + " " + nobody + " " + nobody + "; "
                    + "Groups:; CapPrm: 0000000000000000; CapEff: 0000000000000000; CapAmb: 0000000000000000; "));

            assertThat(ns.exec(COMMAND, "curl", "-sS", "-m", "10", "http://10.0.2.2:" + page4 + "/")
                    .ok("curl 10.0.2.2").output()).isEqualTo("host-page-v4");
            assertThat(ns.exec(COMMAND, "curl", "-sS", "-m", "10", "http://[fec0::2]:" + page6 + "/")
                    .ok("curl fec0::2").output()).isEqualTo("host-page-v6");
            assertThat(httpd.getThroughForward(InetAddress.getLoopbackAddress(), forward)).as("through the forward made as root")
                    .contains("namespace-page");

            int added;
            try (ControlClient c = ControlClient.connect(new Endpoint.Unix(control), Duration.ofSeconds(10))) {
                ControlReply r = c.send("hostfwd_add tcp:127.0.0.1:0-:" + GUEST_HTTP_PORT);
                assertThat(r.isOk()).as(r.text()).isTrue();
                Matcher m = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)").matcher(r.text());
                assertThat(m.find()).as(r.text()).isTrue();
                added = Integer.parseInt(m.group(1));
            }
            assertThat(httpd.getThroughForward(InetAddress.getLoopbackAddress(), added)).as("through a forward added as nobody")
                    .contains("namespace-page");

            assertThat(jslirp.terminate()).isEqualTo(128 + 15);
            assertThat(jslirp.output()).doesNotContain("ERROR").doesNotContain("LEAK").contains("stopped; counters");
        }
    }

    /**
     * {@code --netns PID}: jslirp watches the namespace through {@code /proc/PID/ns/net},
     * which only a process that may ptrace PID can follow. After the drop it can no longer,
     * and it must not take that for the namespace being gone: it keeps serving, and exits
     * when the process really ends.
     */
    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void namespaceOfAProcessIsStillWatchedCorrectlyAfterTheDrop() throws Exception {
        TestNamespace.requireRoot(getClass());
        Process holder = new ProcessBuilder("unshare", "--net", "sleep", "600").start();
        try {
            int page4 = hostPage(InetAddress.getByName("127.0.0.1"), "host-page-v4");
            long pid = holder.pid();
            jslirp = JslirpProcess.start("--netns", Long.toString(pid), "--netns-static", "--runas", "nobody",
                    "--dns-upstream", "127.0.0.1:9");
            jslirp.awaitLine("dropped root");
            // The namespace is checked once a second: three checks as nobody.
            Thread.sleep(3500);
            assertThat(jslirp.process().isAlive()).as("still serving: " + jslirp.output()).isTrue();
            assertThat(TestNamespace.host(COMMAND, "nsenter", "--net=/proc/" + pid + "/ns/net", "curl", "-sS", "-m",
                    "10", "http://10.0.2.2:" + page4 + "/").ok("curl in the namespace of " + pid).output())
                    .isEqualTo("host-page-v4");

            holder.destroy();
            assertThat(holder.waitFor(10, TimeUnit.SECONDS)).isTrue();
            assertThat(jslirp.awaitExit()).as("exits 0 once the namespace is gone").isZero();
            assertThat(jslirp.output()).contains("network namespace /proc/" + pid + "/ns/net is gone");
        } finally {
            holder.destroyForcibly();
        }
    }

    @Test
    void runasIsRefusedForQemuSocketsAndUnknownUsersNamingTheOption() {
        JslirpCommandTest.Result r = JslirpCommandTest.execute("--listen", "unix:/tmp/jslirp-runas-x.sock",
                "--runas", "nobody");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--runas applies to --netns and --tap only");

        r = JslirpCommandTest.execute("--netns", "jslirp-runas-none", "--runas", "no-such-user-jslirp");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("invalid --runas: 'no-such-user-jslirp': no user 'no-such-user-jslirp' in the "
                + "user database (expected USER[:GROUP]");

        r = JslirpCommandTest.execute("--netns", "jslirp-runas-none", "--runas", "nobody:");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("invalid --runas: 'nobody:' (expected USER[:GROUP]");
    }

    @Test
    void helpDescribesRunas() {
        JslirpCommandTest.Result r = JslirpCommandTest.execute("--help");
        assertThat(r.out().replaceAll("\\s+", " ")).contains("--runas=USER[:GROUP]").contains("as passt and pasta do");
    }
}
