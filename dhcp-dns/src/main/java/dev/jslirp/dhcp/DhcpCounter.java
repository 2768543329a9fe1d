package dev.jslirp.dhcp;

/**
 * What the DHCP server counted, registered as the {@code "dhcp"} counter set of the
 * network ({@link dev.jslirp.core.stats.NetworkStats#service}). Every message that
 * reaches the server's port is counted once under its kind, or once under the reason
 * it was dropped.
 */
public enum DhcpCounter {
    // ---- messages taken, by kind

    /** DHCPDISCOVER received. */
    DISCOVER,
    /** DHCPREQUEST received. */
    REQUEST,
    /** DHCPDECLINE received. */
    DECLINE,
    /** DHCPRELEASE received. */
    RELEASE,
    /** DHCPINFORM received. */
    INFORM,
    /** Plain BOOTP request (no message type option) received. */
    BOOTP_REQUEST,

    // ---- replies sent

    /** DHCPOFFER sent. */
    OFFER_SENT,
    /** DHCPACK sent (to REQUEST or INFORM). */
    ACK_SENT,
    /** DHCPNAK sent. */
    NAK_SENT,
    /** BOOTREPLY sent to a plain BOOTP client. */
    BOOTP_REPLY_SENT,

    // ---- malformed requests, dropped without a reply

    /** Shorter than the fixed BOOTP header (236 bytes, RFC 2131 section 2). */
    TRUNCATED,
    /** Longer than a request can be without fragmentation on this link (MTU - 28). */
    OVERSIZED,
    /** {@code op} not BOOTREQUEST (1): a BOOTREPLY or garbage from the guest. */
    BAD_OP,
    /** {@code htype} not Ethernet (1). */
    BAD_HTYPE,
    /** {@code hlen} not 6. */
    BAD_HLEN,
    /** {@code chaddr} zero or a group address: no client to bind a lease to. */
    BAD_CHADDR,
    /** No room for the magic cookie, or a cookie other than 99.130.83.99 (RFC 2131 section 3). */
    BAD_COOKIE,
    /** An option whose length runs past the end of the message. */
    BAD_OPTION_LENGTH,
    /** An option the server acts on with a length its RFC does not allow (e.g. type of 2 bytes). */
    BAD_OPTION_VALUE,
    /** A message type not in RFC 2131 table 2 (or one only servers send, such as OFFER). */
    UNKNOWN_MESSAGE_TYPE,
    /** A required option absent: requested address in SELECTING/DECLINE, ciaddr of RELEASE. */
    MISSING_OPTION,

    // ---- decisions

    /** A DISCOVER or BOOTP request left without an offer: no free address. */
    POOL_EXHAUSTED,
    /** A REQUEST naming another server: the client chose another offer (RFC 2131 section 4.3.2). */
    OTHER_SERVER_SELECTED,
    /** A lease given up by DHCPRELEASE. */
    LEASE_RELEASED,
    /** A RELEASE or DECLINE that matched no lease of the client's: ignored. */
    UNKNOWN_LEASE,
    /** An address marked unusable after a DECLINE. */
    ADDRESS_DECLINED,
    /** An option left out of a reply because it did not fit the client's maximum message size. */
    OPTION_OMITTED,
    /** A host name (option 12 or 81) that is no DNS label, not registered (the lease is granted anyway). */
    HOSTNAME_INVALID,
    /** A host name another client's lease has, not registered (the lease is granted anyway). */
    HOSTNAME_IN_USE,
}
