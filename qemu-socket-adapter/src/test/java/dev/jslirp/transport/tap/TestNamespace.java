package dev.jslirp.transport.tap;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace a test creates ({@code ip netns add jslirp-tap-RANDOM}) and
 * deletes, with the processes it ran inside: every command runs with a timeout and is
 * killed by its PID if it overstays; {@link #close()} kills what is still running and
 * deletes the namespace, also after a failure.
 */
public final class TestNamespace implements AutoCloseable {
    /** udhcpc's event script, from the test resources. */
    private static final String UDHCPC_SCRIPT = "udhcpc-script.sh";

    private final String name;
    private final List<Process> started = new ArrayList<>();

    private TestNamespace(String name) {
        this.name = name;
    }

    /**
     * Fails (not skips: CI runs as root) unless this process is root, which creating
     * namespaces and taps needs.
     */
    public static void requireRoot(Class<?> test) {
        String uid;
        try {
            uid = Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("Uid:")).findFirst().orElse("Uid: ?").split("\\s+")[1];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!uid.equals("0")) {
            fail(test.getSimpleName() + " must run as root (uid 0, as CI does): it creates network namespaces "
                    + "(ip netns add) and tap devices, which need CAP_SYS_ADMIN and CAP_NET_ADMIN; this JVM runs as uid "
                    + uid);
        }
    }

    /** Creates a namespace with a fresh name. */
    public static TestNamespace create() throws IOException, InterruptedException {
        return create("jslirp-tap-");
    }

    /** Creates a namespace with a fresh name starting with {@code prefix} (say what it is for). */
    public static TestNamespace create(String prefix) throws IOException, InterruptedException {
        String name = prefix + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 24);
        Result r = host(Duration.ofSeconds(10), "ip", "netns", "add", name);
        if (r.exit() != 0) {
            throw new IOException("ip netns add " + name + " failed: " + r.output());
        }
        return new TestNamespace(name);
    }

    /** The name {@code ip netns} knows. */
    public String name() {
        return name;
    }

    /** {@code /run/netns/NAME}. */
    public Path path() {
        return Path.of("/run/netns", name);
    }

    /** Output and exit status of a finished command. */
    public record Result(int exit, String output) {
        /** Fails unless the command exited 0. */
        public Result ok(String what) {
            if (exit != 0) {
                fail(what + " exited " + exit + ":\n" + output);
            }
            return this;
        }
    }

    /** Runs {@code command} inside the namespace and waits up to {@code timeout}. */
    public Result exec(Duration timeout, String... command) throws IOException, InterruptedException {
        return exec(timeout, Map.of(), command);
    }

    /** Runs {@code command} inside the namespace with extra environment. */
    Result exec(Duration timeout, Map<String, String> env, String... command) throws IOException, InterruptedException {
        return run(timeout, env, inside(command));
    }

    /** Starts {@code command} inside the namespace in the background; {@link #close()} kills it by its PID. */
    public Process start(String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(inside(command)).redirectErrorStream(true);
        Process p = pb.start();
        synchronized (started) {
            started.add(p);
        }
        return p;
    }

    /**
     * Runs busybox udhcpc on {@code ifname} until it has a lease (or gives up) with the
     * test script, which configures address and route; returns the lease's variables.
     */
    Map<String, String> dhcp(String ifname, Path workDir) throws IOException, InterruptedException {
        Path script = workDir.resolve(UDHCPC_SCRIPT);
        try (InputStream in = TestNamespace.class.getResourceAsStream(UDHCPC_SCRIPT)) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        Path lease = workDir.resolve("lease-" + ifname);
        Files.deleteIfExists(lease);
        exec(Duration.ofSeconds(30), Map.of("JSLIRP_LEASE_FILE", lease.toString()),
                "busybox", "udhcpc", "-f", "-q", "-n", "-t", "5", "-T", "1", "-i", ifname, "-s", script.toString())
                .ok("udhcpc -i " + ifname);
        Map<String, String> vars = new java.util.LinkedHashMap<>();
        for (String line : Files.readAllLines(lease)) {
            int eq = line.indexOf('=');
            vars.put(line.substring(0, eq), line.substring(eq + 1).trim());
        }
        return vars;
    }

    private String[] inside(String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
        cmd.addAll(List.of(command));
        return cmd.toArray(new String[0]);
    }

    /** Runs a command in the host's namespace. */
    public static Result host(Duration timeout, String... command) throws IOException, InterruptedException {
        return run(timeout, Map.of(), command);
    }

    private static Result run(Duration timeout, Map<String, String> env, String... command)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        // The output is small; reading it after exit cannot dead-lock on a full pipe
        // for these commands, but read it concurrently anyway to be safe.
        StringBuilder out = new StringBuilder();
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                out.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                out.append("(output unreadable: ").append(e).append(')');
            }
        }, "ns-exec-output");
        reader.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            killTree(p);
            reader.join(2000);
            fail(String.join(" ", command) + " did not finish in " + timeout + "; output so far:\n" + out);
        }
        reader.join(5000);
        return new Result(p.exitValue(), out.toString());
    }

    /** Kills {@code p} and its descendants, by PID. */
    private static void killTree(Process p) throws InterruptedException {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
    }

    /** Kills the background processes (by PID) and deletes the namespace. */
    @Override
    public void close() throws IOException, InterruptedException {
        synchronized (started) {
            for (Process p : started) {
                if (p.isAlive()) {
                    killTree(p);
                }
            }
            started.clear();
        }
        Result r = host(Duration.ofSeconds(10), "ip", "netns", "delete", name);
        if (r.exit() != 0 && Files.exists(path())) {
            throw new IOException("ip netns delete " + name + " failed: " + r.output());
        }
    }

    @Override
    public String toString() {
        return "namespace " + name;
    }
}
