package dev.jslirp.slirp4netns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.sun.net.httpserver.HttpServer;
import dev.jslirp.transport.tap.TestNamespace;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The done test of the slirp4netns drop-in: rootless containers' own tool, rootlesskit,
 * run by an unprivileged user with jslirp as its slirp4netns:
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
 * through the API socket.
 *
 * <h2>What it sets up, idempotently</h2>
 * <ul>
 *   <li>the user {@value #USER} (useradd) with subordinate uid and gid ranges (usermod),
 *       for rootlesskit's newuidmap/newgidmap (Debian packages rootlesskit, uidmap);
 *       kept for the next run;</li>
 *   <li>{@code /dev/net/tun} readable and writable by all, as Debian's udev rule makes
 *       it (a machine without udev leaves it 0600); its mode is restored at the end;</li>
 *   <li>a world-readable copy of this test's class path and of the repository's
 *       {@code jslirp} and {@code jslirp-slirp4netns} launchers in a temporary directory,
 *       since the checkout and the Maven repository may not be readable by that user
 *       ({@code JSLIRP_CLASSPATH} makes the launcher use the copy); removed at the end.</li>
 * </ul>
 * rootlesskit runs with {@code --pidns}, so everything inside dies with it; the test stops
 * it, and what it started, by PID.
 */
class RootlessKitTest {
    static final String USER = "jslirp-rootless";
    private static final Path TUN = Path.of("/dev/net/tun");
    private static final Duration READY = Duration.ofSeconds(120);

    @BeforeAll
    static void rootAndTools() throws Exception {
        TestNamespace.requireRoot(RootlessKitTest.class);
        for (String[] tool : new String[][] {{"rootlesskit", "rootlesskit"}, {"newuidmap", "uidmap"},
            {"setpriv", "util-linux"}, {"nsenter", "util-linux"}, {"busybox", "busybox-static"}}) {
            if (run(Duration.ofSeconds(10), "sh", "-c", "command -v " + tool[0]).exit() != 0) {
                fail(tool[0] + " is missing: install the Debian package " + tool[1] + " (.ci/run does)");
            }
        }
        ensureUser();
    }

    @Test
    void aRootlessNamespaceReachesTheHostAndIsReachedThroughAPublishedPort() throws Exception {
        List<String> hostClients = new CopyOnWriteArrayList<>();
        HttpServer host = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        host.createContext("/", ex -> {
            hostClients.add(ex.getRemoteAddress().getAddress().getHostAddress());
            byte[] b = "from-the-host".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        host.start();
        Set<PosixFilePermission> tunMode = Files.getPosixFilePermissions(TUN);
        Path dir = Files.createTempDirectory("jslirp-rootless-");
        Process rootlesskit = null;
        List<ProcessHandle> started = new ArrayList<>();
        try {
            Files.setPosixFilePermissions(TUN, PosixFilePermissions.fromString("rw-rw-rw-"));
            Path launcher = installLaunchers(dir);
            String classPath = copyClassPath(dir.resolve("cp"));
            Path work = Files.createDirectories(dir.resolve("work"));
            run(Duration.ofSeconds(10), "chown", USER + ":" + USER, work.toString()).ok("chown");
            int published = freePort();
            String script = "set -e\n"
                    + "busybox wget -q -O " + work + "/fetched http://10.0.2.2:" + host.getAddress().getPort() + "/\n"
                    + "mkdir -p " + work + "/www\n"
                    + "echo from-the-namespace > " + work + "/www/index.html\n"
                    + "exec busybox httpd -f -p 80 -h " + work + "/www\n";
            Path log = dir.resolve("rootlesskit.log");
            ProcessBuilder pb = new ProcessBuilder("setpriv", "--reuid=" + USER, "--regid=" + USER, "--init-groups", "--",
                    "rootlesskit", "--debug", "--pidns", "--net=slirp4netns", "--slirp4netns-binary=" + launcher,
                    "--port-driver=slirp4netns", "-p", "127.0.0.1:" + published + ":80/tcp", "--state-dir="
                    + work.resolve("state"), "sh", "-c", script)
                    .directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().clear();
            pb.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
            pb.environment().put("HOME", "/home/" + USER);
            pb.environment().put("USER", USER);
            pb.environment().put("LOGNAME", USER);
            pb.environment().put("JSLIRP_CLASSPATH", classPath);
            pb.environment().put("JSLIRP_JAVA_OPTS", "-XX:-UsePerfData -Dio.netty.leakDetection.level=paranoid");
            rootlesskit = pb.start();

            String page = awaitPage(published, rootlesskit, log);
            rootlesskit.descendants().forEach(started::add);
            assertThat(page).isEqualTo("from-the-namespace");
            assertThat(Files.readString(work.resolve("fetched"))).as("the namespace fetched from 10.0.2.2")
                    .isEqualTo("from-the-host");
            assertThat(hostClients).as("the host saw the namespace's request from its loopback").containsExactly("127.0.0.1");
            assertThat(Files.readString(log)).as("rootlesskit ran jslirp, not slirp4netns")
                    .contains("Starting slirp (jslirp)", "add_hostfwd tcp:127.0.0.1:" + published,
                            "opening tap0 through a helper process")
                    .doesNotContain("LEAK:");
            assertThat(started.stream().filter(p -> p.info().commandLine().orElse("").contains("JslirpCommand")))
                    .as("jslirp runs as the unprivileged user").isNotEmpty()
                    .allSatisfy(p -> assertThat(p.info().user()).hasValue(USER));
        } finally {
            if (rootlesskit != null) {
                stop(rootlesskit, started);
            }
            host.stop(0);
            Files.setPosixFilePermissions(TUN, tunMode);
            deleteTree(dir);
        }
    }

    /** The published page, polled until it answers; fails with rootlesskit's log if it exits or takes too long. */
    private static String awaitPage(int port, Process rootlesskit, Path log) throws Exception {
        long end = System.nanoTime() + READY.toNanos();
        while (true) {
            try {
                HttpURLConnection c = (HttpURLConnection) new URL("http://127.0.0.1:" + port + "/").openConnection();
                c.setConnectTimeout(2000);
                c.setReadTimeout(5000);
                try (InputStream in = c.getInputStream()) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
                }
            } catch (IOException e) {
                if (!rootlesskit.isAlive()) {
                    fail("rootlesskit exited " + rootlesskit.exitValue() + ":\n" + Files.readString(log));
                }
                if (System.nanoTime() > end) {
                    fail("nothing answered on the published port within " + READY + " (" + e + "):\n"
                            + Files.readString(log));
                }
                Thread.sleep(250);
            }
        }
    }

    /** SIGTERM to rootlesskit, then whatever it started is killed by PID. */
    private static void stop(Process rootlesskit, List<ProcessHandle> started) throws InterruptedException {
        rootlesskit.descendants().forEach(started::add);
        rootlesskit.destroy();
        if (!rootlesskit.waitFor(15, TimeUnit.SECONDS)) {
            rootlesskit.destroyForcibly();
            rootlesskit.waitFor(5, TimeUnit.SECONDS);
        }
        for (ProcessHandle p : started) {
            if (p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }

    /** Copies the repository's launchers beside each other, world-readable; the drop-in's path. */
    private static Path installLaunchers(Path dir) throws IOException {
        Path root = Slirp4netnsProcess.repositoryRoot();
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String name : List.of("jslirp", "jslirp-slirp4netns")) {
            Path copy = Files.copy(root.resolve(name), dir.resolve(name), StandardCopyOption.COPY_ATTRIBUTES);
            Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        return dir.resolve("jslirp-slirp4netns");
    }

    /** Copies every entry of this JVM's class path under {@code into}, world-readable; the copy's class path. */
    private static String copyClassPath(Path into) throws Exception {
        List<String> entries = new ArrayList<>();
        int i = 0;
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path src = Path.of(e);
            if (!Files.exists(src)) {
                continue;
            }
            Path dst = into.resolve((i++) + "-" + src.getFileName());
            try (Stream<Path> files = Files.walk(src)) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    Path t = dst.resolve(src.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(t);
                    } else {
                        Files.createDirectories(t.getParent());
                        Files.copy(f, t);
                    }
                }
            }
            entries.add(dst.toString());
        }
        run(Duration.ofSeconds(60), "chmod", "-R", "a+rX", into.toString()).ok("chmod");
        return String.join(File.pathSeparator, entries);
    }

    /** Creates the test user and its subordinate id ranges if missing. */
    static void ensureUser() throws Exception {
        if (run(Duration.ofSeconds(10), "id", "-u", USER).exit() != 0) {
            run(Duration.ofSeconds(30), "useradd", "--create-home", "--shell", "/bin/sh", USER).ok("useradd " + USER);
        }
        for (String[] kind : new String[][] {{"/etc/subuid", "--add-subuids"}, {"/etc/subgid", "--add-subgids"}}) {
            Path file = Path.of(kind[0]);
            if (!Files.exists(file)) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            }
            List<String> lines = Files.readAllLines(file);
            if (lines.stream().noneMatch(l -> l.startsWith(USER + ":"))) {
                long next = 100000;
                for (String l : lines) {
                    String[] f = l.split(":");
                    if (f.length == 3) {
                        next = Math.max(next, Long.parseLong(f[1].trim()) + Long.parseLong(f[2].trim()));
                    }
                }
                run(Duration.ofSeconds(30), "usermod", kind[1], next + "-" + (next + 65535), USER)
                        .ok("usermod " + kind[1]);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static TestNamespace.Result run(Duration timeout, String... command) throws Exception {
        return TestNamespace.host(timeout, command);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
