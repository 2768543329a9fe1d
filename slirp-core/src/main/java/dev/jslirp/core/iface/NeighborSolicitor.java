package dev.jslirp.core.iface;

/** Asks the guest for the MAC of one of its IPv6 addresses (RFC 4861 section 7.2.2). */
interface NeighborSolicitor {
    /** Sends a neighbour solicitation for the address {@code (hi, lo)}. */
    void solicit(long hi, long lo);
}
