package dev.jslirp.transport.tap;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/**
 * The whole native surface of the tap transport: a few libc calls through JNA, used
 * at start-up and shutdown only. Reading and writing frames goes through Netty's own
 * native {@code FileDescriptor} on the event loop, not through JNA.
 *
 * <p>Each call throws {@link LastErrorException} carrying {@code errno} when libc
 * returns -1; {@link TapErrors} turns the interesting ones into messages. The
 * constants below are Linux's, with the header each comes from; the flag values are
 * those of x86-64 and aarch64 (the generic ABI), the platforms Netty's epoll runs on.
 */
interface LibC extends Library {
    // <asm-generic/fcntl.h>
    /** Open for reading only. */
    int O_RDONLY = 0;
    /** Open for reading and writing. */
    int O_RDWR = 2;
    /** Non-blocking I/O: read(2) returns EAGAIN instead of waiting for a frame. */
    int O_NONBLOCK = 0x800;
    /** Close on exec, so child processes (iproute2, tests) never inherit the tap. */
    int O_CLOEXEC = 0x80000;

    // <asm-generic/fcntl.h>: fcntl(2) commands and flags
    /** Read the descriptor flags. */
    int F_GETFD = 1;
    /** Set the descriptor flags. */
    int F_SETFD = 2;
    /** Read the file status flags. */
    int F_GETFL = 3;
    /** Set the file status flags. */
    int F_SETFL = 4;
    /** The descriptor flag: closed on exec. */
    int FD_CLOEXEC = 1;

    // <linux/sched.h>
    /** setns(2) type: a network namespace. */
    int CLONE_NEWNET = 0x40000000;

    // <linux/socket.h>, <linux/net.h>
    /** IPv4 socket family; also {@code sa_family} of a {@code struct sockaddr_in}. */
    int AF_INET = 2;
    /** IPv6 socket family: the IPv6 address and route ioctls need a socket of it. */
    int AF_INET6 = 10;
    /** Datagram socket: the cheapest socket to issue interface ioctls on. */
    int SOCK_DGRAM = 2;
    /** socket(2) type flag: close on exec. */
    int SOCK_CLOEXEC = 0x80000;

    // <asm-generic/errno-base.h>, <asm-generic/errno.h>
    /** Operation not permitted (a capability is missing). */
    int EPERM = 1;
    /** No such file or directory. */
    int ENOENT = 2;
    /** Permission denied (file mode). */
    int EACCES = 13;
    /** Device or resource busy. */
    int EBUSY = 16;
    /** No such device. */
    int ENODEV = 19;
    /** Invalid argument. */
    int EINVAL = 22;

    /** open(2). */
    int open(String path, int flags) throws LastErrorException;

    /** fcntl(2) with an int argument. */
    int fcntl(int fd, int cmd, int arg) throws LastErrorException;

    /** close(2). */
    int close(int fd) throws LastErrorException;

    /** ioctl(2) with a pointer argument ({@code struct ifreq}, {@code struct rtentry}). */
    int ioctl(int fd, NativeLong request, Pointer arg) throws LastErrorException;

    /** ioctl(2) with an integer argument passed by value ({@code TUNSETOFFLOAD}). */
    int ioctl(int fd, NativeLong request, NativeLong arg) throws LastErrorException;

    /** socket(2). */
    int socket(int domain, int type, int protocol) throws LastErrorException;

    /** setns(2): moves the calling thread into the namespace {@code fd} refers to. */
    int setns(int fd, int nstype) throws LastErrorException;

    /** The library, loaded on first use (so merely loading jslirp's classes needs no JNA). */
    static LibC get() {
        return Holder.INSTANCE;
    }

    /** Lazy holder of the binding. */
    final class Holder {
        static final LibC INSTANCE = Native.load("c", LibC.class);

        private Holder() {
        }
    }
}
