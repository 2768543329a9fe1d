package dev.jslirp.nat.tcp;

/**
 * Counters of the TCP NAT, registered as {@code "nat.tcp"}: every refusal and drop has
 * one, so a test (or an operator) can tell why a segment or a connection went nowhere.
 */
public enum TcpCounter {
    /** Guest SYNs that started a host connect. */
    CONNECTS,
    /** Connections that completed the handshake with the guest (both directions). */
    ESTABLISHED,
    /** Host connections accepted on a forwarded port. */
    FORWARD_ACCEPTED,
    /** Guest SYNs refused by the address rules (restrict=on, unroutable destination). */
    REFUSED_BY_RULES,
    /** Host connects refused (ECONNREFUSED): the guest got a RST. */
    HOST_REFUSED,
    /**
     * Host connects that failed with host unreachable (or a {@code prohibit} route): the
     * guest got ICMP host unreachable (or administratively prohibited) from the gateway.
     */
    HOST_UNREACHABLE,
    /** Host connects that failed for want of a route: the guest got ICMP network unreachable from the gateway. */
    HOST_NET_UNREACHABLE,
    /** Host connects that failed otherwise: the guest got a RST. */
    HOST_CONNECT_FAILED,
    /** Host connects that did not complete within tcp-connect-timeout. */
    HOST_CONNECT_TIMEOUT,
    /** Retransmitted guest SYNs absorbed while the host connect was under way. */
    SYN_ABSORBED,
    /**
     * Half-open flows ended, the oldest first, to serve a guest SYN that found
     * max-half-open connections half-open (their guest got a RST).
     */
    HALF_OPEN_EVICTED,
    /** Guest SYNs refused (RST) because max-tcp-flows flows existed. */
    FLOW_LIMIT,
    /** TIME_WAIT flows ended early to make room for a new connection. */
    TIME_WAIT_RECYCLED,
    /** Guest SYNs dropped because the previous flow of the same tuple still drains to the host. */
    TUPLE_BUSY,
    /** Segments to broadcast, multicast or unusable addresses, dropped. */
    BAD_ADDRESS,
    /** Segments with a flag combination TCP never sends (SYN+FIN, SYN+RST...), dropped. */
    BAD_FLAGS,
    /** Segments for no flow answered with a RST (RFC 9293 3.10.7.1). */
    UNKNOWN_FLOW,
    /** RSTs for no flow, dropped. */
    UNKNOWN_FLOW_RST,
    /** Segments outside the receive window (answered with an ACK, then dropped). */
    OUT_OF_WINDOW,
    /** Segments rejected by PAWS (RFC 7323 section 5). */
    PAWS_REJECTED,
    /** ACKs for data never sent, or too old (RFC 5961 section 5.2), dropped. */
    BAD_ACK,
    /** Segments without ACK in a synchronized state, dropped. */
    NO_ACK,
    /** Challenge ACKs sent for an in-window RST or SYN (RFC 5961 sections 3 and 4). */
    CHALLENGE_ACK,
    /** Guest data segments queued out of order. */
    OUT_OF_ORDER,
    /** Out-of-order guest segments dropped because the reassembly queue was full, or the memory budget had no room. */
    OUT_OF_ORDER_LIMIT,
    /**
     * In-order guest data dropped because the network's memory budget ({@code --max-memory})
     * had no room for it when it came (the guest sends it again once the window reopens).
     */
    MEMORY_LIMIT,
    /** Guest segments whose data had been received already, in whole or in part. */
    DUPLICATE_DATA,
    /** Guest data bytes written to host sockets. */
    BYTES_FROM_GUEST,
    /**
     * Host data bytes held beyond the flow buffer: read while draining a host socket the
     * host half-closed (Netty's epoll transport reads such a socket to its end; what the
     * kernel still held, bounded by the socket's receive buffer).
     */
    HOST_READ_PAST_BUFFER,
    /** Host data bytes sent to the guest for the first time. */
    BYTES_TO_GUEST,
    /**
     * Segments to the guest whose payload went out as a slice of the host read buffer,
     * not a copy ({@code TcpFlow.UNCOPIED_PAYLOAD_MIN}: large MTUs only).
     */
    SEGMENTS_UNCOPIED,
    /** Retransmission timeouts. */
    RTO_EXPIRED,
    /** Fast retransmits after three duplicate ACKs (RFC 5681 section 3.2). */
    FAST_RETRANSMIT,
    /** Segments retransmitted, for any reason. */
    RETRANSMITTED_SEGMENTS,
    /** Zero-window probes sent to the guest. */
    WINDOW_PROBES,
    /** SYN-ACKs (or a forward's SYNs) retransmitted to the guest. */
    SYN_RETRANSMITTED,
    /** Connections given up after too many retransmissions (the guest got a RST). */
    RETRANSMIT_GIVE_UP,
    /** Connections reset by the guest. */
    RST_FROM_GUEST,
    /** Connections reset or failed on the host side (the guest got a RST). */
    RST_FROM_HOST,
    /** Established connections closed by the idle timeout. */
    IDLE_TIMEOUT,
    /** TIME_WAIT flows expired. */
    TIME_WAIT_EXPIRED,
    /** Flows that ended normally (both FINs exchanged). */
    CLOSED_NORMALLY,
    /** Forwarded connections the guest refused with a RST. */
    FORWARD_REFUSED,
    /** Forwarded connections the guest never answered. */
    FORWARD_TIMEOUT,
    /** Forwarded connections closed because no gateway port or flow slot was free. */
    FORWARD_LIMIT,
    /**
     * Forwarded connections shown to the guest from the gateway because another flow to
     * the same guest endpoint already used the client's own address and port.
     */
    FORWARD_CLIENT_TUPLE_BUSY,
    /** Host connections to a forward that follows a guest by name or MAC while no guest had it (reset). */
    FORWARD_NO_GUEST,
    /** Flows aborted because the guest went away or the network stopped. */
    ABORTED_DETACH,
}
