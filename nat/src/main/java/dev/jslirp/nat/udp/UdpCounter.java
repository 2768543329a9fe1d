package dev.jslirp.nat.udp;

/**
 * What the UDP NAT did, counted under {@code "nat.udp"} in the network's stats. Every
 * datagram from the guest that the NAT takes is either sent or counted under one
 * reason it was not; so is every datagram from the host.
 */
public enum UdpCounter {
    /** Guest datagrams written to a host socket. */
    DATAGRAMS_TO_HOST,
    /** Payload bytes of those. */
    BYTES_TO_HOST,
    /** Host datagrams sent on to the guest. */
    DATAGRAMS_TO_GUEST,
    /** Payload bytes of those. */
    BYTES_TO_GUEST,
    /**
     * Host datagrams copied into a frame because their socket could not read with
     * headroom (none does today: a bug if it grows); the others went to the guest in the
     * buffer the kernel filled.
     */
    DATAGRAMS_COPIED_TO_GUEST,

    /**
     * Flows opened: by the guest's first datagram to a remote, or by the first datagram of
     * a host sender ({@link #FLOWS_OPENED_BY_HOST} of them).
     */
    FLOWS_OPENED,
    /**
     * Flows a datagram from a host sender the guest had not written to opened
     * ({@code --udp-filtering endpoint}).
     */
    FLOWS_OPENED_BY_HOST,
    /**
     * Host sockets opened: one per guest address and port with {@code --udp-filtering
     * endpoint}; with {@code address-port} each flow has its own (not counted here).
     */
    HOST_SOCKETS_OPENED,
    /** Flows closed after {@code udpIdleTimeout} without traffic. */
    FLOWS_IDLE_CLOSED,
    /** Flows closed to make room for a new one at {@code maxUdpFlows} (the least recently used). */
    FLOWS_EVICTED,
    /**
     * Flows and port-forward mappings ended by the NAT itself: the guest went away, the
     * forward was removed, or the NAT stopped.
     */
    FLOWS_CLOSED_ADMIN,
    /** A host socket could not be opened or connected, or closed by itself: the flow ended. */
    SOCKET_FAILED,

    /** Guest datagrams to 255.255.255.255 or the network's broadcast address: never sent to the host. */
    DROPPED_BROADCAST,
    /** Guest datagrams to multicast groups: never sent to the host. */
    DROPPED_MULTICAST,
    /** Guest datagrams from or to port 0 (reserved, RFC 768 / IANA). */
    DROPPED_PORT_ZERO,
    /** Guest datagrams from an address outside the virtual network (no reply could reach it). */
    DROPPED_BAD_SOURCE,
    /**
     * Guest datagrams to destinations the address rules refuse ({@code restrict=on},
     * host loopback off, other addresses of the virtual network): the guest got ICMP
     * destination unreachable, communication administratively prohibited.
     */
    REFUSED_DESTINATION,
    /** Guest datagrams dropped because the host socket's write buffer was full. */
    DROPPED_HOST_BUSY,
    /** Guest datagrams dropped because the network's memory budget ({@code --max-memory}) had no room. */
    DROPPED_MEMORY,
    /** A second datagram of a flow whose host socket was still connecting: dropped. */
    DROPPED_CONNECTING,

    /** Host datagrams dropped because the guest transport could take no more frames. */
    DROPPED_GUEST_BUSY,
    /** Host datagrams dropped because no guest was attached. */
    DROPPED_GUEST_DETACHED,
    /**
     * Host datagrams to a guest endpoint's socket from a sender the guest could not be
     * shown: of the other family, port 0, or an address of the virtual network (the host's
     * own network overlaps it), or a tuple a port forward shows already.
     */
    DROPPED_SENDER_UNSHOWABLE,
    /** Host datagrams from a new sender dropped because the flows were at {@code maxUdpFlows}. */
    DROPPED_NEW_SENDER_AT_LIMIT,

    /** The host reported port unreachable for a flow: sent on to the guest as ICMP. */
    ICMP_PORT_UNREACHABLE,
    /** The host reported host or network unreachable for a flow: sent on to the guest as ICMP. */
    ICMP_HOST_UNREACHABLE,
    /** The host reported "administratively prohibited" for a flow: sent on to the guest as ICMP. */
    ICMP_ADMIN_PROHIBITED,
    /** A router reported time exceeded for a flow's datagram: sent on to the guest as ICMP. */
    ICMP_TIME_EXCEEDED,
    /**
     * Errors in an endpoint socket's error queue not passed on: not an ICMP error the guest
     * acts on (too big, redirect, local), or about a datagram of no flow still open.
     */
    HOST_ERROR_NOT_PASSED,
    /** Other errors of a flow's host socket (logged). */
    HOST_SOCKET_ERROR,

    /** Port-forward mappings opened for a new host peer. */
    FORWARD_MAPPINGS_OPENED,
    /** Mappings closed after {@code udpIdleTimeout} without traffic. */
    FORWARD_MAPPINGS_IDLE_CLOSED,
    /** Mappings closed to make room for a new peer at {@code maxUdpFlows} (the least recently used). */
    FORWARD_MAPPINGS_EVICTED,
    /** Datagrams from a host peer dropped: no free port on the gateway for its mapping. */
    FORWARD_NO_PORT,
    /**
     * Host peers shown to the guest from the gateway because a flow of the guest endpoint
     * already used the peer's own address and port.
     */
    FORWARD_PEER_TUPLE_BUSY,
    /** Datagrams of a new peer of a forward that follows a guest by name or MAC while no guest had it (dropped). */
    FORWARD_NO_GUEST,
    /** Datagrams from a host peer that is not IPv4 (the guest network is IPv4 only): dropped. */
    FORWARD_PEER_NOT_IPV4,
}
