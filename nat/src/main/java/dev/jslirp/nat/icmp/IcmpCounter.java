package dev.jslirp.nat.icmp;

/**
 * What the ICMP half of the NAT did, counted under {@code "nat.icmp"} in the network's
 * stats. Every echo request to another host that the NAT takes is either sent or counted
 * under one reason it was not; so is every echo reply from the host.
 */
public enum IcmpCounter {
    /** Echo requests sent to other hosts. */
    ECHO_REQUESTS_TO_HOST,
    /** Echo replies passed to the guest. */
    ECHO_REPLIES_TO_GUEST,
    /**
     * ICMP errors about the guest's echo requests (unreachable, time exceeded) passed to the
     * guest, quoting its request: from a ping socket's error queue, or read by the raw socket.
     */
    ICMP_ERRORS_TO_GUEST,
    /** Errors about echo requests not passed on: of a kind the guest does not act on (too big, redirect, local). */
    HOST_ERRORS_NOT_PASSED,
    /** Echo sessions opened (guest address and identifier): a ping socket, or an identifier on the raw socket. */
    SESSIONS_OPENED,
    /** Sessions closed after {@code icmpIdleTimeout} without a request or reply. */
    SESSIONS_IDLE_CLOSED,
    /** Sessions closed to make room at {@code maxIcmpSessions} (the least recently used). */
    SESSIONS_EVICTED,
    /** Sessions ended by the NAT itself: the guest went away, or the NAT stopped. */
    SESSIONS_CLOSED_ADMIN,

    /**
     * Echo requests dropped because the host allows neither kind of ICMP socket: ping
     * sockets are not allowed for jslirp's group ({@code net.ipv4.ping_group_range}) and
     * raw sockets need {@code CAP_NET_RAW} (see the start-up log).
     */
    DROPPED_NOT_PERMITTED,
    /**
     * Echo requests dropped because ICMP sockets cannot be used here: the NIO transport (the
     * JDK has no ICMP sockets; they need Linux's native epoll), or a family the host lacks.
     */
    DROPPED_UNSUPPORTED,
    /** Echo requests dropped because echo to other hosts is switched off ({@code --icmp-echo off}). */
    DROPPED_OFF,
    /** Echo requests dropped because a socket could not be opened at the time (descriptors exhausted...). */
    DROPPED_SOCKET_FAILED,
    /** Echo requests over {@code icmpEchoRate} per second: dropped. */
    DROPPED_RATE_LIMIT,
    /** Echo requests dropped because the socket's write buffer was full. */
    DROPPED_HOST_BUSY,
    /** Echo requests with a code other than 0 (RFC 792, RFC 4443 4.1), which the host would not send. */
    DROPPED_BAD_CODE,
    /**
     * Echo requests to destinations the address rules refuse ({@code restrict=on}, other
     * addresses of the virtual network...): the guest got ICMP communication administratively
     * prohibited, as for UDP.
     */
    REFUSED_DESTINATION,
    /** Sends the host refused (logged at debug). */
    HOST_SEND_ERROR,

    /** Echo replies dropped because the guest transport could take no more frames. */
    DROPPED_GUEST_BUSY,
    /** Echo replies dropped because no guest was attached. */
    DROPPED_GUEST_DETACHED,
    /**
     * Messages read from a raw socket that belong to no session: replies to other programs'
     * pings and errors about them (a raw socket sees every echo reply and error the host
     * receives), truncated messages.
     */
    REPLIES_UNMATCHED,
}
