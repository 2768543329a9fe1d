package dev.jslirp.dns;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;

/**
 * Sends DNS messages to the guest over UDP from the DNS address, port 53: a frame is
 * allocated with room for the headers, the caller writes the message, and
 * {@link #send} completes the UDP header and hands the datagram to the core, which
 * fragments it if it exceeds the MTU.
 */
final class GuestDatagrams {
    /** The DNS port (RFC 1035 section 4.2.1). */
    static final int DNS_PORT = 53;

    private final GuestContext context;

    GuestDatagrams(GuestContext context) {
        this.context = context;
    }

    /**
     * A frame whose writer index stands where the DNS message goes, with room for
     * {@code messageLength} bytes. The caller owns it until {@link #send}.
     */
    ByteBuf newFrame(int messageLength) {
        ByteBuf frame = context.newFrame(UdpPacket.HEADER_LENGTH + messageLength);
        frame.writerIndex(frame.writerIndex() + UdpPacket.HEADER_LENGTH);
        return frame;
    }

    /** Offset in {@code frame} where the DNS message starts. */
    static int messageOffset(ByteBuf frame) {
        return frame.readerIndex() + GuestContext.FRAME_OVERHEAD + UdpPacket.HEADER_LENGTH;
    }

    /**
     * Sends a {@link #newFrame} frame whose writer index ends the message as
     * {@code to} says. Takes ownership of {@code frame}.
     */
    void send(ByteBuf frame, ReplyTo to) {
        int udpOff = frame.readerIndex() + GuestContext.FRAME_OVERHEAD;
        int udpLength = frame.writerIndex() - udpOff;
        UdpPacket.writeHeader(frame, udpOff, DNS_PORT, to.guestPort(), udpLength);
        context.send(frame, to.server(), to.guest(), GuestPacket.PROTO_UDP, 0);
    }
}
