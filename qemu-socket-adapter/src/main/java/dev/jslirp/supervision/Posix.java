package dev.jslirp.supervision;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The libc calls supervision needs and the JDK lacks (a descriptor inherited by number,
 * a unix datagram socket), through JNA. Called at start-up and shutdown only. Each call
 * throws {@link LastErrorException} carrying {@code errno} when libc returns -1. The
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
