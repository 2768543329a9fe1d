package dev.jslirp.core.wire;

import dev.jslirp.core.stats.DropReason;
import io.netty.buffer.ByteBuf;

/**
 * A view of an IPv4 header (RFC 791 section 3.1).
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |
 * |         Identification        |Flags|      Fragment Offset    |
 * |  Time to Live |    Protocol   |         Header Checksum       |
 * |                       Source Address                          |
 * |                    Destination Address                        |
 * |                    Options                    |    Padding    |
 * </pre>
 *
 * <p>{@link #wrap} holds every length rule; once it returned {@code null} the
 * accessors read without further checks. Options are tolerated (their lengths are
 * checked) and ignored, as a router that does not act on them may.
 */
public final class Ipv4Packet {
    /** Length of a header without options. */
    public static final int MIN_HEADER_LENGTH = 20;
    /** Protocol number of ICMP. */
    public static final int PROTO_ICMP = 1;
    /** Protocol number of TCP. */
    public static final int PROTO_TCP = 6;
    /** Protocol number of UDP. */
    public static final int PROTO_UDP = 17;
    /** The "don't fragment" flag in the flags/offset word. */
    public static final int FLAG_DF = 0x4000;
    /** The "more fragments" flag in the flags/offset word. */
    public static final int FLAG_MF = 0x2000;
    /** The default TTL of datagrams the network originates (RFC 1700). */
    public static final int DEFAULT_TTL = 64;

    private static final int VER_IHL = 0;
    private static final int TOS = 1;
    private static final int TOTAL_LENGTH = 2;
    private static final int IDENT = 4;
    private static final int FLAGS_FRAG = 6;
    private static final int TTL = 8;
    private static final int PROTOCOL = 9;
    private static final int CHECKSUM = 10;
    private static final int SRC = 12;
    private static final int DST = 16;

    private ByteBuf buf;
    private int off;
    private int headerLength;
    private int totalLength;

    /**
     * Points the view at a datagram starting at {@code off}, whose frame ends at
     * {@code end} (the frame may carry Ethernet padding after the datagram), and checks
     * version, header length, total length and options. The header checksum is checked
     * separately by {@link #verifyChecksum()}.
     *
     * @return {@code null} if valid, otherwise why not
     */
    public DropReason wrap(ByteBuf buf, int off, int end) {
        this.buf = buf;
        this.off = off;
        int avail = end - off;
        if (avail < MIN_HEADER_LENGTH) {
            return DropReason.IPV4_TRUNCATED;
        }
        int verIhl = buf.getUnsignedByte(off + VER_IHL);
        if ((verIhl >>> 4) != 4) {
            return DropReason.IPV4_BAD_VERSION;
        }
        headerLength = (verIhl & 0x0f) * 4;
        totalLength = buf.getUnsignedShort(off + TOTAL_LENGTH);
        if (headerLength < MIN_HEADER_LENGTH || headerLength > avail || headerLength > totalLength) {
            return DropReason.IPV4_BAD_HEADER_LENGTH;
        }
        if (totalLength > avail) {
            return DropReason.IPV4_BAD_TOTAL_LENGTH;
        }
        if (headerLength > MIN_HEADER_LENGTH && !optionsValid()) {
            return DropReason.IPV4_BAD_OPTIONS;
        }
        return null;
    }

    /**
     * Points the view at a header this process wrote itself (a reassembled datagram or
     * one being built), without checks.
     */
    public void wrapTrusted(ByteBuf buf, int off) {
        this.buf = buf;
        this.off = off;
        this.headerLength = (buf.getUnsignedByte(off) & 0x0f) * 4;
        this.totalLength = buf.getUnsignedShort(off + TOTAL_LENGTH);
    }

    private boolean optionsValid() {
        int i = off + MIN_HEADER_LENGTH;
        int end = off + headerLength;
        while (i < end) {
            int type = buf.getUnsignedByte(i);
            if (type == 0) {          // end of option list
                return true;
            }
            if (type == 1) {          // no-operation
                i++;
                continue;
            }
            if (i + 1 >= end) {
                return false;
            }
            int len = buf.getUnsignedByte(i + 1);
            if (len < 2 || i + len > end) {
                return false;
            }
            i += len;
        }
        return true;
    }

    /** True if the header checksum verifies. */
    public boolean verifyChecksum() {
        return Checksums.fold(Checksums.add(0, buf, off, headerLength)) == 0xffff;
    }

    /** The buffer this view reads. */
    public ByteBuf buffer() {
        return buf;
    }

    /** Offset of the header in the buffer. */
    public int offset() {
        return off;
    }

    /** Header length in bytes, options included. */
    public int headerLength() {
        return headerLength;
    }

    /** Total length of the datagram. */
    public int totalLength() {
        return totalLength;
    }

    /** Type of service / DSCP and ECN byte. */
    public int tos() {
        return buf.getUnsignedByte(off + TOS);
    }

    /** Identification. */
    public int identification() {
        return buf.getUnsignedShort(off + IDENT);
    }

    /** True if DF is set. */
    public boolean dontFragment() {
        return (buf.getUnsignedShort(off + FLAGS_FRAG) & FLAG_DF) != 0;
    }

    /** True if MF is set. */
    public boolean moreFragments() {
        return (buf.getUnsignedShort(off + FLAGS_FRAG) & FLAG_MF) != 0;
    }

    /** Fragment offset in bytes. */
    public int fragmentOffset() {
        return (buf.getUnsignedShort(off + FLAGS_FRAG) & 0x1fff) * 8;
    }

    /** True if this datagram is a fragment (MF set or a non-zero offset). */
    public boolean isFragment() {
        return (buf.getUnsignedShort(off + FLAGS_FRAG) & 0x3fff) != 0;
    }

    /** Time to live. */
    public int ttl() {
        return buf.getUnsignedByte(off + TTL);
    }

    /** The protocol of the payload. */
    public int protocol() {
        return buf.getUnsignedByte(off + PROTOCOL);
    }

    /** The header checksum field. */
    public int checksum() {
        return buf.getUnsignedShort(off + CHECKSUM);
    }

    /** Source address. */
    public int source() {
        return buf.getInt(off + SRC);
    }

    /** Destination address. */
    public int destination() {
        return buf.getInt(off + DST);
    }

    /** Offset of the payload in the buffer. */
    public int payloadOffset() {
        return off + headerLength;
    }

    /** Length of the payload. */
    public int payloadLength() {
        return totalLength - headerLength;
    }

    /**
     * Writes a 20-byte header without options at {@code off} and fills in its checksum.
     *
     * @param flagsAndOffset the flags/fragment-offset word ({@link #FLAG_DF}, ...)
     */
    public static void write(ByteBuf buf, int off, int tos, int totalLength, int identification,
                             int flagsAndOffset, int ttl, int protocol, int src, int dst) {
        buf.setByte(off + VER_IHL, 0x45);
        buf.setByte(off + TOS, tos);
        buf.setShort(off + TOTAL_LENGTH, totalLength);
        buf.setShort(off + IDENT, identification);
        buf.setShort(off + FLAGS_FRAG, flagsAndOffset);
        buf.setByte(off + TTL, ttl);
        buf.setByte(off + PROTOCOL, protocol);
        buf.setShort(off + CHECKSUM, 0);
        buf.setInt(off + SRC, src);
        buf.setInt(off + DST, dst);
        buf.setShort(off + CHECKSUM, Checksums.checksum(buf, off, MIN_HEADER_LENGTH));
    }
}
