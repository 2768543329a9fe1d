package dev.jslirp.nat.udp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.wire.IcmpPacket;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;

/**
 * The start of the last datagram a flow sent to the host: its IPv4 header and the
 * first 8 bytes after it (the UDP header), what an ICMP error must quote (RFC 792,
 * "Destination Unreachable Message"). The host reports a refusal only later, when the
 * guest's packet is long gone, so each flow keeps this copy: at most 68 bytes, a
 * fixed array overwritten on every datagram, no allocation.
 *
 * <p>Only unicast, unfragmented (or reassembled) UDP datagrams from a guest address
 * are recorded, so an error about them is always allowed (RFC 1122 section 3.2.2).
 */
final class DatagramQuote {
    private static final int MAX_IP_HEADER = 60;

    private final byte[] bytes = new byte[MAX_IP_HEADER + UdpPacket.HEADER_LENGTH];
    private int length;

    /** Copies the IPv4 header and the UDP header of the datagram {@code ip} points at. */
    void record(Ipv4Packet ip) {
        length = ip.headerLength() + UdpPacket.HEADER_LENGTH;
        ip.buffer().getBytes(ip.offset(), bytes, 0, length);
    }

    /**
     * Sends ICMP destination unreachable with {@code code} about the recorded datagram
     * to {@code guest}, the address that sent it, from {@code from}. Does nothing if
     * none was recorded.
     */
    void sendUnreachable(GuestContext ctx, int from, int guest, int code) {
        if (length == 0) {
            return;
        }
        int icmpLength = IcmpPacket.HEADER_LENGTH + length;
        ByteBuf frame = ctx.newIpv4Frame(icmpLength);
        int off = frame.writerIndex();
        frame.setBytes(off + IcmpPacket.HEADER_LENGTH, bytes, 0, length);
        IcmpPacket.write(frame, off, icmpLength, IcmpPacket.TYPE_DEST_UNREACHABLE, code, 0);
        frame.writerIndex(off + icmpLength);
        ctx.sendIpv4(frame, from, guest, Ipv4Packet.PROTO_ICMP, 0, false);
    }
}
