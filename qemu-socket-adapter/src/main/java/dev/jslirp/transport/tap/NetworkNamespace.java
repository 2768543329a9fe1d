package dev.jslirp.transport.tap;

import com.sun.jna.LastErrorException;
import dev.jslirp.core.config.ConfigException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * A Linux network namespace, named by its file: {@code /run/netns/NAME} (made by
 * {@code ip netns add NAME}) or {@code /proc/PID/ns/net} of a process inside it.
 *
 * <h2>Doing work inside it</h2>
 * <p>{@link #call} runs a task on a new thread that first enters the namespace with
 * {@code setns(fd, CLONE_NEWNET)}. A network namespace is a property of the thread
 * (task), not of the process, so the JVM's other threads, the event loops and their
 * host sockets among them, stay where they are. Everything the task creates that is
 * bound to a namespace at creation keeps that binding after the thread is gone: a tap
 * opened there stays in the namespace, and its file descriptor works from any thread.
 * The thread is used once and ends, so no pooled thread is ever left in the wrong
 * namespace.
 *
 * <p>Entering needs {@code CAP_SYS_ADMIN} in the user namespace that owns the network
 * namespace: root for one made by {@code ip netns add}; for one made by an
 * unprivileged {@code unshare --user --net}, jslirp must run inside that user
 * namespace ({@code nsenter -t PID -U --preserve-credentials jslirp ...}).
 */
public final class NetworkNamespace {
    /** Where {@code ip netns add NAME} puts its namespaces. */
    static final Path IP_NETNS_DIR = Path.of("/run/netns");

    private final Path path;

    private NetworkNamespace(Path path) {
        this.path = path;
    }

    /**
     * The namespace {@code spec} names: a process id ({@code 1234}: that process's
     * {@code /proc/1234/ns/net}), a path ({@code /run/netns/ns1}, {@code /proc/1234/ns/net}),
     * or a bare name ({@code ns1}: {@code /run/netns/ns1}, as {@code ip netns} names them).
     * Only the form is checked here; whether it exists, when entering.
     *
     * @throws ConfigException if {@code spec} is empty or a name {@code ip netns} could not make
     */
    public static NetworkNamespace of(String spec) {
        Objects.requireNonNull(spec, "spec");
        String s = spec.trim();
        String form = "expected PID, /path/to/netns or an ip netns NAME";
        if (s.isEmpty()) {
            throw new ConfigException("netns", "empty (" + form + ")");
        }
        if (s.chars().allMatch(Character::isDigit)) {
            if (s.length() > 10) {
                throw new ConfigException("netns", "'" + spec + "' is not a process id (" + form + ")");
            }
            return new NetworkNamespace(Path.of("/proc", s, "ns", "net"));
        }
        if (s.indexOf('/') >= 0) {
            return new NetworkNamespace(Path.of(s));
        }
        if (s.equals(".") || s.equals("..")) {
            throw new ConfigException("netns", "'" + spec + "' is not a namespace name (" + form + ")");
        }
        return new NetworkNamespace(IP_NETNS_DIR.resolve(s));
    }

    /** The namespace file. */
    public Path path() {
        return path;
    }

    /**
     * The name {@code ip netns} knows the namespace by, or null if it is not one of
     * {@code /run/netns}: for the commands jslirp suggests in its log.
     */
    public String ipNetnsName() {
        Path parent = path.getParent();
        return parent != null && parent.equals(IP_NETNS_DIR) ? path.getFileName().toString() : null;
    }

    /** A task run inside the namespace. */
    @FunctionalInterface
    public interface Task<T> {
        /** Runs on a thread inside the namespace. */
        T run() throws IOException;
    }

    /**
     * Runs {@code task} on a new thread inside this namespace and returns its result;
     * blocks until it has run. Not on an event loop.
     *
     * @throws IOException if the namespace cannot be entered (missing, not a network
     *                     namespace, not permitted), or what {@code task} threw
     */
    public <T> T call(Task<T> task) throws IOException {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                enter();
                result.complete(task.run());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "jslirp-netns");
        t.setDaemon(true);
        t.start();
        try {
            return result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while working in network namespace " + path, e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw new IOException(cause);
        }
    }

    /**
     * True if this is the calling thread's own network namespace ({@code --netns} given
     * jslirp's own PID by mistake: configuring a tap there would change the host's
     * networking). False also if the namespace file cannot be read.
     */
    public boolean isCurrent() {
        try {
            return Files.isSameFile(path, Path.of("/proc/thread-self/ns/net"));
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * What identifies the namespace behind the path now (the nsfs inode; for a
     * {@code /proc/PID/...} path also the process's start time), or null if the path
     * names nothing: compared later by {@link #isStill}.
     */
    public Object identity() {
        try {
            return new Identity(Files.readAttributes(path, BasicFileAttributes.class).fileKey(), processStart());
        } catch (IOException e) {
            return null;
        }
    }

    /**
     * True while the path still names the namespace {@code identity} was taken from:
     * false once {@code ip netns delete} removed it, or the process whose
     * {@code /proc/PID/ns/net} it was has exited (a new process with the same PID has
     * another namespace, and another start time).
     *
     * <p>A {@code /proc/PID/ns/net} link may only be followed with ptrace access to PID
     * (proc(5)), which jslirp loses when {@code --runas} made it another user than the
     * namespace's process: then the process's start time, which anyone may read, says
     * whether it is still the same process.
     */
    public boolean isStill(Object identity) {
        if (!(identity instanceof Identity then)) {
            return false;
        }
        try {
            return then.fileKey().equals(Files.readAttributes(path, BasicFileAttributes.class).fileKey());
        } catch (AccessDeniedException e) {
            return then.processStart() != null && then.processStart().equals(processStart());
        } catch (IOException e) {
            return false;
        }
    }

    /** The nsfs inode and, for a path below {@code /proc/PID}, that process's start time (else null). */
    private record Identity(Object fileKey, String processStart) {
    }

    /**
     * For a path {@code /proc/PID/...}: field 22 of {@code /proc/PID/stat}, the process's
     * start time in clock ticks since boot (proc(5)); null for other paths or a process
     * that is gone.
     */
    private String processStart() {
        if (path.getNameCount() < 2 || !path.isAbsolute() || !path.getName(0).toString().equals("proc")
                || !path.getName(1).toString().chars().allMatch(Character::isDigit)) {
            return null;
        }
        try {
            String stat = Files.readString(Path.of("/proc", path.getName(1).toString(), "stat"));
            // The command name (field 2) is in parentheses and may hold spaces: count from its end.
            String[] after = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return after.length > 19 ? after[19] : null;
        } catch (IOException | StringIndexOutOfBoundsException e) {
            return null;
        }
    }

    /** Moves the calling thread into this namespace. */
    private void enter() throws IOException {
        LibC c = LibC.get();
        int fd;
        try {
            fd = c.open(path.toString(), LibC.O_RDONLY | LibC.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw TapErrors.openNamespace(path.toString(), e);
        }
        try {
            c.setns(fd, LibC.CLONE_NEWNET);
        } catch (LastErrorException e) {
            throw TapErrors.enterNamespace(path.toString(), e);
        } finally {
            try {
                c.close(fd);
            } catch (LastErrorException e) {
                // The namespace is entered (or not) either way; the descriptor is done.
            }
        }
    }

    /** Equal if the paths are: the same spelling of the same namespace file. */
    @Override
    public boolean equals(Object o) {
        return o instanceof NetworkNamespace other && other.path.equals(path);
    }

    @Override
    public int hashCode() {
        return path.hashCode();
    }

    @Override
    public String toString() {
        return "network namespace " + path;
    }
}
