package dev.jslirp.nat.linux;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * One entry of a socket's error queue ({@code struct sock_extended_err}, ip(7)): the
 * ICMP error a remote router or host sent about a datagram of the socket, or a local
 * error.
 *
 * @param errno       the error as the socket reports it ({@code ECONNREFUSED} for port
 *                    unreachable, {@code EHOSTUNREACH}...)
 * @param origin      {@link #ORIGIN_ICMP}, {@link #ORIGIN_ICMP6}, {@link #ORIGIN_LOCAL}...
 * @param icmpType    the ICMP or ICMPv6 type of the error (origin ICMP or ICMP6)
 * @param icmpCode    its code
 * @param destination where the datagram the error is about was going (port 0 for ICMP
 *                    sockets), or null if the kernel did not say
 * @param offender    who sent the error, or null (local errors)
 * @param payload     the start of the datagram the error is about, after its transport
 *                    header for UDP, from its ICMP header for ICMP sockets (at most
 *                    {@link ErrorQueue#PAYLOAD_BYTES})
 */
public record SocketError(int errno, int origin, int icmpType, int icmpCode, InetSocketAddress destination,
                          InetAddress offender, byte[] payload) {
    /** {@code SO_EE_ORIGIN_LOCAL}: the error arose on this host (e.g. a datagram too big). */
    public static final int ORIGIN_LOCAL = 1;
    /** {@code SO_EE_ORIGIN_ICMP}: an ICMP error arrived. */
    public static final int ORIGIN_ICMP = 2;
    /** {@code SO_EE_ORIGIN_ICMP6}: an ICMPv6 error arrived. */
    public static final int ORIGIN_ICMP6 = 3;
}
