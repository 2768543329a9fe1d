package dev.jslirp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace the test creates for QEMU's own {@code -netdev user} (libslirp), with
 * the test's DNS server inside it.
 *
 * <h2>Why</h2>
 * <p>libslirp forwards the guest's DNS queries to the nameservers in {@code /etc/resolv.conf}
 * and has no option to name another. The tests must never send anything to this machine's
 * resolver, so QEMU runs in a namespace of its own, where {@code ip netns exec} bind-mounts
 * {@code /etc/netns/NAME/resolv.conf} over {@code /etc/resolv.conf}: it names 127.0.0.1, and
 * an {@link E2eDnsServer} process listens there on port 53, inside the namespace, and on ::1
 * port 53 too, where libslirp sends queries to its IPv6 DNS address (fec0::3) when resolv.conf
 * names no IPv6 nameserver (socket.c, sotranslate_out). The
 * namespace has nothing but its own loopback, so whatever libslirp sends can reach nothing
 * else, and its "host loopback" (10.0.2.2) is the namespace's.
 *
 * <h2>Lifecycle</h2>
 * <p>{@link #create} makes the namespace (named {@code jslirp-e2e-<random>}), its resolv.conf,
 * a wrapper that runs QEMU inside it ({@link #qemuWrapper()}: {@code exec ip netns exec},
 * which execs QEMU in place, so the guest harness's process handle is QEMU's own pid), and
 * starts the DNS server. {@link #close} stops the DNS server through its own process handle
 * (closing its stdin ends it; SIGKILL if not), then deletes the namespace and the files. Needs
 * root (CAP_SYS_ADMIN) for {@code ip netns}.
 */
public final class NetnsSandbox implements AutoCloseable {
    private static final long START_TIMEOUT_SECONDS = 60;

    private final String name;
    private final Path etcDir;
    private final Path wrapper;
    private Process dnsServer;
    private ProcessOutput dnsOutput;

    private NetnsSandbox(String name, Path etcDir, Path wrapper) {
        this.name = name;
        this.etcDir = etcDir;
        this.wrapper = wrapper;
    }

    /**
     * Creates the namespace and starts the DNS server in it on 127.0.0.1:53 and [::1]:53.
     *
     * @param answers the DNS server's records: name to addresses of either family, comma-separated
     */
    public static NetnsSandbox create(Map<String, String> answers) {
        return create(answers, false);
    }

    /**
     * As {@link #create(Map)}, with {@code ipv6Nameserver}: resolv.conf also names ::1, where
     * the DNS server listens as well. libslirp serves DNS at its IPv6 address (fec0::3) only
     * then: it forwards those queries to the first IPv6 nameserver of resolv.conf, and with
     * none it answers them with ICMPv6 "no route to destination" (QEMU 7.2, libslirp 4.7, seen
     * on the wire), where jslirp forwards to its upstream whatever the family.
     */
    public static NetnsSandbox create(Map<String, String> answers, boolean ipv6Nameserver) {
        String name = "jslirp-e2e-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        Path etc = Paths.get("/etc/netns", name);
        NetnsSandbox box = null;
        try {
            run("ip", "netns", "add", name);
            box = new NetnsSandbox(name, etc, Files.createTempFile("jslirp-qemu-in-" + name + "-", ".sh"));
            run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
            Files.createDirectories(etc);
            Files.writeString(etc.resolve("resolv.conf"), "nameserver 127.0.0.1\n"
                    + (ipv6Nameserver ? "nameserver ::1\n" : ""));
            Files.writeString(box.wrapper, "#!/bin/sh\n# QEMU inside the test's network namespace " + name + "\n"
                    + "exec ip netns exec " + name + " " + System.getenv().getOrDefault("JSLIRP_QEMU", "qemu-system-x86_64")
                    + " \"$@\"\n");
            Files.setPosixFilePermissions(box.wrapper, PosixFilePermissions.fromString("rwx------"));
            box.startDnsServer(answers);
            return box;
        } catch (IOException | RuntimeException e) {
            if (box != null) {
                box.close();
            } else {
                runQuietly("ip", "netns", "del", name);
            }
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    private void startDnsServer(Map<String, String> answers) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name,
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx64m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                E2eDnsServer.class.getName(), "127.0.0.1,::1", "53"));
        answers.forEach((n, a) -> cmd.add(n + "=" + a));
        dnsServer = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        dnsOutput = ProcessOutput.follow(dnsServer, "netns-dns-output");
        dnsOutput.awaitLine(E2eDnsServer.READY, Duration.ofSeconds(START_TIMEOUT_SECONDS));
    }

    /** Sets {@code key=value} with sysctl inside the namespace (its own network settings only). */
    public void sysctl(String key, String value) {
        run("ip", "netns", "exec", name, "sysctl", "-q", "-w", key + "=" + value);
    }

    /** The namespace's name. */
    public String name() {
        return name;
    }

    /** An executable that runs QEMU with its arguments inside the namespace. */
    public String qemuWrapper() {
        return wrapper.toString();
    }

    /** The queries the namespace's DNS server received so far. */
    public List<E2eDnsServer.Query> dnsQueries() {
        return dnsOutput.lines().stream().map(E2eDnsServer.Query::parse).filter(q -> q != null).toList();
    }

    /** Stops the DNS server (by its process handle), deletes the namespace and its files. */
    @Override
    public void close() {
        if (dnsServer != null) {
            try {
                dnsServer.getOutputStream().close();
                if (!dnsServer.waitFor(10, TimeUnit.SECONDS)) {
                    dnsServer.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (IOException | InterruptedException e) {
                dnsServer.destroyForcibly();
            }
        }
        runQuietly("ip", "netns", "del", name);
        try {
            Files.deleteIfExists(etcDir.resolve("resolv.conf"));
            Files.deleteIfExists(etcDir);
            Files.deleteIfExists(wrapper);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Closes, then asserts the namespace is gone: the libslirp tests' clean-up check. */
    public void closeAndCheckDeleted() {
        close();
        assertThat(exists()).as("namespace %s deleted", name).isFalse();
    }

    /** True if the namespace still exists (for the test's own clean-up check). */
    public boolean exists() {
        return Files.exists(Paths.get("/run/netns", name));
    }

    private static void run(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed (network namespaces need root): "
                        + out.strip());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(String.join(" ", cmd), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", cmd), e);
        }
    }

    private static void runQuietly(String... cmd) {
        try {
            run(cmd);
        } catch (RuntimeException ignored) {
            // clean-up: best effort
        }
    }
}
