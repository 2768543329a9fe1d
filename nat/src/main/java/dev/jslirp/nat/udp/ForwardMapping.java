package dev.jslirp.nat.udp;

import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.wire.IpAddress;
import java.net.InetSocketAddress;

/**
 * One host peer of a UDP port forward, as the guest sees it: datagrams from the peer
 * reach the guest's forwarded port from the peer's own address and port, or from the
 * gateway address and a port of the gateway given to this peer alone (see
 * {@link UdpNat}), and what the guest sends back there leaves through the forward's
 * listening socket to the peer.
 */
final class ForwardMapping extends UdpFlow {
    private final UdpNat nat;
    private final UdpForwardListener forwarder;
    private final InetSocketAddress peer;
    private final Object peerKey;

    /**
     * @param guest       the guest address the peer's datagrams go to (the forward's, or its guest's now)
     * @param from        the address the peer appears as: its own, or the gateway
     * @param fromPort    the port the peer appears as: its own, or one of the gateway's
     * @param peer        the peer's address, as the host socket reported it
     * @param peerKey     the peer's key in {@code forwarder}'s map
     */
    ForwardMapping(UdpNat nat, UdpForwardListener forwarder, IpAddress guest, IpAddress from, int fromPort,
                   InetSocketAddress peer, Object peerKey) {
        super(guest, forwarder.guestPort(), from, fromPort);
        this.nat = nat;
        this.forwarder = forwarder;
        this.peer = peer;
        this.peerKey = peerKey;
    }

    /** The forward this mapping belongs to. */
    UdpForwardListener forwarder() {
        return forwarder;
    }

    @Override
    void fromGuest(GuestPacket packet) {
        nat.relay().toHost(forwarder.channel(), UdpRelay.payloadOf(packet), peer);
    }

    @Override
    void close() {
        forwarder.forget(peerKey, this);
    }
}
