package dev.jslirp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository's {@code jslirp} launcher and its class-data sharing archive: the first run
 * that serves a network records one as it exits, the next maps it, and without a writable
 * cache, or for a run that serves nothing, it starts as before and records nothing. The
 * launcher runs a jar ({@code JSLIRP_JAR}) built here as the shaded one is (which is made
 * after the tests).
 */
class LauncherClassDataSharingTest {
    private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
    private static final long WAIT_SECONDS = 60;

    @TempDir
    static Path shared;
    private static Path jar;

    @TempDir
    Path tmp;

    /**
     * A runnable jar as the shade plugin makes it: this module's classes and every jar of the
     * test's class path in one (CDS archives classes of the jars on the class path only).
     */
    @BeforeAll
    static void buildJar() throws IOException {
        jar = shared.resolve("jslirp.jar");
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, JslirpCommand.class.getName());
        Set<String> names = new HashSet<>();
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), m)) {
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                Path p = Path.of(entry);
                if (p.endsWith(Path.of("target", "classes"))) {
                    try (Stream<Path> files = Files.walk(p)) {
                        for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                            copy(out, names, p.relativize(f).toString().replace(File.separatorChar, '/'),
                                    Files.newInputStream(f));
                        }
                    }
                } else if (Files.isRegularFile(p)) {
                    try (JarFile in = new JarFile(p.toFile())) {
                        for (JarEntry e : Collections.list(in.entries())) {
                            if (!e.isDirectory()) {
                                copy(out, names, e.getName(), in.getInputStream(e));
                            }
                        }
                    }
                }
            }
        }
    }

    /** Adds one entry unless one of its name is in already, or it is a signature or a manifest. */
    private static void copy(JarOutputStream out, Set<String> names, String name, InputStream data)
            throws IOException {
        try (data) {
            if (name.startsWith("META-INF/") && !name.startsWith("META-INF/services/")
                    && !name.startsWith("META-INF/native/") || name.endsWith("module-info.class") || !names.add(name)) {
                return;
            }
            out.putNextEntry(new JarEntry(name));
            data.transferTo(out);
            out.closeEntry();
        }
    }

    @Test
    void theFirstServingRunRecordsAnArchiveThatTheNextRunMaps() throws Exception {
        Path home = tmp.resolve("home");
        Path cds = Files.createDirectories(home.resolve(".cache/jslirp/cds"));
        // Archives of earlier jars, a day apart: the launcher keeps the four newest in all.
        List<Path> older = new ArrayList<>();
        for (int day = 1; day <= 4; day++) {
            Path old = Files.writeString(cds.resolve("jslirp-" + "0".repeat(15) + day + ".jsa"), "old");
            Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(Duration.ofDays(day))));
            older.add(old);
        }

        Process first = serve(home, "");
        assertThat(arguments(first)).anyMatch(a -> a.startsWith("-XX:ArchiveClassesAtExit=" + cds));
        stop(first);
        List<Path> recorded = files(cds);
        recorded.removeAll(older);
        assertThat(recorded).singleElement().satisfies(f -> {
            assertThat(f.getFileName().toString()).matches("jslirp-[0-9a-f]{16}\\.jsa\\." + first.pid() + "\\.part");
            assertThat(Files.size(f)).as("archive size").isGreaterThan(100_000);
        });

        Path classLog = tmp.resolve("class-load.log");
        Process second = serve(home, "-Xlog:class+load=info:file=" + classLog);
        List<Path> adopted = files(cds);
        adopted.removeAll(older);
        assertThat(adopted).singleElement()
                .satisfies(f -> assertThat(f.getFileName().toString()).matches("jslirp-[0-9a-f]{16}\\.jsa"));
        assertThat(arguments(second)).contains("-XX:SharedArchiveFile=" + adopted.get(0));
        assertThat(files(cds)).as("the new archive and the three newest before it")
                .containsExactlyInAnyOrder(adopted.get(0), older.get(0), older.get(1), older.get(2));
        stop(second);
        // "(top)": the dynamic archive on top of the JDK's own.
        List<String> mapped = Files.readAllLines(classLog).stream()
                .filter(l -> l.contains(" source: shared objects file (top)"))
                .map(l -> l.substring(l.indexOf("] ") + 2, l.indexOf(" source:"))).toList();
        assertThat(mapped).as("classes the second run mapped from the archive")
                .contains(JslirpCommand.class.getName(), "dev.jslirp.JslirpNetwork")
                .anyMatch(c -> c.startsWith("io.netty.channel."))
                .anyMatch(c -> c.startsWith("dev.jslirp.dhcp."));
    }

    @Test
    void withoutAWritableCacheItStartsWithoutSharing() throws Exception {
        Path notADirectory = Files.writeString(tmp.resolve("file"), "");
        Process p = serve(notADirectory.resolve("home"), "");
        assertThat(arguments(p)).noneMatch(a -> a.contains("Archive"));
        stop(p);
    }

    @Test
    void aRunThatServesNoNetworkRecordsNoArchive() throws Exception {
        Path home = tmp.resolve("home");
        Process p = launcher(home, "", List.of("--version")).start();
        assertThat(p.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(home.resolve(".cache")).doesNotExist();
    }

    /** Starts {@code jslirp --listen unix:...} and waits until it listens. */
    private Process serve(Path home, String javaOptions) throws Exception {
        Path socket = Files.createTempDirectory(tmp, "s").resolve("j.sock");
        Path output = Files.createTempFile(tmp, "out", ".log");
        Process p = launcher(home, javaOptions, List.of("--listen", "unix:" + socket))
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (!Files.exists(socket)) {
            if (!p.isAlive() || System.nanoTime() > end) {
                p.destroyForcibly();
                throw new AssertionError("jslirp did not listen on " + socket + ":\n" + Files.readString(output));
            }
            Thread.sleep(50);
        }
        return p;
    }

    private ProcessBuilder launcher(Path home, String javaOptions, List<String> args) {
        List<String> cmd = new ArrayList<>(List.of("bash", ROOT.resolve("jslirp").toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.remove("XDG_CACHE_HOME");
        env.remove("JSLIRP_CDS");
        env.remove("JSLIRP_CLASSPATH");
        env.put("HOME", home.toString());
        env.put("JSLIRP_JAR", jar.toString());
        env.put("JSLIRP_JAVA_OPTS", "-Dio.netty.leakDetection.level=paranoid " + javaOptions);
        // The launcher runs the java on the PATH: this JDK's.
        env.put("PATH", Path.of(System.getProperty("java.home"), "bin") + File.pathSeparator + env.get("PATH"));
        return pb;
    }

    /** The JVM's arguments: the launcher exec's java in place, so the process is the JVM. */
    private static List<String> arguments(Process p) {
        return List.of(p.info().arguments().orElseThrow());
    }

    /** SIGTERM to the JVM (by its own handle), which writes a training archive as it exits. */
    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("jslirp did not stop on SIGTERM");
        }
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().collect(Collectors.toCollection(ArrayList::new));
        }
    }
}
