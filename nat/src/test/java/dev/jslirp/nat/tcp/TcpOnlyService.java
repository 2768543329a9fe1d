package dev.jslirp.nat.tcp;

import dev.jslirp.nat.hostfwd.HostForward;
import dev.jslirp.nat.hostfwd.HostForwards;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.nat.HostAddressMapper;

/**
 * Plugs a {@link TcpNat} (possibly with a fake host side) into a network, as NatService
 * does, with the TCP forwards of its configuration.
 */
final class TcpOnlyService implements GuestService {
    final TcpNat tcp;
    HostForwards forwards;

    TcpOnlyService(TcpNat tcp) {
        this.tcp = tcp;
    }

    @Override
    public void start(GuestContext context) {
        tcp.start(context, new HostAddressMapper(context));
        forwards = new HostForwards(context.config());
        forwards.serve(HostForward.Protocol.TCP, tcp);
        forwards.serve(HostForward.Protocol.UNIX, tcp);
        try {
            for (HostForward f : tcp.config().forwards()) {
                forwards.add(f);
            }
        } catch (RuntimeException e) {
            stop();
            throw e;
        }
    }

    @Override
    public boolean handle(GuestPacket packet) {
        return packet.protocol() == GuestPacket.PROTO_TCP && tcp.handle(packet);
    }

    @Override
    public void guestWritabilityChanged(GuestPort port, boolean writable) {
        tcp.guestWritabilityChanged(port, writable);
    }

    @Override
    public void guestDetached(GuestPort port) {
        tcp.guestDetached(port);
    }

    @Override
    public void stop() {
        if (forwards != null) {
            forwards.closeAll();
        }
        tcp.stop();
    }
}
