package dev.jslirp.nat.udp;

import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.flow.FlowTable;
import dev.jslirp.nat.flow.IdleList;

/**
 * One UDP conversation as the guest sees it: its own address and port, and the
 * remote address and port it talks to (the destination of its datagrams, the source
 * of the ones it receives). Kept in the NAT's {@link FlowTable} under that tuple and in
 * an {@link IdleList} by last use.
 *
 * <p>Three kinds: an {@link EndpointFlow}, sharing its guest endpoint's unconnected host
 * socket (endpoint-independent filtering, the default), opened by the guest or by a host
 * sender; an {@link OutboundFlow} the guest opened, with its own connected host socket
 * (address-and-port-dependent filtering); and a {@link ForwardMapping} that a host peer
 * opened through a port forward, sharing the forward's listening socket.
 */
abstract class UdpFlow extends IdleList.Entry {
    /** The guest's address. */
    final IpAddress guest;
    /** The guest's port. */
    final int guestPort;
    /** The address the guest talks to (for the host's loopback: the gateway); of the guest's family. */
    final IpAddress remote;
    /** The port the guest talks to. */
    final int remotePort;

    /**
     * The guest's port: datagrams for the guest are dropped while it is not writable, and
     * the flow ends when it detaches. The port of the datagram that opened an outbound
     * flow; for a forward's mapping or a host sender's endpoint flow, the port its guest
     * address is bound to, else the port of the guest's first datagram.
     */
    GuestPort port;
    /** Set once by {@link #close()}; later host events are ignored. */
    boolean closed;

    /** True if the flow belongs to {@code leaving}'s guest (or, once no port is left, to nobody's). */
    boolean endsWith(GuestPort leaving, boolean noneLeft) {
        return port == leaving || (port == null && noneLeft);
    }

    UdpFlow(IpAddress guest, int guestPort, IpAddress remote, int remotePort) {
        this.guest = guest;
        this.guestPort = guestPort;
        this.remote = remote;
        this.remotePort = remotePort;
    }

    @Override
    public String toString() {
        return guest.toUriString() + ":" + guestPort + " ~ " + remote.toUriString() + ":" + remotePort;
    }

    /**
     * Sends the payload of {@code packet}, a datagram of this flow from the guest, to
     * the host. The packet stays owned by the caller; what is kept is retained here.
     */
    abstract void fromGuest(GuestPacket packet);

    /** Releases the flow's host resources. Called once, by the NAT, after it unlinked the flow. */
    abstract void close();
}
