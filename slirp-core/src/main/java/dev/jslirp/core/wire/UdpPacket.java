package dev.jslirp.core.wire;

import io.netty.buffer.ByteBuf;

/** A view of a UDP header (RFC 768). */
public final class UdpPacket {
    /** Length of the header. */
    public static final int HEADER_LENGTH = 8;

    private static final int SRC_PORT = 0;
    private static final int DST_PORT = 2;
    private static final int LENGTH = 4;
    /** Offset of the checksum field in the header. */
    public static final int CHECKSUM = 6;

    private ByteBuf buf;
    private int off;
    private int length;

    /**
     * Points the view at the datagram carried in {@code ipPayloadLength} bytes from
     * {@code off}.
     *
     * @return false if shorter than the header or if the length field is below the
     *         header length or beyond the IP payload
     */
    public boolean wrap(ByteBuf buf, int off, int ipPayloadLength) {
        this.buf = buf;
        this.off = off;
        if (ipPayloadLength < HEADER_LENGTH) {
            return false;
        }
        length = buf.getUnsignedShort(off + LENGTH);
        return length >= HEADER_LENGTH && length <= ipPayloadLength;
    }

    /**
     * True if the checksum verifies against the pseudo-header, or if the sender left it
     * zero (allowed for UDP over IPv4, RFC 768).
     */
    public boolean verifyChecksum(int src, int dst) {
        return verifyChecksum(Checksums.pseudoHeader(src, dst, Ipv4Packet.PROTO_UDP, length), true);
    }

    /**
     * True if the checksum verifies against a pseudo-header whose sum is
     * {@code pseudoHeaderSum}; a zero checksum field passes only if {@code zeroAllowed}
     * (IPv4, RFC 768; never over IPv6, RFC 8200 section 8.1).
     */
    public boolean verifyChecksum(long pseudoHeaderSum, boolean zeroAllowed) {
        if (checksum() == 0) {
            return zeroAllowed;
        }
        return Checksums.fold(Checksums.add(pseudoHeaderSum, buf, off, length)) == 0xffff;
    }

    /** Source port. */
    public int sourcePort() {
        return buf.getUnsignedShort(off + SRC_PORT);
    }

    /** Destination port. */
    public int destinationPort() {
        return buf.getUnsignedShort(off + DST_PORT);
    }

    /** The length field: header plus data. */
    public int length() {
        return length;
    }

    /** The checksum field. */
    public int checksum() {
        return buf.getUnsignedShort(off + CHECKSUM);
    }

    /** Offset of the header in the buffer. */
    public int offset() {
        return off;
    }

    /** Offset of the data. */
    public int payloadOffset() {
        return off + HEADER_LENGTH;
    }

    /** Length of the data. */
    public int payloadLength() {
        return length - HEADER_LENGTH;
    }

    /**
     * Writes the header at {@code off} with the checksum over header and the
     * {@code length - 8} data bytes already in place after it. A computed checksum of
     * zero is sent as 0xffff (RFC 768).
     */
    public static void write(ByteBuf buf, int off, int srcPort, int dstPort, int length, int srcIp, int dstIp) {
        writeHeader(buf, off, srcPort, dstPort, length);
        writeChecksum(buf, off, length, Checksums.pseudoHeader(srcIp, dstIp, Ipv4Packet.PROTO_UDP, length));
    }

    /** Writes the header at {@code off} with a zero checksum; {@link #writeChecksum} fills it in. */
    public static void writeHeader(ByteBuf buf, int off, int srcPort, int dstPort, int length) {
        buf.setShort(off + SRC_PORT, srcPort);
        buf.setShort(off + DST_PORT, dstPort);
        buf.setShort(off + LENGTH, length);
        buf.setShort(off + CHECKSUM, 0);
    }

    /**
     * Computes and stores the checksum of the {@code length}-byte datagram at {@code off}
     * given its pseudo-header sum; a computed zero is sent as 0xffff (RFC 768).
     */
    public static void writeChecksum(ByteBuf buf, int off, int length, long pseudoHeaderSum) {
        buf.setShort(off + CHECKSUM, 0);
        int c = ~Checksums.fold(Checksums.add(pseudoHeaderSum, buf, off, length)) & 0xffff;
        buf.setShort(off + CHECKSUM, c == 0 ? 0xffff : c);
    }
}
