package dev.jslirp.nat.linux;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The NAT's whole native surface beyond Netty: three libc calls through JNA, for what
 * Netty's epoll transport cannot do itself, opening an ICMP socket ({@code socket(2)}
 * with a protocol) and reading a socket's error queue ({@code recvmsg(2)} with
 * {@code MSG_ERRQUEUE}). Reading and writing datagrams goes through Netty's epoll
 * channel wrapping the descriptor, on the event loop.
 *
 * <p>Calls return -1 on failure; {@link Native#getLastError()} has {@code errno} then.
 * The constants are Linux's, with the header each comes from; structure layouts are
 * those of the 64-bit ABIs Netty's epoll runs on (x86-64, aarch64), checked by
 * {@link NativeSockets#isAvailable()}.
 */
interface LibC extends Library {
    // <linux/socket.h>, <linux/net.h>, <linux/in.h>
    /** IPv4 address family. */
    int AF_INET = 2;
    /** IPv6 address family. */
    int AF_INET6 = 10;
    /** Datagram socket: with IPPROTO_ICMP, Linux's unprivileged "ping socket". */
    int SOCK_DGRAM = 2;
    /** Raw socket (needs CAP_NET_RAW). */
    int SOCK_RAW = 3;
    /** socket(2) type flag: non-blocking, as the event loop needs. */
    int SOCK_NONBLOCK = 0x800;
    /** socket(2) type flag: close on exec. */
    int SOCK_CLOEXEC = 0x80000;
    /** ICMP. */
    int IPPROTO_ICMP = 1;
    /** ICMPv6. */
    int IPPROTO_ICMPV6 = 58;
    /** recvmsg(2) flag: read the socket's error queue (ip(7), IP_RECVERR). */
    int MSG_ERRQUEUE = 0x2000;
    /** recvmsg(2) flag: do not block. */
    int MSG_DONTWAIT = 0x40;

    // <asm-generic/errno-base.h>, <asm-generic/errno.h>
    /** Operation not permitted. */
    int EPERM = 1;
    /** Try again: nothing (more) to read. */
    int EAGAIN = 11;
    /** Permission denied: for a ping socket, the group is outside net.ipv4.ping_group_range. */
    int EACCES = 13;
    /** Protocol not supported: ping sockets compiled out, or IPv6 absent. */
    int EPROTONOSUPPORT = 93;
    /** Address family not supported. */
    int EAFNOSUPPORT = 97;

    /** socket(2). */
    int socket(int domain, int type, int protocol);

    /** close(2). */
    int close(int fd);

    /** recvmsg(2) with a {@code struct msghdr} at {@code msg}. */
    long recvmsg(int fd, Pointer msg, int flags);

    /** The library, loaded on first use (so merely loading the NAT's classes needs no JNA). */
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
