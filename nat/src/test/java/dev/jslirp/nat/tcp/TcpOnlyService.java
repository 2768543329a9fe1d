package dev.jslirp.nat.tcp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.nat.HostAddressMapper;

/** Plugs a {@link TcpNat} (possibly with a fake host side) into a network, as NatService does. */
final class TcpOnlyService implements GuestService {
    final TcpNat tcp;

    TcpOnlyService(TcpNat tcp) {
        this.tcp = tcp;
    }

    @Override
    public void start(GuestContext context) {
        tcp.start(context, new HostAddressMapper(context));
    }

    @Override
    public boolean handle(GuestPacket packet) {
        return packet.protocol() == dev.jslirp.core.wire.Ipv4Packet.PROTO_TCP && tcp.handle(packet);
    }

    @Override
    public void guestWritabilityChanged(boolean writable) {
        tcp.guestWritabilityChanged(writable);
    }

    @Override
    public void guestDetached() {
        tcp.guestDetached();
    }

    @Override
    public void stop() {
        tcp.stop();
    }
}
