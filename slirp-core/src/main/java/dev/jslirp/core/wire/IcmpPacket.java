package dev.jslirp.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * A view of an ICMPv4 message (RFC 792): type, code, checksum and the 4-byte
 * rest-of-header (identifier and sequence number for echo).
 */
public final class IcmpPacket {
    /** Length of the fixed header. */
    public static final int HEADER_LENGTH = 8;
    /** Echo reply. */
    public static final int TYPE_ECHO_REPLY = 0;
    /** Destination unreachable. */
    public static final int TYPE_DEST_UNREACHABLE = 3;
    /** Echo request. */
    public static final int TYPE_ECHO_REQUEST = 8;
    /** Time exceeded. */
    public static final int TYPE_TIME_EXCEEDED = 11;
    /** Destination unreachable: network unreachable. */
    public static final int CODE_NET_UNREACHABLE = 0;
    /** Destination unreachable: host unreachable. */
    public static final int CODE_HOST_UNREACHABLE = 1;
    /** Destination unreachable: port unreachable. */
    public static final int CODE_PORT_UNREACHABLE = 3;
    /** Destination unreachable: fragmentation needed and DF set. */
    public static final int CODE_FRAGMENTATION_NEEDED = 4;
    /** Destination unreachable: communication administratively prohibited (RFC 1812). */
    public static final int CODE_ADMIN_PROHIBITED = 13;

    private static final int TYPE = 0;
    private static final int CODE = 1;
    /** Offset of the checksum field in the header. */
    public static final int CHECKSUM = 2;
    private static final int REST = 4;

    private ByteBuf buf;
    private int off;
    private int length;

    /**
     * Points the view at the message occupying {@code length} bytes from {@code off}.
     *
     * @return false if shorter than the header
     */
    public boolean wrap(ByteBuf buf, int off, int length) {
        this.buf = buf;
        this.off = off;
        this.length = length;
        return length >= HEADER_LENGTH;
    }

    /** True if the checksum over the whole message verifies (ICMP for IPv4: no pseudo-header). */
    public boolean verifyChecksum() {
        return verifyChecksum(0);
    }

    /** True if the checksum verifies with a pseudo-header sum (ICMPv6, RFC 4443 section 2.3); 0 for ICMP. */
    public boolean verifyChecksum(long pseudoHeaderSum) {
        return Checksums.fold(Checksums.add(pseudoHeaderSum, buf, off, length)) == 0xffff;
    }

    /** Message type. */
    public int type() {
        return buf.getUnsignedByte(off + TYPE);
    }

    /** Message code. */
    public int code() {
        return buf.getUnsignedByte(off + CODE);
    }

    /** Echo identifier (bytes 4-5). */
    public int identifier() {
        return buf.getUnsignedShort(off + REST);
    }

    /** Echo sequence number (bytes 6-7). */
    public int sequence() {
        return buf.getUnsignedShort(off + REST + 2);
    }

    /** Offset of the message in the buffer. */
    public int offset() {
        return off;
    }

    /** Length of the whole message. */
    public int length() {
        return length;
    }

    /** Offset of the data after the 8-byte header. */
    public int payloadOffset() {
        return off + HEADER_LENGTH;
    }

    /** Length of the data after the 8-byte header. */
    public int payloadLength() {
        return length - HEADER_LENGTH;
    }

    /**
     * Writes the 8-byte header at {@code off} and the checksum over {@code length}
     * bytes (header plus data already in place).
     */
    public static void write(ByteBuf buf, int off, int length, int type, int code, int restOfHeader) {
        writeHeader(buf, off, type, code, restOfHeader);
        writeChecksum(buf, off, length, 0);
    }

    /** Writes the 8-byte header at {@code off} with a zero checksum; {@link #writeChecksum} fills it in. */
    public static void writeHeader(ByteBuf buf, int off, int type, int code, int restOfHeader) {
        buf.setByte(off + TYPE, type);
        buf.setByte(off + CODE, code);
        buf.setShort(off + CHECKSUM, 0);
        buf.setInt(off + REST, restOfHeader);
    }

    /**
     * Computes and stores the checksum of the {@code length}-byte message at {@code off}:
     * {@code pseudoHeaderSum} 0 for ICMP, the IPv6 pseudo-header's for ICMPv6.
     */
    public static void writeChecksum(ByteBuf buf, int off, int length, long pseudoHeaderSum) {
        buf.setShort(off + CHECKSUM, 0);
        buf.setShort(off + CHECKSUM, ~Checksums.fold(Checksums.add(pseudoHeaderSum, buf, off, length)) & 0xffff);
    }
}
