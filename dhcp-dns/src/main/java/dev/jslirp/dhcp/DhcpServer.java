package dev.jslirp.dhcp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import java.util.Objects;

/**
 * The DHCPv4 server of the virtual network (RFC 2131, options RFC 2132).
 * SKELETON: not implemented yet; takes no packets.
 */
public final class DhcpServer implements GuestService {
    private final DhcpConfig config;
    private GuestContext context;

    /** A server handing out what {@code config} says. */
    public DhcpServer(DhcpConfig config) {
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
