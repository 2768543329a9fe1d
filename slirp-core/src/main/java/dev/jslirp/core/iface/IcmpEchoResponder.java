package dev.jslirp.core.iface;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.wire.IcmpPacket;
import io.netty.buffer.ByteBuf;

/**
 * Answers echo requests addressed to the network's own addresses, ICMP (RFC 792) and
 * ICMPv6 (RFC 4443 section 4.2), as QEMU's user network does: the reply carries the
 * request's identifier, sequence number and data, comes from the address asked, and is
 * fragmented to the MTU if the request was a reassembled large ping.
 */
final class IcmpEchoResponder {
    /** ICMPv6 echo reply (RFC 4443 section 4.2). */
    static final int TYPE6_ECHO_REPLY = 129;

    private final GuestNetwork network;

    IcmpEchoResponder(GuestNetwork network) {
        this.network = network;
    }

    void reply(GuestPacket packet) {
        IcmpPacket icmp = packet.icmp();
        boolean v6 = packet.isIpv6();
        int len = icmp.length();
        ByteBuf frame = network.newFrame(len);
        int off = frame.writerIndex();
        frame.setBytes(off + IcmpPacket.HEADER_LENGTH, packet.buffer(), icmp.payloadOffset(), icmp.payloadLength());
        IcmpPacket.writeHeader(frame, off, v6 ? TYPE6_ECHO_REPLY : IcmpPacket.TYPE_ECHO_REPLY, 0,
                (icmp.identifier() << 16) | icmp.sequence());
        frame.writerIndex(off + len);
        network.stats().traffic().increment(NetworkStats.Traffic.ECHO_REPLIES);
        network.send(frame, packet.destination(), packet.source(), packet.protocol(),
                GuestContext.trafficClass(packet.trafficClass()));
    }
}
