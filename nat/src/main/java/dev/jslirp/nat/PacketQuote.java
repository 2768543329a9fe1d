package dev.jslirp.nat;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.IcmpError;
import dev.jslirp.core.wire.IpAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The start of a packet the guest sent to the host: its IP header (IPv6 with the
 * extension headers before the transport header) and the first {@value #TRANSPORT_BYTES}
 * bytes after it, the UDP header, a TCP segment's ports and sequence number, an echo
 * request's identifier and sequence: what an ICMP or ICMPv6 error must quote (RFC 792,
 * "Destination Unreachable Message"; RFC 4443 section 3.1) and what the guest's stack
 * matches the error to its socket by. The host reports a refusal only later, when the
 * guest's packet is long gone, so a flow keeps this copy: a fixed buffer overwritten on
 * every packet, no allocation after the first.
 *
 * <p>Only unicast packets from a guest address are recorded (fragments reassembled
 * first), so an error about them is always allowed (RFC 1122 section 3.2.2, RFC 4443
 * section 2.4 (e)).
 */
public final class PacketQuote {
    /** Bytes of the transport header quoted, RFC 792's "64 bits of Data Datagram". */
    public static final int TRANSPORT_BYTES = 8;
    /** Room for the longest IPv4 header, or an IPv6 header with a few extension headers, and the 8 bytes. */
    private static final int MAX = 128;

    private ByteBuf bytes;
    private int length;
    private int transportStart;

    /** Copies the IP header and the first 8 transport bytes of {@code p} (what does not fit is cut). */
    public void record(GuestPacket p) {
        if (bytes == null) {
            bytes = Unpooled.wrappedBuffer(new byte[MAX]);
        }
        transportStart = p.transportOffset() - p.ipOffset();
        length = Math.min(MAX, transportStart + Math.min(TRANSPORT_BYTES, p.transportLength()));
        bytes.setBytes(0, p.buffer(), p.ipOffset(), length);
    }

    /** True once a packet was recorded. */
    public boolean isRecorded() {
        return length > 0;
    }

    /**
     * Sends {@code error} about the recorded packet to {@code guest}, the address that
     * sent it, from {@code from}. Does nothing if none was recorded.
     */
    public void sendError(GuestContext ctx, IpAddress from, IpAddress guest, IcmpError error) {
        if (length == 0) {
            return;
        }
        ctx.sendIcmpError(from, guest, error, bytes, 0, length);
    }

    /**
     * As {@link #sendError(GuestContext, IpAddress, IpAddress, IcmpError)}, with the 16 bits at
     * {@code transportOffset} after the transport header's start set to {@code value} first: an
     * echo request's sequence number (offset 6), for an error about an earlier request than
     * the last recorded one.
     */
    public void sendError(GuestContext ctx, IpAddress from, IpAddress guest, IcmpError error, int transportOffset,
                          int value) {
        if (length >= transportStart + transportOffset + 2) {
            bytes.setShort(transportStart + transportOffset, value);
        }
        sendError(ctx, from, guest, error);
    }
}
