package dev.jslirp.nat.icmp;

import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.PacketQuote;
import dev.jslirp.nat.flow.IdleList;
import io.netty.channel.Channel;

/**
 * The echo requests of one guest address with one identifier (one ping process, as the
 * guest's stack tells them apart) and the replies to them, whatever hosts they go to. Its
 * host side is a ping socket of its own ({@link PingTransport}) or an identifier of its
 * own on the family's raw socket ({@link RawTransport}); replies get the guest's
 * identifier back.
 */
final class EchoSession extends IdleList.Entry {
    /** The guest's address. */
    final IpAddress guest;
    /** The guest's echo identifier. */
    final int guestId;
    /** The transport of the guest's family. */
    final EchoTransport transport;
    /** The session's own ping socket ({@link PingTransport}), else null. */
    Channel channel;
    /** The identifier on the host ({@link RawTransport}; a ping socket's is the kernel's). */
    int hostId;
    /** Set once closed; later host events are ignored. */
    boolean closed;
    /** The guest's last request, for an ICMP error about one of its requests. */
    final PacketQuote quote = new PacketQuote();
    /** The time to live the session's ping socket sends with, -1 for the host's default. */
    int ttl = -1;

    EchoSession(IpAddress guest, int guestId, EchoTransport transport) {
        this.guest = guest;
        this.guestId = guestId;
        this.transport = transport;
    }

    @Override
    public String toString() {
        return guest.toUriString() + " id " + guestId;
    }
}
