package dev.jslirp.nat.udp;

import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.wire.IpAddress;
import java.net.InetSocketAddress;

/**
 * A flow under endpoint-independent filtering: one remote of a guest endpoint, sending
 * through the endpoint's shared {@link EndpointSocket}. Opened by the guest's first
 * datagram to the remote, or by the first datagram from a host sender the guest has not
 * written to (the guest then sees it come from where it really came from, and its
 * answers find this flow).
 */
final class EndpointFlow extends GuestFlow {
    /** The socket the flow shares with the other flows of its guest endpoint. */
    final EndpointSocket socket;
    private boolean sent;

    EndpointFlow(EndpointSocket socket, IpAddress remote, int remotePort, InetSocketAddress target) {
        super(socket.guest, socket.guestPort, remote, remotePort, target);
        this.socket = socket;
        socket.attach();
    }

    @Override
    void toHost(GuestPacket packet) {
        socket.send(this, UdpRelay.payloadOf(packet), packet.hopLimit(), !sent);
        sent = true;
    }

    @Override
    void close() {
        socket.detach(this);
    }
}
