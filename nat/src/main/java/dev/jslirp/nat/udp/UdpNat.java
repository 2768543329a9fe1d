package dev.jslirp.nat.udp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.nat.HostAddressMapper;
import dev.jslirp.nat.NatConfig;

/**
 * UDP half of the NAT: guest datagrams sent from host sockets, replies mapped back,
 * and UDP port forwards into the guest. SKELETON: not implemented yet.
 */
public final class UdpNat {
    private final NatConfig config;

    /** UDP NAT configured by {@code config}. */
    public UdpNat(NatConfig config) {
        this.config = config;
    }

    /** Starts listeners for UDP forwards; called on the event loop. */
    public void start(GuestContext context, HostAddressMapper mapper) {
    }

    /** Takes a UDP datagram from the guest; true if handled. */
    public boolean handle(GuestPacket packet) {
        return false;
    }

    /** The guest went away. */
    public void guestDetached() {
    }

    /** Closes every flow and listener. */
    public void stop() {
    }
}
