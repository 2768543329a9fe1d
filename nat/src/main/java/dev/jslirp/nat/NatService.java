package dev.jslirp.nat;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.nat.tcp.TcpNat;
import dev.jslirp.nat.udp.UdpNat;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * NAT of the guest's TCP and UDP onto host sockets, and the host's port forwards into
 * the guest. Routes each packet by protocol to {@link TcpNat} or {@link UdpNat}; the
 * address rules they share live in {@link HostAddressMapper}.
 */
public final class NatService implements GuestService {
    private final NatConfig config;
    private final TcpNat tcp;
    private final UdpNat udp;

    /** A NAT configured by {@code config}. */
    public NatService(NatConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.tcp = new TcpNat(config);
        this.udp = new UdpNat(config);
    }

    /** The TCP half, for its port-forward methods (HMP {@code hostfwd_add} / {@code hostfwd_remove}). */
    public TcpNat tcp() {
        return tcp;
    }

    /** The UDP half, for its port-forward methods (HMP {@code hostfwd_add} / {@code hostfwd_remove}). */
    public UdpNat udp() {
        return udp;
    }

    /**
     * The connection table as HMP's {@code info usernet} shows it, at most {@code max}
     * rows: TCP listeners and flows, then UDP listeners, flows and forward mappings.
     * Call on the event loop.
     */
    public List<NatConnection> connections(int max) {
        List<NatConnection> rows = new ArrayList<>(Math.min(Math.max(0, max), 256));
        tcp.connections(rows, max);
        udp.connections(rows, max);
        return rows;
    }

    /** How many rows {@link #connections} has without a bound. Call on the event loop. */
    public int connectionCount() {
        return tcp.forwards().size() + tcp.flowCount() + udp.forwardAddresses().size() + udp.flowCount()
                + udp.mappingCount();
    }

    @Override
    public void start(GuestContext context) {
        HostAddressMapper mapper = new HostAddressMapper(context);
        tcp.start(context, mapper);
        udp.start(context, mapper);
    }

    @Override
    public boolean handle(GuestPacket packet) {
        switch (packet.protocol()) {
            case Ipv4Packet.PROTO_TCP:
                return tcp.handle(packet);
            case Ipv4Packet.PROTO_UDP:
                return udp.handle(packet);
            default:
                return false;
        }
    }

    @Override
    public void guestWritabilityChanged(boolean writable) {
        tcp.guestWritabilityChanged(writable);
    }

    @Override
    public void guestDetached() {
        tcp.guestDetached();
        udp.guestDetached();
    }

    @Override
    public void stop() {
        tcp.stop();
        udp.stop();
    }
}
