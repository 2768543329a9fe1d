package dev.jslirp.slirp4netns;

import static org.assertj.core.api.Assertions.fail;

import dev.jslirp.transport.tap.TestNamespace;
import java.io.File;
import java.io.IOException;
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
import java.util.stream.Stream;

/**
 * An unprivileged user for the rootless-container tests, and a place it can run jslirp
 * from; set up by a test running as root.
 *
 * <ul>
 *   <li>the user {@value #NAME} (useradd) with subordinate uid and gid ranges (usermod),
 *       which rootless containers map through newuidmap/newgidmap (Debian package
 *       uidmap); created if missing and kept for the next run;</li>
 *   <li>{@code /dev/net/tun} readable and writable by all while the test runs, as
 *       Debian's udev rule makes it (a machine without udev leaves it 0600); its mode is
 *       restored at {@link #close()};</li>
 *   <li>a temporary directory the user can read ({@link #dir()}) with a copy of this
 *       test's class path and of the repository's {@code jslirp} and
 *       {@code jslirp-slirp4netns} launchers, since the checkout and the Maven repository
 *       may not be readable by that user ({@code JSLIRP_CLASSPATH} makes the launcher use
 *       the copy); removed at {@link #close()}.</li>
 * </ul>
 */
final class RootlessUser implements AutoCloseable {
    static final String NAME = "jslirp-rootless";
    private static final Path TUN = Path.of("/dev/net/tun");

    private final Path dir;
    private final Set<PosixFilePermission> tunMode;
    private final String classPath;

    private RootlessUser(Path dir, Set<PosixFilePermission> tunMode, String classPath) {
        this.dir = dir;
        this.tunMode = tunMode;
        this.classPath = classPath;
    }

    /**
     * Checks root and the tools ({@code {command, Debian package}}), sets everything up.
     * Fails, not skips, without them.
     */
    static RootlessUser setUp(Class<?> test, String[]... tools) throws Exception {
        TestNamespace.requireRoot(test);
        for (String[] tool : tools) {
            if (run(Duration.ofSeconds(10), "sh", "-c", "command -v " + tool[0]).exit() != 0) {
                fail(tool[0] + " is missing: install the Debian package " + tool[1] + " (.ci/run does)");
            }
        }
        ensureUser();
        Set<PosixFilePermission> tunMode = Files.getPosixFilePermissions(TUN);
        Path dir = Files.createTempDirectory("jslirp-rootless-");
        try {
            Files.setPosixFilePermissions(TUN, PosixFilePermissions.fromString("rw-rw-rw-"));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path root = Slirp4netnsProcess.repositoryRoot();
            for (String name : List.of("jslirp", "jslirp-slirp4netns")) {
                Path copy = Files.copy(root.resolve(name), dir.resolve(name), StandardCopyOption.COPY_ATTRIBUTES);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
            return new RootlessUser(dir, tunMode, copyClassPath(dir.resolve("cp")));
        } catch (Exception e) {
            Files.setPosixFilePermissions(TUN, tunMode);
            deleteTree(dir);
            throw e;
        }
    }

    /** The directory (mode 0755, root's) holding the launchers and the class path. */
    Path dir() {
        return dir;
    }

    /** The copy of {@code jslirp-slirp4netns}: the drop-in's path for rootlesskit and podman. */
    Path dropIn() {
        return dir.resolve("jslirp-slirp4netns");
    }

    /** A new directory under {@link #dir()} that belongs to the user. */
    Path ownDirectory(String name) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name));
        run(Duration.ofSeconds(10), "chown", NAME + ":" + NAME, d.toString()).ok("chown");
        return d;
    }

    /**
     * {@code command} to run as the user (setpriv, so the process is the command itself),
     * with a plain environment, jslirp's class path and JVM options, and {@code extraEnv}
     * ({@code KEY=VALUE}).
     */
    ProcessBuilder asUser(List<String> command, String... extraEnv) {
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + NAME, "--regid=" + NAME, "--init-groups", "--"));
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        pb.environment().put("HOME", "/home/" + NAME);
        pb.environment().put("USER", NAME);
        pb.environment().put("LOGNAME", NAME);
        pb.environment().put("JSLIRP_CLASSPATH", classPath);
        pb.environment().put("JSLIRP_JAVA_OPTS", "-XX:-UsePerfData -Dio.netty.leakDetection.level=paranoid");
        for (String kv : extraEnv) {
            int eq = kv.indexOf('=');
            pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return pb;
    }

    /**
     * Processes whose command line names this set-up's directory (what the test started)
     * still running after up to {@code wait}.
     */
    List<ProcessHandle> leftovers(Duration wait) throws InterruptedException {
        String mark = dir.toString();
        long end = System.nanoTime() + wait.toNanos();
        while (true) {
            List<ProcessHandle> left = ProcessHandle.allProcesses()
                    .filter(p -> p.info().commandLine().orElse("").contains(mark)).toList();
            if (left.isEmpty() || System.nanoTime() > end) {
                return left;
            }
            Thread.sleep(100);
        }
    }

    /** Restores {@code /dev/net/tun}'s mode and removes the directory. */
    @Override
    public void close() throws IOException {
        try {
            Files.setPosixFilePermissions(TUN, tunMode);
        } finally {
            deleteTree(dir);
        }
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

    /** Creates the user and its subordinate id ranges if missing. */
    private static void ensureUser() throws Exception {
        if (run(Duration.ofSeconds(10), "id", "-u", NAME).exit() != 0) {
            run(Duration.ofSeconds(30), "useradd", "--create-home", "--shell", "/bin/sh", NAME).ok("useradd " + NAME);
        }
        for (String[] kind : new String[][] {{"/etc/subuid", "--add-subuids"}, {"/etc/subgid", "--add-subgids"}}) {
            Path file = Path.of(kind[0]);
            if (!Files.exists(file)) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            }
            List<String> lines = Files.readAllLines(file);
            if (lines.stream().noneMatch(l -> l.startsWith(NAME + ":"))) {
                long next = 100000;
                for (String l : lines) {
                    String[] f = l.split(":");
                    if (f.length == 3) {
                        next = Math.max(next, Long.parseLong(f[1].trim()) + Long.parseLong(f[2].trim()));
                    }
                }
                run(Duration.ofSeconds(30), "usermod", kind[1], next + "-" + (next + 65535), NAME)
                        .ok("usermod " + kind[1]);
            }
        }
    }

    static TestNamespace.Result run(Duration timeout, String... command) throws Exception {
        return TestNamespace.host(timeout, command);
    }

    static void deleteTree(Path dir) throws IOException {
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
