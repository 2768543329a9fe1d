package dev.jslirp.dhcp;

import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;

/**
 * One address of the dynamic pool and what the server knows of it: its state, until
 * when, and the client it was last bound or offered to (kept after release or expiry,
 * so a returning client gets the same address back, RFC 2131 section 4.3.1).
 * Owned and changed by {@link LeaseTable} only.
 */
final class Lease {
    /** What an address is doing. */
    enum State {
        /** Never used, released or expired: may be given to anyone; its last client is remembered. */
        FREE,
        /** Offered to its client, held for it until {@link #expiresAt}. */
        OFFERED,
        /** Bound to its client until {@link #expiresAt} (or for good if {@link #permanent}). */
        BOUND,
        /** Declined by a client (in use by someone else?): unusable until {@link #expiresAt}. */
        DECLINED,
    }

    /** The address, fixed for the lifetime of the table. */
    final int address;
    State state = State.FREE;
    /** End of the offer hold, the lease or the quarantine, on the network clock. */
    long expiresAt;
    /** When it last became free (for least-recently-used reuse). */
    long freedAt;
    /** A BOOTP binding: does not expire (RFC 1534 section 2). */
    boolean permanent;
    /** True if the fields below name a client. */
    boolean owned;
    /** The client's hardware address (replies go there). */
    long mac;
    /** The client identifier (option 61) the client is known by, or null if known by {@link #mac}. */
    byte[] clientId;

    Lease(int address) {
        this.address = address;
    }

    /** True while an offer, lease or quarantine is running at {@code now}. */
    boolean isActive(long now) {
        return state != State.FREE && (permanent || expiresAt - now > 0);
    }

    @Override
    public String toString() {
        return Ipv4Address.toString(address) + " " + state + (owned ? " " + MacAddress.toString(mac) : "");
    }
}
