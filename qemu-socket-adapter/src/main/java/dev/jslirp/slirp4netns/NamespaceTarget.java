package dev.jslirp.slirp4netns;

import dev.jslirp.transport.tap.NetworkNamespace;
import dev.jslirp.transport.tap.TapSetup;
import dev.jslirp.transport.tap.TapTransport;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The network namespace slirp4netns is given ({@code PID}, or {@code --netns-type=path}
 * and a path), the user namespace to enter first ({@code --userns-path}, or for a PID
 * the process's own), and how jslirp gets a tap opened in there.
 *
 * <h2>Entering without privileges</h2>
 * <p>slirp4netns forks a child that calls {@code setns(2)} into the user namespace and
 * then the network namespace, opens the tap and passes its descriptor back. A JVM
 * cannot: {@code setns(CLONE_NEWUSER)} refuses a multi-threaded caller, and entering the
 * network namespace without the user namespace needs {@code CAP_SYS_ADMIN} in jslirp's
 * own user namespace, which an unprivileged user (rootlesskit's parent) lacks. So:
 * <ul>
 *   <li>when jslirp has {@code CAP_SYS_ADMIN} (root, or already inside the container's
 *       user namespace as podman runs slirp4netns), or the target is in jslirp's own user
 *       namespace, a thread of this JVM enters the network namespace and opens the tap
 *       ({@link NetworkNamespace#call}), as {@code --netns} does;</li>
 *   <li>otherwise a helper process joins both namespaces through {@code nsenter} from
 *       util-linux, opens the tap there and sends the descriptor back over a unix socket
 *       ({@link TapHelper}, {@link TapHelperProcess}); the NAT's sockets stay in jslirp's namespace.</li>
 * </ul>
 *
 * @param netns  the network namespace's file
 * @param userns the user namespace to enter with it, or null (a path given without
 *               {@code --userns-path}: slirp4netns enters the network namespace only)
 * @param pid    the process named, or 0 for a path
 */
record NamespaceTarget(Path netns, Path userns, long pid) {
    private static final Logger LOG = LoggerFactory.getLogger(NamespaceTarget.class);
    /** Bit of {@code CAP_SYS_ADMIN} in {@code CapEff} ({@code <linux/capability.h>}). */
    private static final int CAP_SYS_ADMIN = 21;

    /**
     * Reads the target as slirp4netns does: {@code --netns-type} pid (default) or path,
     * the first argument, and {@code --userns-path}.
     *
     * @throws UsageException in slirp4netns's words
     */
    /**
     * {@code text} as a path; a text no path can be (a NUL character) is refused naming
     * {@code option}, as a missing file would be.
     */
    static Path path(String option, String text) {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw UsageException.invalid(option, text, "not a path (" + e.getReason() + ")");
        }
    }

    static NamespaceTarget of(String netnsType, String argument, String usernsPath) {
        Path userns = null;
        if (usernsPath != null) {
            userns = path("--userns-path", usernsPath);
            if (!Files.exists(userns)) {
                throw UsageException.invalid("--userns-path", usernsPath, "userns path doesn't exist: " + usernsPath);
            }
        }
        if (netnsType == null || netnsType.equals("pid")) {
            if (!argument.matches("[0-9]{1,10}") || Long.parseLong(argument) <= 0
                    || Long.parseLong(argument) > Integer.MAX_VALUE) {
                throw UsageException.invalid("PID", argument, "PID must be a positive integer");
            }
            long pid = Long.parseLong(argument);
            Path proc = Path.of("/proc", argument, "ns");
            return new NamespaceTarget(proc.resolve("net"), userns != null ? userns : proc.resolve("user"), pid);
        }
        if (netnsType.equals("path")) {
            Path p = path("PATH", argument);
            if (argument.isEmpty() || !Files.exists(p)) {
                throw UsageException.invalid("PATH", argument, "existing path expected when --netns-type=path");
            }
            return new NamespaceTarget(p, userns, 0);
        }
        throw UsageException.invalid("--netns-type", netnsType, netnsType.equals("tapfd")
                ? "tapfd (slirp4netns 1.3) is not supported by jslirp (expected pid or path)"
                : "expected pid or path");
    }

    /**
     * True if the tap must be opened by a helper process: a user namespace other than
     * jslirp's is to be entered and jslirp lacks {@code CAP_SYS_ADMIN} to enter the
     * network namespace from where it is.
     */
    boolean needsHelper() {
        return userns != null && !isOwnUserNamespace() && !hasCapSysAdmin();
    }

    private boolean isOwnUserNamespace() {
        try {
            return Files.isSameFile(userns, Path.of("/proc/self/ns/user"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether this process has {@code CAP_SYS_ADMIN} in its effective set ({@code /proc/self/status}). */
    static boolean hasCapSysAdmin() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring("CapEff:".length()).trim(), 16);
                    return (caps & (1L << CAP_SYS_ADMIN)) != 0;
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The namespace as the tap transport names and watches it. */
    NetworkNamespace namespace() {
        return NetworkNamespace.of(netns.toString());
    }

    /**
     * Where the transport gets the tap: {@code setup} done by a thread of this JVM inside
     * the namespace, or by a helper process ({@code loop}: where its descriptor arrives).
     */
    TapTransport.Source source(TapSetup setup, EventLoop loop) {
        if (needsHelper()) {
            return () -> {
                LOG.info("opening {} through a helper process in the {} (this JVM may not enter its user namespace)",
                        setup.ifname(), this);
                return TapHelperProcess.open(this, setup, loop);
            };
        }
        NetworkNamespace ns = namespace();
        return () -> ns.call(setup::open);
    }

    @Override
    public String toString() {
        String where = pid != 0 ? "process " + pid + " (" + netns + ")" : netns.toString();
        return String.format(Locale.ROOT, "network namespace of %s%s", where,
                userns == null ? "" : ", user namespace " + userns);
    }
}
