package dev.jslirp.supervision;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/**
 * The libc calls supervision needs and the JDK lacks (a descriptor inherited by number,
 * a unix datagram socket, the user and group databases, changing the process's user),
 * through JNA. Called at start-up and shutdown only. Each call declared with
 * {@link LastErrorException} throws it carrying {@code errno} when libc returns -1. The
 * constants hold on Linux and the BSDs (macOS) alike.
 */
interface Posix extends Library {
    /** fcntl(2) command: get the descriptor's flags; fails with EBADF if it is not open. */
    int F_GETFD = 1;
    /** Unix domain sockets; also {@code sun_family} of a {@code struct sockaddr_un}. */
    int AF_UNIX = 1;
    /** Datagram socket type. */
    int SOCK_DGRAM = 2;
    /** Bad file descriptor. */
    int EBADF = 9;

    /** fcntl(2) with no argument. */
    int fcntl(int fd, int cmd) throws LastErrorException;

    /** write(2). */
    int write(int fd, byte[] buf, long count) throws LastErrorException;

    /** close(2). */
    int close(int fd) throws LastErrorException;

    /** socket(2). */
    int socket(int domain, int type, int protocol) throws LastErrorException;

    /** sendto(2) with a raw address. */
    long sendto(int fd, byte[] buf, long len, int flags, Pointer addr, int addrlen) throws LastErrorException;

    /**
     * getpwnam(3): the {@code struct passwd} of a user name, or null if there is none.
     * No {@link LastErrorException}: "not found" leaves errno as the lookup left it,
     * which may be anything. The struct is libc's static buffer: read it at once.
     */
    Pointer getpwnam(String name);

    /** getpwuid(3): as {@link #getpwnam}, by user id. */
    Pointer getpwuid(int uid);

    /** getgrnam(3): the {@code struct group} of a group name, or null; as {@link #getpwnam}. */
    Pointer getgrnam(String name);

    /** getgrgid(3): as {@link #getgrnam}, by group id. */
    Pointer getgrgid(int gid);

    /**
     * setgroups(2): the supplementary groups. glibc applies it (as setgid and setuid) to
     * every thread of the process, not just the caller: its "setxid" broadcast signals each
     * thread to make the same system call (nptl's {@code __nptl_setxid}).
     */
    int setgroups(NativeLong size, int[] list) throws LastErrorException;

    /** setgid(2): as root, sets the real, effective and saved group ids; every thread (see {@link #setgroups}). */
    int setgid(int gid) throws LastErrorException;

    /**
     * setuid(2): as root, sets the real, effective and saved user ids, and the kernel then
     * clears the permitted, effective and ambient capabilities (capabilities(7), "Effect of
     * user ID changes on capabilities"); every thread (see {@link #setgroups}).
     */
    int setuid(int uid) throws LastErrorException;

    /** The library, loaded on first use: a jslirp without supervision options never loads JNA. */
    static Posix get() {
        return Holder.INSTANCE;
    }

    /** Lazy holder of the binding. */
    final class Holder {
        static final Posix INSTANCE = Native.load("c", Posix.class);

        private Holder() {
        }
    }
}
