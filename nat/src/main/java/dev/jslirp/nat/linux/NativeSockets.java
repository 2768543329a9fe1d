package dev.jslirp.nat.linux;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.unix.UnixChannel;

/**
 * What the NAT asks of a host socket beyond what Netty offers on every transport: the
 * error queue of a UDP socket ({@code IP_RECVERR}, ip(7); {@code IPV6_RECVERR}, ipv6(7))
 * and the time to live of what it sends. Only on Linux with Netty's native epoll
 * transport, the one whose channels expose their file descriptor ({@link UnixChannel});
 * on NIO the NAT runs without these (see where each is used).
 */
public final class NativeSockets {
    // <linux/in.h>, <linux/in6.h>
    /** Socket option level of IPv4 ({@code SOL_IP}). */
    static final int SOL_IP = 0;
    /** Socket option level of IPv6 ({@code SOL_IPV6}). */
    static final int SOL_IPV6 = 41;
    /** Queue the ICMP errors about what the socket sent, with the offending destination (ip(7)). */
    static final int IP_RECVERR = 11;
    /** The same for IPv6 (ipv6(7)). */
    static final int IPV6_RECVERR = 25;
    /** Time to live of unicast IPv4 datagrams. */
    static final int IP_TTL = 2;
    /** Hop limit of unicast IPv6 datagrams. */
    static final int IPV6_UNICAST_HOPS = 16;

    private static final IntegerUnixChannelOption RECVERR =
            new IntegerUnixChannelOption("IP_RECVERR", SOL_IP, IP_RECVERR);
    private static final IntegerUnixChannelOption RECVERR6 =
            new IntegerUnixChannelOption("IPV6_RECVERR", SOL_IPV6, IPV6_RECVERR);
    private static final IntegerUnixChannelOption TTL = new IntegerUnixChannelOption("IP_TTL", SOL_IP, IP_TTL);
    private static final IntegerUnixChannelOption HOPS =
            new IntegerUnixChannelOption("IPV6_UNICAST_HOPS", SOL_IPV6, IPV6_UNICAST_HOPS);

    private static final boolean AVAILABLE = probe();

    private NativeSockets() {
    }

    /**
     * True if native sockets can be used at all: Netty's native epoll library loaded (so
     * Linux), and JNA's on a 64-bit ABI (the layouts {@link ErrorQueue} reads).
     */
    public static boolean isAvailable() {
        return AVAILABLE;
    }

    private static boolean probe() {
        if (!Epoll.isAvailable()) {
            return false;
        }
        try {
            return Platform.isLinux() && Native.POINTER_SIZE == 8;
        } catch (LinkageError e) {
            return false;   // JNA's native library cannot load here (a noexec temporary directory, say)
        }
    }

    /**
     * True if channels registered on {@code loop} are Netty epoll channels (its I/O handler is
     * epoll's) and native sockets are available.
     */
    public static boolean isEpollLoop(EventLoop loop) {
        return loop instanceof IoEventLoop && ((IoEventLoop) loop).isCompatible(EpollIoHandle.class) && isAvailable();
    }

    /** The file descriptor of {@code ch}, or -1 if it is not a native channel or is closed. */
    public static int fd(Channel ch) {
        if (!(ch instanceof UnixChannel) || !ch.isOpen()) {
            return -1;
        }
        return ((UnixChannel) ch).fd().intValue();
    }

    /**
     * Turns on the error queue of {@code ch}, a native UDP or ICMP socket: ICMP errors
     * about what it sends are then queued for {@link ErrorQueue} even though the socket
     * is not connected, and the socket reports each with a failed read or send (which
     * Netty passes to the pipeline's {@code exceptionCaught}) and {@code EPOLLERR}
     * while the queue is not empty. Whoever turns it on must drain the queue on every
     * such exception, or the event loop wakes up for the socket without end.
     *
     * <p>Sets {@code IP_RECVERR}, which governs IPv4 traffic also on an IPv6 socket, and
     * on an IPv6 socket {@code IPV6_RECVERR} too (an IPv4 socket refuses it; ignored).
     *
     * @return false if {@code ch} is not a native channel or the kernel refused
     */
    public static boolean enableErrorQueue(Channel ch) {
        if (!(ch instanceof UnixChannel)) {
            return false;
        }
        try {
            ch.config().setOption(RECVERR, 1);
        } catch (ChannelException e) {
            return false;
        }
        try {
            ch.config().setOption(RECVERR6, 1);
        } catch (ChannelException e) {
            // an IPv4 socket
        }
        return true;
    }

    /**
     * Sets the time to live (IPv4) or hop limit (IPv6) of what {@code ch}, a native
     * socket of that family, sends from now on.
     *
     * @return false if {@code ch} is not a native channel or the kernel refused
     */
    public static boolean setTtl(Channel ch, boolean ipv6, int ttl) {
        if (!(ch instanceof UnixChannel)) {
            return false;
        }
        try {
            ch.config().setOption(ipv6 ? HOPS : TTL, ttl);
            return true;
        } catch (ChannelException e) {
            return false;
        }
    }

    /**
     * Forwards a guest packet's time to live (IPv4) or hop limit (IPv6) less one to what
     * {@code ch} sends, as a router does (RFC 1812 section 5.3.1), so that the guest's
     * {@code traceroute} reaches past the gateway; a guest's usual 64 or more leaves the
     * host's default. One {@code setsockopt} when the value changes, none otherwise.
     *
     * @param current   what the socket sends with now, -1 for the host's default
     * @param hopLimit  the guest packet's TTL or hop limit (2 or more: the core answers 1)
     * @return what the socket sends with from now on (unchanged on NIO, which cannot)
     */
    public static int forwardTtl(Channel ch, boolean ipv6, int current, int hopLimit) {
        int want = hopLimit >= 64 ? -1 : hopLimit - 1;
        return want != current && setTtl(ch, ipv6, want) ? want : current;
    }

    /** True for the errors that mean "not allowed" (EACCES, EPERM) rather than "not there". */
    public static boolean isPermissionDenied(int errno) {
        return errno == LibC.EACCES || errno == LibC.EPERM;
    }

    /** A name for {@code errno}, for logs and counters' explanations. */
    static String errnoName(int errno) {
        switch (errno) {
            case LibC.EPERM:
                return "EPERM";
            case LibC.EACCES:
                return "EACCES";
            case LibC.EPROTONOSUPPORT:
                return "EPROTONOSUPPORT";
            case LibC.EAFNOSUPPORT:
                return "EAFNOSUPPORT";
            default:
                return "errno " + errno;
        }
    }
}
