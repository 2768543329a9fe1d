package dev.jslirp.nat.tcp;

import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.nat.PacketQuote;
import java.net.InetSocketAddress;

/**
 * A guest SYN's host connect under way: where it goes, and the start of the SYN (IP header
 * and the first 8 bytes of TCP: ports and sequence number), which the ICMP error must
 * quote if the connect fails with host or network unreachable, for the guest's stack to
 * find the socket it is about (RFC 792; RFC 5927 section 4.1 on why the sequence number
 * must be the SYN's). Held from the SYN until the connect's outcome.
 */
final class PendingConnect {
    /** Where the host connect goes if it is a TCP address, else null. */
    final InetSocketAddress target;
    /** The guest's SYN, for an ICMP error. */
    final PacketQuote syn = new PacketQuote();

    PendingConnect(InetSocketAddress target, GuestPacket syn) {
        this.target = target;
        this.syn.record(syn);
    }
}
