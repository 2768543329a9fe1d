package dev.jslirp.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;
import com.sun.jna.ptr.IntByReference;
import java.io.IOException;
import java.util.Arrays;

/**
 * Starts one command the way libslirp's {@code fork_exec} does, with blocking libc calls:
 * a TCP connection over 127.0.0.1 (libslirp's {@code slirp_socketpair_with_oob}), one end
 * the command's standard input and output, the other end ours; a unix socket pair for its
 * standard error; {@code posix_spawn} of {@code /bin/sh -c COMMAND} in a process group of
 * its own, with default signal actions, an empty signal mask and no other descriptor of
 * ours (every descriptor from 3 on is closed in the child). Run on a worker thread, never
 * on an event loop.
 *
 * <p>Why TCP and not a unix socket pair: commands get what libslirp gives them, and some
 * need an IP socket ({@code smbd} in inetd mode asks for its peer's address and gives up on
 * a unix socket). The private listener could take a connection from another local process
 * between {@code listen} and our {@code connect}; only the connection from our own socket's
 * port is kept.
 */
final class Spawner {
    /** Connections a stranger may slip in before ours, each closed. */
    private static final int ACCEPT_TRIES = 8;
    private static final byte[] LOOPBACK = {127, 0, 0, 1};

    private final ProcessLibC libc = ProcessLibC.get();

    /**
     * A started process and our ends of its descriptors (both non-blocking, close on exec).
     *
     * @param pid        its process id, also its process group's
     * @param connection our end of its standard input and output (a TCP socket)
     * @param stderr     our end of its standard error (a unix socket)
     */
    record Spawned(int pid, int connection, int stderr) {
    }

    /**
     * Starts {@code /bin/sh -c command}.
     *
     * @throws IOException if a socket or the process cannot be made; nothing is left open then
     */
    Spawned spawn(String command) throws IOException {
        int listener = -1;
        int theirs = -1;
        int ours = -1;
        int[] err = {-1, -1};
        try {
            listener = libc.socket(ProcessLibC.AF_INET, ProcessLibC.SOCK_STREAM | ProcessLibC.SOCK_CLOEXEC, 0);
            libc.bind(listener, sockaddrIn(LOOPBACK, 0), ProcessLibC.SOCKADDR_IN_LENGTH);
            libc.listen(listener, ACCEPT_TRIES);
            byte[] listening = localAddress(listener);
            theirs = libc.socket(ProcessLibC.AF_INET, ProcessLibC.SOCK_STREAM | ProcessLibC.SOCK_CLOEXEC, 0);
            libc.connect(theirs, listening, ProcessLibC.SOCKADDR_IN_LENGTH);
            byte[] theirAddress = localAddress(theirs);
            for (int i = 0; i < ACCEPT_TRIES && ours < 0; i++) {
                byte[] peer = new byte[ProcessLibC.SOCKADDR_IN_LENGTH];
                int a = libc.accept4(listener, peer, new IntByReference(peer.length),
                        ProcessLibC.SOCK_CLOEXEC | ProcessLibC.SOCK_NONBLOCK);
                if (Arrays.equals(peer, 0, 8, theirAddress, 0, 8)) {
                    ours = a;
                } else {
                    libc.close(a);
                }
            }
            if (ours < 0) {
                throw new IOException("other processes kept connecting to the command's private listener");
            }
            libc.socketpair(ProcessLibC.AF_UNIX, ProcessLibC.SOCK_STREAM | ProcessLibC.SOCK_CLOEXEC, 0, err);
            libc.fcntl(err[0], ProcessLibC.F_SETFL, ProcessLibC.O_NONBLOCK);
            int pid = posixSpawn(command, theirs, err[1]);
            int connection = ours;
            int stderr = err[0];
            ours = -1;
            err[0] = -1;
            return new Spawned(pid, connection, stderr);
        } catch (LastErrorException e) {
            throw new IOException(e.getMessage(), e);
        } finally {
            closeQuietly(listener);
            closeQuietly(theirs);
            closeQuietly(ours);
            closeQuietly(err[0]);
            closeQuietly(err[1]);
        }
    }

    private int posixSpawn(String command, int stdio, int stderr) throws IOException {
        Memory actions = new Memory(ProcessLibC.SPAWN_STRUCT_BYTES);
        Memory attr = new Memory(ProcessLibC.SPAWN_STRUCT_BYTES);
        Memory all = new Memory(ProcessLibC.SIGSET_BYTES);
        Memory none = new Memory(ProcessLibC.SIGSET_BYTES);
        check("posix_spawn_file_actions_init", libc.posix_spawn_file_actions_init(actions));
        try {
            check("posix_spawn_file_actions_adddup2", libc.posix_spawn_file_actions_adddup2(actions, stdio, 0));
            check("posix_spawn_file_actions_adddup2", libc.posix_spawn_file_actions_adddup2(actions, stdio, 1));
            check("posix_spawn_file_actions_adddup2", libc.posix_spawn_file_actions_adddup2(actions, stderr, 2));
            // The JVM opens some descriptors without O_CLOEXEC; none of them is the command's business.
            check("posix_spawn_file_actions_addclosefrom_np", libc.posix_spawn_file_actions_addclosefrom_np(actions, 3));
            check("posix_spawnattr_init", libc.posix_spawnattr_init(attr));
            try {
                libc.sigfillset(all);
                libc.sigemptyset(none);
                check("posix_spawnattr_setsigdefault", libc.posix_spawnattr_setsigdefault(attr, all));
                check("posix_spawnattr_setsigmask", libc.posix_spawnattr_setsigmask(attr, none));
                check("posix_spawnattr_setpgroup", libc.posix_spawnattr_setpgroup(attr, 0));
                check("posix_spawnattr_setflags", libc.posix_spawnattr_setflags(attr, (short) (ProcessLibC.POSIX_SPAWN_SETPGROUP
                        | ProcessLibC.POSIX_SPAWN_SETSIGDEF | ProcessLibC.POSIX_SPAWN_SETSIGMASK)));
                IntByReference pid = new IntByReference();
                check("posix_spawn /bin/sh", libc.posix_spawn(pid, "/bin/sh", actions, attr,
                        new StringArray(new String[] {"sh", "-c", command}), environment()));
                return pid.getValue();
            } finally {
                libc.posix_spawnattr_destroy(attr);
            }
        } finally {
            libc.posix_spawn_file_actions_destroy(actions);
        }
    }

    /** The JVM's own environment ({@code environ}), which the command inherits. */
    private static Pointer environment() {
        return NativeLibrary.getInstance("c").getGlobalVariableAddress("environ").getPointer(0);
    }

    /** A {@code posix_spawn*} call's error number, as an exception. */
    private static void check(String call, int error) throws IOException {
        if (error != 0) {
            throw new IOException(call + ": " + new LastErrorException(error).getMessage());
        }
    }

    private byte[] localAddress(int fd) {
        byte[] a = new byte[ProcessLibC.SOCKADDR_IN_LENGTH];
        libc.getsockname(fd, a, new IntByReference(a.length));
        return a;
    }

    /** A {@code struct sockaddr_in}: family in host order (little-endian here), port in network order. */
    private static byte[] sockaddrIn(byte[] address, int port) {
        byte[] a = new byte[ProcessLibC.SOCKADDR_IN_LENGTH];
        a[0] = ProcessLibC.AF_INET;
        a[2] = (byte) (port >>> 8);
        a[3] = (byte) port;
        System.arraycopy(address, 0, a, 4, 4);
        return a;
    }

    private void closeQuietly(int fd) {
        if (fd >= 0) {
            try {
                libc.close(fd);
            } catch (LastErrorException ignored) {
                // nothing to do about a failed close
            }
        }
    }
}
