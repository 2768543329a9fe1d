package dev.jslirp.nat.udp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.IcmpError;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.PacketQuote;
import java.net.InetSocketAddress;

/**
 * A flow whose datagrams leave through a host socket of the NAT's own (not a port
 * forward's): it keeps the start of the guest's last datagram ({@link PacketQuote}), so
 * that an error the host reports later can go back to the guest as ICMP about it.
 */
abstract class GuestFlow extends UdpFlow {
    /** The guest's last datagram of this flow, for ICMP errors. */
    final PacketQuote quote = new PacketQuote();
    /** Where the guest's datagrams go on the host (the host's loopback for the gateway). */
    final InetSocketAddress target;

    GuestFlow(IpAddress guest, int guestPort, IpAddress remote, int remotePort, InetSocketAddress target) {
        super(guest, guestPort, remote, remotePort);
        this.target = target;
    }

    /** Records {@code packet} for a later error, then sends it on ({@link #toHost}). */
    @Override
    final void fromGuest(GuestPacket packet) {
        quote.record(packet);
        toHost(packet);
    }

    /** Sends the payload of {@code packet}, a datagram of this flow, to the host. */
    abstract void toHost(GuestPacket packet);

    /** Tells the guest its last datagram was refused with {@code error}, from {@code from}. */
    void sendUnreachable(GuestContext ctx, IpAddress from, IcmpError error) {
        quote.sendError(ctx, from, guest, error);
    }
}
