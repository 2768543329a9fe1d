package dev.jslirp.autoconf;

/**
 * What the DHCPv6 server counted, the {@code "dhcpv6"} counter set of the network
 * ({@link dev.jslirp.core.stats.NetworkStats#service}). Every message to the server's
 * port is counted once under its kind, or once under the reason it was dropped.
 */
public enum Dhcpv6Counter {
    /** An Information-request (RFC 8415 section 18.2.6). */
    INFORMATION_REQUEST,
    /** A Reply sent. */
    REPLY_SENT,
    /**
     * Solicit, Request, Confirm, Renew, Rebind, Release or Decline: messages of stateful
     * DHCPv6, which this stateless server does not answer (the router advertisement says
     * M = 0; see {@link Dhcpv6Server}).
     */
    STATEFUL_IGNORED,
    /** A relay's message (Relay-forward): there is no relay on this link. */
    RELAY_IGNORED,
    /** A message only servers and relays send (Advertise, Reply, Reconfigure, Relay-reply): dropped. */
    SERVER_MESSAGE_DROPPED,
    /** A message type RFC 8415 does not define: dropped. */
    UNKNOWN_TYPE,
    /** Dropped: shorter than the 4-byte message header (RFC 8415 section 8). */
    TRUNCATED,
    /** Dropped: an option header or value runs past the message (section 21.1). */
    MALFORMED_OPTIONS,
    /** Dropped: a Client Identifier longer than a DUID may be (130 bytes, section 11.1) or shorter than its type. */
    BAD_CLIENT_ID,
    /** Dropped: an Option Request option of odd length (section 21.7). */
    BAD_OPTION_REQUEST,
    /** Dropped: an Information-request with an IA option (section 16.12). */
    IA_IN_INFORMATION_REQUEST,
    /** Dropped: an Information-request naming another server's DUID (section 16.12). */
    OTHER_SERVER,
    /** A requested option left out of a Reply because it would not fit the link MTU. */
    OPTION_LEFT_OUT
}
