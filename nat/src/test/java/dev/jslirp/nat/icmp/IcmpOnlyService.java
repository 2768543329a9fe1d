package dev.jslirp.nat.icmp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.nat.HostAddressMapper;

/** Plugs an {@link IcmpNat} (possibly with scripted sockets) into a network, as NatService does. */
final class IcmpOnlyService implements GuestService {
    private final IcmpNat nat;
    /** The network's context, once started. */
    GuestContext ctx;
    /** When it started, on the network's clock. */
    long started;

    IcmpOnlyService(IcmpNat nat) {
        this.nat = nat;
    }

    @Override
    public void start(GuestContext context) {
        ctx = context;
        started = context.nanoTime();
        nat.start(context, new HostAddressMapper(context));
    }

    @Override
    public boolean handle(GuestPacket p) {
        return (p.protocol() == GuestPacket.PROTO_ICMP || p.protocol() == GuestPacket.PROTO_ICMPV6) && nat.handle(p);
    }

    @Override
    public void guestDetached(GuestPort port) {
        if (!ctx.isGuestAttached()) {
            nat.guestDetached();
        }
    }

    @Override
    public void stop() {
        nat.stop();
    }
}
