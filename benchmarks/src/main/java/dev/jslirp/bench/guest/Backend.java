package dev.jslirp.bench.guest;

import dev.jslirp.guest.HostSockets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The network backend of one measured guest: QEMU's own {@code -netdev user} (libslirp),
 * or a jslirp process (started from its jar, a fresh JVM each time, as a user starts it)
 * that QEMU reaches with {@code -netdev stream} over a unix socket. A name
 * {@code LABEL@JAR} is jslirp from another jar (to compare builds, e.g. before and
 * after a change).
 */
final class Backend implements AutoCloseable {
    /** Backend names the tool takes. */
    static final List<String> NAMES = List.of("user", "jslirp");

    private final String name;
    private final String netdev;
    private final Process jslirp;
    private final Path socket;

    private Backend(String name, String netdev, Process jslirp, Path socket) {
        this.name = name;
        this.netdev = netdev;
        this.jslirp = jslirp;
        this.socket = socket;
    }

    /**
     * The label results are reported under: {@code name}, or {@code LABEL} of {@code LABEL@JAR}.
     *
     * @throws IllegalArgumentException if {@code name} is none of {@link #NAMES} nor {@code LABEL@JAR}
     */
    static String label(String name) {
        int at = name.indexOf('@');
        if (at > 0 && at < name.length() - 1) {
            return name.substring(0, at);
        }
        if (!NAMES.contains(name)) {
            throw new IllegalArgumentException("backends: " + name + " must be one of " + NAMES + " or LABEL@JAR");
        }
        return name;
    }

    /**
     * Starts {@code name}: for jslirp, {@code java [jvmOptions] -jar jar --listen unix:...
     * [jslirpArgs]}, its output inherited, waiting until its socket exists.
     */
    static Backend start(String name, Path jar, List<String> jvmOptions, List<String> jslirpArgs)
            throws IOException, InterruptedException {
        if (name.equals("user")) {
            return new Backend(name, "user,id=n0", null, null);
        }
        if (!label(name).equals(name)) {
            jar = Path.of(name.substring(name.indexOf('@') + 1));
        }
        Path socket = HostSockets.tempUnixSocketPath("perf");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-jar", jar.toString(), "--listen", "unix:" + socket));
        cmd.addAll(jslirpArgs);
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        System.out.println("jslirp pid " + p.pid() + ": " + String.join(" ", cmd));
        for (int i = 0; i < 400 && !Files.exists(socket) && p.isAlive(); i++) {
            Thread.sleep(50);
        }
        Backend b = new Backend(name, "stream,id=n0,server=off,addr.type=unix,addr.path=" + socket, p, socket);
        if (!Files.exists(socket)) {
            b.close();
            throw new IOException("jslirp did not create " + socket);
        }
        return b;
    }

    /** The {@code -netdev} value for QEMU. */
    String netdev() {
        return netdev;
    }

    /** Stops the jslirp process (SIGTERM, then SIGKILL) by its own handle; jslirp logs its counters. */
    @Override
    public void close() throws IOException, InterruptedException {
        if (jslirp != null) {
            jslirp.destroy();
            if (!jslirp.waitFor(10, TimeUnit.SECONDS)) {
                jslirp.destroyForcibly();
                jslirp.waitFor(5, TimeUnit.SECONDS);
            }
        }
        if (socket != null) {
            Files.deleteIfExists(socket);
        }
    }
}
