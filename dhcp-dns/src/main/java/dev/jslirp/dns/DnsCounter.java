package dev.jslirp.dns;

/** What the DNS service counts, registered as the {@code "dns"} counter set. */
public enum DnsCounter {
    /** UDP datagrams from the guest to the DNS address, port 53. */
    QUERIES,
    /** DNS messages received from the guest over TCP. */
    TCP_QUERIES,
    /** Queries for local names (host name, {@code --dns-record}) answered without an upstream. */
    ANSWERED_LOCALLY,
    /** Queries sent to an upstream (once per query, retries not counted). */
    FORWARDED,
    /** Upstream attempts that got no answer in time. */
    UPSTREAM_TIMEOUTS,
    /**
     * Upstream attempts that failed otherwise: send or connect error, connection closed
     * early, or a SERVFAIL/REFUSED/NOTIMP answer while another upstream was left to ask.
     */
    UPSTREAM_ERRORS,
    /** Upstream answers relayed to the guest. */
    ANSWERS_RELAYED,
    /** SERVFAIL answers the service made itself (all upstreams failed, no upstream, limits). */
    SERVFAIL_SENT,
    /** REFUSED answers ({@code restrict=on}). */
    REFUSED_SENT,
    /** FORMERR answers to queries whose header parsed but whose question did not. */
    FORMERR_SENT,
    /** NOTIMP answers to opcodes other than QUERY. */
    NOTIMP_SENT,
    /** Queries that found no upstream to ask (none configured, none usable in resolv.conf). */
    NO_UPSTREAM,
    /** Guest messages dropped without an answer: shorter than a header, a response, a bad source. */
    MALFORMED_DROPPED,
    /**
     * Guest queries with a bad question (truncated, compressed, label over 63 octets, name
     * over 255, not exactly one question, too large); each got a FORMERR.
     */
    MALFORMED_QUERIES,
    /** UDP queries refused with SERVFAIL because {@link DnsConfig#maxInFlight()} were in flight. */
    IN_FLIGHT_LIMIT,
    /** UDP queries refused with SERVFAIL because the network's memory budget ({@code --max-memory}) had no room. */
    MEMORY_LIMIT,
    /**
     * Upstream answers ignored because no query in flight matches their ID, source
     * address and question (late, duplicate or spoofed; RFC 5452 section 9.1).
     */
    UNMATCHED_ANSWERS,
    /** Upstream messages too short for a header or not marked as a response. */
    MALFORMED_ANSWERS,
    /** Guest DNS-over-TCP connections accepted. */
    TCP_CONNECTIONS,
    /** Guest DNS-over-TCP connections closed at once because {@link DnsConfig#maxTcpConnections()} were open. */
    TCP_CONNECTIONS_REFUSED,
    /** DNS-over-TCP connections closed for idleness. */
    TCP_IDLE_CLOSED,
    /** Pipelined TCP queries answered SERVFAIL because too many were pending on one connection. */
    TCP_PIPELINE_LIMIT,
    /** Times a changed resolv.conf replaced the upstream list. */
    RESOLV_CONF_CHANGES,
}
