package dev.jslirp.nat.tcp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.nat.HostAddressMapper;
import dev.jslirp.nat.NatConfig;

/**
 * TCP half of the NAT: guest connections terminated here and continued on host
 * sockets, and TCP port forwards into the guest. SKELETON: not implemented yet.
 */
public final class TcpNat {
    private final NatConfig config;

    /** TCP NAT configured by {@code config}. */
    public TcpNat(NatConfig config) {
        this.config = config;
    }

    /** Starts listeners for TCP forwards; called on the event loop. */
    public void start(GuestContext context, HostAddressMapper mapper) {
    }

    /** Takes a TCP segment from the guest; true if handled. */
    public boolean handle(GuestPacket packet) {
        return false;
    }

    /** The guest transport's writability changed. */
    public void guestWritabilityChanged(boolean writable) {
    }

    /** The guest went away: end its flows. */
    public void guestDetached() {
    }

    /** Closes every flow and listener. */
    public void stop() {
    }
}
