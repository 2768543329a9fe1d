package dev.jslirp.core.stats;

/**
 * Why the core dropped a frame from the guest. Each value is counted in
 * {@link NetworkStats#drops()}; a frame is either handled or counted under exactly
 * one reason, never thrown at the event loop.
 */
public enum DropReason {
    /** Shorter than an Ethernet II header. */
    ETHERNET_TRUNCATED,
    /** An EtherType the network does not speak (VLAN tags, IPX, ...). */
    ETHERTYPE_UNSUPPORTED,
    /** IPv6 frames while the network's IPv6 is switched off ({@code ipv6=off}). */
    IPV6_UNSUPPORTED,
    /** IPv4 frames while the network's IPv4 is switched off ({@code ipv4=off}). */
    IPV4_UNSUPPORTED,
    /** ARP shorter than its fixed part, or not Ethernet/IPv4 ARP. */
    ARP_MALFORMED,
    /** ARP request for an address the network does not own. */
    ARP_NOT_FOR_US,
    /** Less than a minimal IPv4 header. */
    IPV4_TRUNCATED,
    /** Version field not 4. */
    IPV4_BAD_VERSION,
    /** IHL below 5, or header longer than the total length or the frame. */
    IPV4_BAD_HEADER_LENGTH,
    /** Total length beyond the frame. */
    IPV4_BAD_TOTAL_LENGTH,
    /** Header checksum does not verify. */
    IPV4_BAD_CHECKSUM,
    /** Options whose lengths run past the header. */
    IPV4_BAD_OPTIONS,
    /** Source address that a guest cannot have (multicast, broadcast, loopback). */
    IPV4_BAD_SOURCE,
    /** A fragment that could not be reassembled (overlap, too large, bad offsets). */
    IPV4_FRAGMENT_INVALID,
    /** A fragment refused because its datagram alone would pass the reassembly memory bound. */
    IPV4_FRAGMENT_LIMIT,
    /** A fragment refused because the network's memory budget ({@code --max-memory}) had no room for it. */
    IPV4_FRAGMENT_MEMORY,
    /** Fragments of a datagram that did not complete in time. */
    IPV4_FRAGMENT_TIMEOUT,
    /** An incomplete datagram's fragments evicted, the oldest, to make room for a new datagram. */
    IPV4_FRAGMENT_EVICTED,
    /** TTL 1 or 0 on a datagram the network would route on (answered with ICMP time exceeded). */
    IPV4_TTL_EXPIRED,
    /** Hop limit 1 or 0 on a packet the network would route on (answered with ICMPv6 time exceeded). */
    IPV6_HOP_LIMIT_EXCEEDED,
    /** Less than a fixed IPv6 header. */
    IPV6_TRUNCATED,
    /** Version field not 6. */
    IPV6_BAD_VERSION,
    /** Payload length zero (jumbogram) or beyond the frame. */
    IPV6_BAD_LENGTH,
    /** An extension header chain that is malformed, too long, or has an option that says discard. */
    IPV6_BAD_EXTENSION,
    /** A routing header with segments left: jslirp does not route on (RFC 5095). */
    IPV6_ROUTING_HEADER,
    /** Source address a guest cannot have (multicast, loopback, IPv4-mapped, one of ours). */
    IPV6_BAD_SOURCE,
    /** Destination address nobody here serves (another's multicast group, IPv4-mapped). */
    IPV6_BAD_DESTINATION,
    /** An IPv6 fragment that could not be reassembled (overlap, too large, bad offsets). */
    IPV6_FRAGMENT_INVALID,
    /** An IPv6 fragment refused because its packet alone would pass the reassembly memory bound. */
    IPV6_FRAGMENT_LIMIT,
    /** An IPv6 fragment refused because the network's memory budget ({@code --max-memory}) had no room for it. */
    IPV6_FRAGMENT_MEMORY,
    /** Fragments of an IPv6 packet that did not complete in time. */
    IPV6_FRAGMENT_TIMEOUT,
    /** An incomplete IPv6 packet's fragments evicted, the oldest, to make room for a new one. */
    IPV6_FRAGMENT_EVICTED,
    /** ICMP shorter than its header. */
    ICMP_TRUNCATED,
    /** ICMP checksum does not verify. */
    ICMP_BAD_CHECKSUM,
    /** ICMP message the network does not act on. */
    ICMP_UNSUPPORTED,
    /** ICMPv6 shorter than its header. */
    ICMPV6_TRUNCATED,
    /** ICMPv6 checksum does not verify. */
    ICMPV6_BAD_CHECKSUM,
    /** ICMPv6 message the network does not act on. */
    ICMPV6_UNSUPPORTED,
    /** Neighbour discovery that breaks RFC 4861's validity rules (hop limit not 255, bad options, ...). */
    NDP_INVALID,
    /** A neighbour solicitation for an address the network does not own. */
    NDP_NOT_FOR_US,
    /**
     * Multicast listener discovery (MLD reports and queries, RFC 3810) from the guest:
     * routine on every IPv6 link, and nothing to act on here (no multicast is routed).
     */
    MLD_IGNORED,
    /** UDP shorter than its header or with a length field beyond the IP payload. */
    UDP_MALFORMED,
    /** UDP checksum does not verify. */
    UDP_BAD_CHECKSUM,
    /** TCP shorter than its header, or data offset out of range. */
    TCP_MALFORMED,
    /** TCP options whose lengths are invalid. */
    TCP_BAD_OPTIONS,
    /** TCP checksum does not verify. */
    TCP_BAD_CHECKSUM,
    /** An IP protocol nobody handles (GRE, SCTP, ...). */
    PROTOCOL_UNSUPPORTED,
    /** A valid packet no registered service took. */
    NO_SERVICE,
    /** A service failed while handling the packet (a bug; logged). */
    SERVICE_ERROR,
    /** Outbound: a frame for a guest address whose MAC did not resolve in time. */
    GUEST_MAC_UNRESOLVED,
    /** Outbound: no transport attached, or it refused the frame. */
    NO_TRANSPORT,
    /** Outbound: a datagram above the MTU that may not be fragmented (IPv6 with don't-fragment). */
    OUTBOUND_TOO_LARGE,
    /** From a guest: a source MAC no guest may have (zero, multicast, the network's own 52:55 prefix). */
    SWITCH_BAD_SOURCE_MAC,
    /**
     * From a guest: a source MAC another attached port has (spoofing, or a reconnect whose
     * old connection was still open after the hold time).
     */
    SWITCH_MAC_IN_USE,
    /** From a guest: a new source MAC on a port that has its maximum of MACs (a MAC flood). */
    SWITCH_MAC_LIMIT,
    /** From a guest: an IPv4 or IPv6 source address bound to another port, or the network's own. */
    SWITCH_SPOOFED_IP,
    /** From a guest: ARP whose sender MAC is not the frame's, or whose sender address is another port's or the network's. */
    SWITCH_SPOOFED_ARP,
    /** From a guest: a neighbour advertisement for another port's or the network's address, or a link-layer option naming another MAC. */
    SWITCH_SPOOFED_NDP,
    /** From a guest: what only the network sends here (router advertisements, redirects, DHCP and DHCPv6 server messages). */
    SWITCH_ROGUE_SERVICE,
    /** From a guest on a port with {@code lock=on}: an IPv4 source DHCP did not assign to it. */
    SWITCH_LOCKED_ADDRESS,
    /** From a guest: a frame for another guest where one of them is on an isolated port. */
    SWITCH_ISOLATED,
    /** From a guest: broadcast, multicast or unknown unicast over its flood rate, not copied to the other ports. */
    SWITCH_FLOOD_LIMIT,
    /** From a guest: a VLAN-tagged frame, which the switch does not carry between guests. */
    SWITCH_TAGGED,
    /** To a guest: a flooded frame not copied to a port that was not writable (its guest stopped reading). */
    SWITCH_PORT_BUSY,
    /** To a guest: a frame of the network's for a unicast MAC on no port (a guest that left), not flooded. */
    SWITCH_UNKNOWN_DESTINATION,
    /** From a guest: a frame that arrived for a port already detached. */
    SWITCH_PORT_DETACHED,
}
