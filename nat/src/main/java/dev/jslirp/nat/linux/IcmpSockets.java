package dev.jslirp.nat.linux;

import com.sun.jna.Native;
import io.netty.channel.ChannelException;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.channel.unix.RawUnixChannelOption;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Opens ICMP sockets for echo requests to other hosts, as Netty epoll channels around the
 * descriptor: Netty opens datagram sockets only with protocol 0, so the descriptor comes
 * from {@code socket(2)} through JNA and Netty's {@link EpollDatagramChannel#EpollDatagramChannel(int)}
 * takes it over (it then reads with {@code recvmsg} and writes with {@code sendto} as for
 * UDP; the sender's port reads 0).
 *
 * <h2>Two kinds</h2>
 * <ul>
 *   <li>{@link Kind#PING}: {@code socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)} (and
 *       {@code AF_INET6}, {@code IPPROTO_ICMPV6}), Linux's unprivileged ping socket,
 *       allowed to the groups in {@code net.ipv4.ping_group_range} (which governs both
 *       families). The kernel sends only echo requests on it, sets their identifier to
 *       the socket's own and computes the checksum, and hands it only the echo replies
 *       carrying that identifier: ICMP header and data, no IP header. One socket per
 *       echo identifier in use.</li>
 *   <li>{@link Kind#RAW}: {@code socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)} (needs
 *       {@code CAP_NET_RAW}). Whatever is written goes out as it is (ICMPv4's checksum
 *       is the writer's; ICMPv6's the kernel computes, RFC 3542 section 3.1), and every
 *       ICMP message the host receives is read from it: IPv4 with its IP header, IPv6
 *       without. A filter (ICMP_FILTER, ICMP6_FILTER; raw(7), icmp6(7)) lets only echo
 *       replies and the errors about echo requests through.</li>
 * </ul>
 */
public final class IcmpSockets {
    /** The kind of ICMP socket. */
    public enum Kind {
        /** Unprivileged ping socket. */
        PING,
        /** Raw socket. */
        RAW
    }

    /** {@code SOL_RAW}, the option level of IPv4 raw sockets. */
    private static final int SOL_RAW = 255;
    /** {@code ICMP_FILTER}: a 32-bit mask of the ICMP types (below 32) a raw socket does not receive. */
    private static final int ICMP_FILTER = 1;
    /** {@code ICMP6_FILTER}: a 256-bit mask of the ICMPv6 types a raw socket does not receive. */
    private static final int ICMP6_FILTER = 1;
    private static final IntegerUnixChannelOption FILTER4 =
            new IntegerUnixChannelOption("ICMP_FILTER", SOL_RAW, ICMP_FILTER);
    private static final RawUnixChannelOption FILTER6 =
            new RawUnixChannelOption("ICMP6_FILTER", LibC.IPPROTO_ICMPV6, ICMP6_FILTER, 32);
    /** Passed by the raw sockets: echo reply (0), destination unreachable (3), time exceeded (11). */
    private static final int[] PASS4 = {0, 3, 11};
    /** Passed: destination unreachable (1), packet too big (2), time exceeded (3), echo reply (129). */
    private static final int[] PASS6 = {1, 2, 3, 129};

    private IcmpSockets() {
    }

    /**
     * Whether an ICMP socket of {@code kind} can be opened here, by opening one and closing
     * it again.
     *
     * @return 0 if it can, else the {@code errno} of the refusal (EACCES for a ping socket
     *         outside {@code ping_group_range}, EPERM for a raw one without CAP_NET_RAW)
     */
    public static int probe(boolean ipv6, Kind kind) {
        int fd = socket(ipv6, kind);
        if (fd < 0) {
            return Native.getLastError();
        }
        LibC.get().close(fd);
        return 0;
    }

    /**
     * A new, unregistered epoll channel owning a new ICMP socket of {@code kind}; raw ones
     * come with their filter set. The caller registers it on an epoll event loop and closes
     * it (which closes the socket).
     *
     * @throws ErrnoException if the socket cannot be opened
     */
    public static DatagramChannel open(boolean ipv6, Kind kind) throws ErrnoException {
        int fd = socket(ipv6, kind);
        if (fd < 0) {
            throw new ErrnoException("socket(" + (ipv6 ? "AF_INET6, " : "AF_INET, ") + kind + ")", Native.getLastError());
        }
        EpollDatagramChannel ch;
        try {
            ch = new EpollDatagramChannel(fd);
        } catch (RuntimeException | Error e) {
            LibC.get().close(fd);
            throw e;
        }
        if (kind == Kind.RAW) {
            try {
                if (ipv6) {
                    ch.config().setOption(FILTER6, filter6());
                } else {
                    ch.config().setOption(FILTER4, filter4());
                }
            } catch (ChannelException e) {
                ch.unsafe().closeForcibly();
                throw new ErrnoException("setsockopt(ICMP_FILTER)", LibC.EPROTONOSUPPORT);
            }
        }
        return ch;
    }

    private static int socket(boolean ipv6, Kind kind) {
        return LibC.get().socket(ipv6 ? LibC.AF_INET6 : LibC.AF_INET,
                (kind == Kind.RAW ? LibC.SOCK_RAW : LibC.SOCK_DGRAM) | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC,
                ipv6 ? LibC.IPPROTO_ICMPV6 : LibC.IPPROTO_ICMP);
    }

    /** Linux blocks the types whose bit is set (net/ipv4/raw.c, icmp_filter). */
    private static int filter4() {
        int block = ~0;
        for (int t : PASS4) {
            block &= ~(1 << t);
        }
        return block;
    }

    /** The same for ICMPv6, eight 32-bit words in host order (net/ipv6/raw.c, icmpv6_filter). */
    private static ByteBuffer filter6() {
        int[] words = new int[8];
        java.util.Arrays.fill(words, ~0);
        for (int t : PASS6) {
            words[t >> 5] &= ~(1 << (t & 31));
        }
        ByteBuffer b = ByteBuffer.allocateDirect(32).order(ByteOrder.nativeOrder());
        for (int w : words) {
            b.putInt(w);
        }
        return b.flip();
    }
}
