package dev.jslirp.dns;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import java.util.Objects;

/**
 * The DNS server at the network's DNS address: local names, and forwarding to upstream
 * resolvers over UDP and TCP. SKELETON: not implemented yet; takes no packets.
 */
public final class DnsService implements GuestService {
    private final DnsConfig config;
    private GuestContext context;

    /** A DNS service configured by {@code config}. */
    public DnsService(DnsConfig config) {
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
