package dev.jslirp.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;
import com.sun.jna.ptr.IntByReference;

/**
 * The libc calls that start and end a guest forward's command (see
 * {@link PosixCommandLauncher}): sockets for its standard input and output, posix_spawn,
 * signals and waiting. Through JNA, off the event loop except the non-blocking
 * {@code kill} and {@code waitid(WNOHANG)}.
 *
 * <p>The socket calls throw {@link LastErrorException} with {@code errno} when they
 * return -1; the {@code posix_spawn*} calls return an error number instead (POSIX). The
 * constants are Linux's, those of x86-64 and aarch64 (the generic ABI), where Netty's
 * epoll runs; each names the header it comes from.
 */
interface ProcessLibC extends Library {
    // <bits/socket.h>
    /** Unix sockets. */
    int AF_UNIX = 1;
    /** IPv4 sockets. */
    int AF_INET = 2;
    /** Stream sockets. */
    int SOCK_STREAM = 1;
    /** socket(2)/accept4(2) flag: close on exec, so no other child inherits the descriptor. */
    int SOCK_CLOEXEC = 0x80000;
    /** socket(2)/accept4(2) flag: non-blocking, as Netty's channels need. */
    int SOCK_NONBLOCK = 0x800;
    /** The size of a {@code struct sockaddr_in}. */
    int SOCKADDR_IN_LENGTH = 16;

    // <asm-generic/fcntl.h>
    /** fcntl(2): set the file status flags. */
    int F_SETFL = 4;
    /** Non-blocking I/O. */
    int O_NONBLOCK = 0x800;

    // <spawn.h>
    /** posix_spawnattr flag: put the child in the process group of the attribute (0: its own). */
    short POSIX_SPAWN_SETPGROUP = 0x02;
    /** posix_spawnattr flag: set the signals of the attribute's set to their default action. */
    short POSIX_SPAWN_SETSIGDEF = 0x04;
    /** posix_spawnattr flag: give the child the attribute's signal mask. */
    short POSIX_SPAWN_SETSIGMASK = 0x08;
    /**
     * Bytes reserved for a {@code posix_spawn_file_actions_t} (80 in glibc on 64-bit) and
     * a {@code posix_spawnattr_t} (336), with room to spare.
     */
    int SPAWN_STRUCT_BYTES = 512;
    /** Bytes of a {@code sigset_t} (glibc's 1024 bits). */
    int SIGSET_BYTES = 128;

    // <signal.h>, <bits/waitflags.h>
    /** Terminate, asking. */
    int SIGTERM = 15;
    /** Terminate. */
    int SIGKILL = 9;
    /** waitid(2) id type: one process. */
    int P_PID = 1;
    /** waitid/waitpid: do not wait. */
    int WNOHANG = 1;
    /** waitid: report children that exited. */
    int WEXITED = 4;
    /** waitid: leave the child waitable (its process group id stays reserved until reaped). */
    int WNOWAIT = 0x01000000;
    /** Bytes of a {@code siginfo_t}; {@code si_pid} is at {@value #SIGINFO_PID_OFFSET} on 64-bit Linux. */
    int SIGINFO_BYTES = 128;
    /** Offset of {@code si_pid} in a {@code siginfo_t} (after three ints and the union's alignment). */
    int SIGINFO_PID_OFFSET = 16;

    // <asm-generic/errno-base.h>
    /** No such process. */
    int ESRCH = 3;

    int socket(int domain, int type, int protocol) throws LastErrorException;

    int socketpair(int domain, int type, int protocol, int[] sv) throws LastErrorException;

    int bind(int fd, byte[] address, int length) throws LastErrorException;

    int listen(int fd, int backlog) throws LastErrorException;

    int connect(int fd, byte[] address, int length) throws LastErrorException;

    int accept4(int fd, byte[] address, IntByReference length, int flags) throws LastErrorException;

    int getsockname(int fd, byte[] address, IntByReference length) throws LastErrorException;

    int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int posix_spawn_file_actions_init(Pointer actions);

    int posix_spawn_file_actions_adddup2(Pointer actions, int fd, int newFd);

    /** glibc 2.34 and later: closes every descriptor from {@code from} on in the child. */
    int posix_spawn_file_actions_addclosefrom_np(Pointer actions, int from);

    int posix_spawn_file_actions_destroy(Pointer actions);

    int posix_spawnattr_init(Pointer attr);

    int posix_spawnattr_setflags(Pointer attr, short flags);

    int posix_spawnattr_setpgroup(Pointer attr, int pgroup);

    int posix_spawnattr_setsigdefault(Pointer attr, Pointer sigset);

    int posix_spawnattr_setsigmask(Pointer attr, Pointer sigset);

    int posix_spawnattr_destroy(Pointer attr);

    int sigfillset(Pointer set);

    int sigemptyset(Pointer set);

    int posix_spawn(IntByReference pid, String path, Pointer actions, Pointer attr, StringArray argv, Pointer envp);

    int kill(int pid, int signal) throws LastErrorException;

    int waitid(int idType, int id, Pointer info, int options) throws LastErrorException;

    int waitpid(int pid, IntByReference status, int options) throws LastErrorException;

    /** The library, loaded on first use. */
    static ProcessLibC get() {
        return Holder.INSTANCE;
    }

    /** Lazy holder of the binding. */
    final class Holder {
        static final ProcessLibC INSTANCE = Native.load("c", ProcessLibC.class);

        private Holder() {
        }
    }
}
