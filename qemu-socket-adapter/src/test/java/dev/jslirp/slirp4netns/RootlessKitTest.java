package dev.jslirp.slirp4netns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The done test of the slirp4netns drop-in: rootless containers' own tool, rootlesskit,
 * run by an unprivileged user ({@link RootlessUser}) with jslirp as its slirp4netns:
 * <pre>
 * rootlesskit --net=slirp4netns --slirp4netns-binary=jslirp-slirp4netns --port-driver=slirp4netns \
 *             -p 127.0.0.1:PORT:80/tcp sh -c '...'
 * </pre>
 * The command inside fetches a page from a server this test runs on the host's 127.0.0.1,
 * through the gateway 10.0.2.2, then serves a page on its port 80; the test fetches that
 * one from the host through the published port. rootlesskit detects jslirp's features
 * from its {@code --help}, creates the tap in the child's namespaces, starts jslirp from
 * outside them as the unprivileged user (so jslirp's helper process joins the user
 * namespace to open the tap), waits on the ready descriptor, and publishes the port
 * through the API socket. rootlesskit runs with {@code --pidns}, so everything inside
 * dies with it; the test stops it, and what it started, by PID.
 */
class RootlessKitTest {
    private static final Duration READY = Duration.ofSeconds(120);

    @Test
    void aRootlessNamespaceReachesTheHostAndIsReachedThroughAPublishedPort() throws Exception {
        try (RootlessUser user = RootlessUser.setUp(RootlessKitTest.class, new String[] {"rootlesskit", "rootlesskit"},
                new String[] {"newuidmap", "uidmap"}, new String[] {"setpriv", "util-linux"},
                new String[] {"busybox", "busybox-static"});
             HostPage host = new HostPage("from-the-host")) {
            Path work = user.ownDirectory("work");
            int published = freePort();
            String script = "set -e\n"
                    + "busybox wget -q -O " + work + "/fetched http://10.0.2.2:" + host.port() + "/\n"
                    + "mkdir -p " + work + "/www\n"
                    + "echo from-the-namespace > " + work + "/www/index.html\n"
                    + "exec busybox httpd -f -p 80 -h " + work + "/www\n";
            Path log = user.dir().resolve("rootlesskit.log");
            Process rootlesskit = user.asUser(List.of("rootlesskit", "--debug", "--pidns", "--net=slirp4netns",
                    "--slirp4netns-binary=" + user.dropIn(), "--port-driver=slirp4netns",
                    "-p", "127.0.0.1:" + published + ":80/tcp", "--state-dir=" + work.resolve("state"),
                    "sh", "-c", script))
                    .directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            List<ProcessHandle> started = new ArrayList<>();
            try {
                String page = awaitPage(published, rootlesskit, log);
                rootlesskit.descendants().forEach(started::add);
                assertThat(page).isEqualTo("from-the-namespace");
                assertThat(Files.readString(work.resolve("fetched"))).as("the namespace fetched from 10.0.2.2")
                        .isEqualTo("from-the-host");
                assertThat(host.clients()).as("the host saw the namespace's request from its loopback")
                        .containsExactly("127.0.0.1");
                assertThat(Files.readString(log)).as("rootlesskit ran jslirp, not slirp4netns")
                        .contains("Starting slirp (jslirp)", "add_hostfwd tcp:127.0.0.1:" + published,
                                "opening tap0 through a helper process")
                        .doesNotContain("LEAK:");
                assertThat(started.stream().filter(p -> p.info().commandLine().orElse("").contains("JslirpCommand")))
                        .as("jslirp runs as the unprivileged user").isNotEmpty()
                        .allSatisfy(p -> assertThat(p.info().user()).hasValue(RootlessUser.NAME));
            } finally {
                stop(rootlesskit, started);
            }
            assertThat(user.leftovers(Duration.ofSeconds(10))).as("nothing of the test is left running").isEmpty();
        }
    }

    /** The published page, polled until it answers; fails with rootlesskit's log if it exits or takes too long. */
    static String awaitPage(int port, Process parent, Path log) throws Exception {
        long end = System.nanoTime() + READY.toNanos();
        while (true) {
            try {
                return HostPage.fetch(port);
            } catch (IOException e) {
                if (!parent.isAlive()) {
                    fail(parent.info().command().orElse("the process") + " exited " + parent.exitValue() + ":\n"
                            + Files.readString(log));
                }
                if (System.nanoTime() > end) {
                    fail("nothing answered on the published port within " + READY + " (" + e + "):\n"
                            + Files.readString(log));
                }
                Thread.sleep(250);
            }
        }
    }

    /** SIGTERM to {@code parent}, then whatever it started is killed by PID. */
    static void stop(Process parent, List<ProcessHandle> started) throws InterruptedException {
        parent.descendants().forEach(started::add);
        parent.destroy();
        if (!parent.waitFor(15, TimeUnit.SECONDS)) {
            parent.destroyForcibly();
            parent.waitFor(5, TimeUnit.SECONDS);
        }
        for (ProcessHandle p : started) {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
