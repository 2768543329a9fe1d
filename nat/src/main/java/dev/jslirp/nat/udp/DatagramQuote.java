package dev.jslirp.nat.udp;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.IcmpError;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The start of the last datagram a flow sent to the host: its IP header (IPv6 with
 * the extension headers before the UDP header) and the UDP header after it, what an
 * ICMP or ICMPv6 error must quote (RFC 792, "Destination Unreachable Message"; RFC 4443
 * section 3.1). The host reports a refusal only later, when the guest's packet is long
 * gone, so each flow keeps this copy: a fixed buffer overwritten on every datagram, no
 * allocation after the first.
 *
 * <p>Only unicast datagrams from a guest address are recorded (fragments reassembled
 * first), so an error about them is always allowed (RFC 1122 section 3.2.2, RFC 4443
 * section 2.4 (e)).
 */
final class DatagramQuote {
    /** Room for the longest IPv4 header, or an IPv6 header with a few extension headers, and the UDP header. */
    private static final int MAX = 128;

    private ByteBuf bytes;
    private int length;

    /** Copies the IP header and the UDP header of the datagram {@code p} holds (what does not fit is cut). */
    void record(GuestPacket p) {
        if (bytes == null) {
            bytes = Unpooled.wrappedBuffer(new byte[MAX]);
        }
        length = Math.min(MAX, p.transportOffset() - p.ipOffset() + UdpPacket.HEADER_LENGTH);
        bytes.setBytes(0, p.buffer(), p.ipOffset(), length);
    }

    /**
     * Sends {@code error} about the recorded datagram to {@code guest}, the address that
     * sent it, from {@code from}. Does nothing if none was recorded.
     */
    void sendError(GuestContext ctx, IpAddress from, IpAddress guest, IcmpError error) {
        if (length == 0) {
            return;
        }
        ctx.sendIcmpError(from, guest, error, bytes, 0, length);
    }
}
