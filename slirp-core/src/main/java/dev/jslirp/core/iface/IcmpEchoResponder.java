package dev.jslirp.core.iface;

import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.wire.IcmpPacket;
import dev.jslirp.core.wire.Ipv4Packet;
import io.netty.buffer.ByteBuf;

/**
 * Answers ICMP echo requests (RFC 792) addressed to the network's own addresses, the
 * gateway and the DNS server, as QEMU's user network does: the reply carries the
 * request's identifier, sequence number and data, and is fragmented to the MTU if the
 * request was a reassembled large ping.
 */
final class IcmpEchoResponder {
    private final GuestNetwork network;

    IcmpEchoResponder(GuestNetwork network) {
        this.network = network;
    }

    void reply(GuestPacket packet) {
        Ipv4Packet ip = packet.ip();
        IcmpPacket icmp = packet.icmp();
        int len = icmp.length();
        ByteBuf frame = network.newIpv4Frame(len);
        int off = frame.writerIndex();
        frame.setBytes(off + IcmpPacket.HEADER_LENGTH, ip.buffer(), icmp.payloadOffset(), icmp.payloadLength());
        IcmpPacket.write(frame, off, len, IcmpPacket.TYPE_ECHO_REPLY, 0,
                (icmp.identifier() << 16) | icmp.sequence());
        frame.writerIndex(off + len);
        network.stats().traffic().increment(NetworkStats.Traffic.ECHO_REPLIES);
        network.sendIpv4(frame, ip.destination(), ip.source(), Ipv4Packet.PROTO_ICMP, ip.tos(), false);
    }
}
