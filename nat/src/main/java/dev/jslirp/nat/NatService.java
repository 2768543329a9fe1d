package dev.jslirp.nat;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import java.util.Objects;

/**
 * NAT of the guest's TCP, UDP and ICMP onto host sockets, and the host's port forwards
 * into the guest. SKELETON: not implemented yet; takes no packets.
 */
public final class NatService implements GuestService {
    private final NatConfig config;
    private GuestContext context;

    /** A NAT configured by {@code config}. */
    public NatService(NatConfig config) {
        this.config = Objects.requireNonNull(config, "config");
    }

    @Override
    public void start(GuestContext context) {
        this.context = context;
    }

    @Override
    public boolean handle(GuestPacket packet) {
        return false;
    }
}
