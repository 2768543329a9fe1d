package dev.jslirp.autoconf;

/**
 * What the router advertisement service counted, the {@code "ra"} counter set of the
 * network ({@link dev.jslirp.core.stats.NetworkStats#service}). Every router solicitation
 * it takes is counted once as valid or once under the reason it was dropped.
 */
public enum RaCounter {
    /** A valid router solicitation (RFC 4861 section 6.1.1). */
    SOLICITATIONS,
    /**
     * A valid solicitation that an advertisement already scheduled answers: several
     * solicitations, or a flood, within the delay and rate limit of RFC 4861 section 6.2.6
     * get one advertisement.
     */
    SOLICITATIONS_COALESCED,
    /** Dropped: hop limit not 255, so the solicitation was forwarded (section 6.1.1). */
    INVALID_HOP_LIMIT,
    /** Dropped: ICMPv6 code not 0. */
    INVALID_CODE,
    /** Dropped: shorter than the 8 bytes of a solicitation. */
    TRUNCATED,
    /** Dropped: an option of length 0 or running past the message. */
    INVALID_OPTIONS,
    /** Dropped: from the unspecified address, yet with a source link-layer address option. */
    UNSPECIFIED_SOURCE_WITH_LINK_LAYER,
    /** An advertisement sent in answer to solicitations. */
    SOLICITED_SENT,
    /** An advertisement sent unasked: the first few after the guest attaches, then periodic. */
    UNSOLICITED_SENT,
    /** Search domains that did not fit the DNSSL option (counted at start). */
    SEARCH_DOMAINS_LEFT_OUT
}
