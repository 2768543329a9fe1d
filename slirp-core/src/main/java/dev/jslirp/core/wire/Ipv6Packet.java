package dev.jslirp.core.wire;

import dev.jslirp.core.stats.DropReason;
import io.netty.buffer.ByteBuf;

/**
 * A view of an IPv6 packet (RFC 8200 section 3) and the chain of extension headers in
 * front of its upper-layer header.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version| Traffic Class |           Flow Label                  |
 * |         Payload Length        |  Next Header  |   Hop Limit   |
 * |                  Source Address (128 bits)                    |
 * |               Destination Address (128 bits)                  |
 * </pre>
 *
 * <p>{@link #wrap} checks the fixed header and walks the extension headers
 * (hop-by-hop, routing, fragment, destination options) up to the upper-layer header,
 * recording where it starts and, for a fragment, the fragment header's fields. The walk
 * is bounded ({@link #MAX_EXTENSION_HEADERS}, and every header must lie inside the
 * payload), so a chain that never ends costs a few reads and a drop.
 *
 * <p>Decisions, with RFC 8200's sections:
 * <ul>
 *   <li>Hop-by-hop only right after the fixed header (4.3); its options are walked and
 *       an unknown option whose action bits say "discard" drops the packet (4.2). The
 *       Router Alert of a guest's MLD report is a known option and passes.</li>
 *   <li>Destination options: the same option rules.</li>
 *   <li>A routing header with segments left is not followed: jslirp is the last hop of
 *       anything the guest sends, and type 0 is deprecated (RFC 5095). Dropped.</li>
 *   <li>Payload length 0 (a jumbogram, RFC 2675) is refused: the link MTU is at most
 *       65520.</li>
 * </ul>
 */
public final class Ipv6Packet {
    /** Length of the fixed header. */
    public static final int HEADER_LENGTH = 40;
    /** Length of a fragment extension header. */
    public static final int FRAGMENT_HEADER_LENGTH = 8;
    /** Next-header value of hop-by-hop options. */
    public static final int NH_HOP_BY_HOP = 0;
    /** Next-header value of TCP. */
    public static final int NH_TCP = 6;
    /** Next-header value of UDP. */
    public static final int NH_UDP = 17;
    /** Next-header value of a routing header. */
    public static final int NH_ROUTING = 43;
    /** Next-header value of a fragment header. */
    public static final int NH_FRAGMENT = 44;
    /** Next-header value of ICMPv6. */
    public static final int NH_ICMPV6 = 58;
    /** Next-header value of "no next header". */
    public static final int NH_NONE = 59;
    /** Next-header value of destination options. */
    public static final int NH_DESTINATION_OPTIONS = 60;
    /** Hop limit of packets the network originates (Linux's default, RFC 4861's for NDP is 255). */
    public static final int DEFAULT_HOP_LIMIT = 64;
    /** The most extension headers walked before the packet is refused. */
    public static final int MAX_EXTENSION_HEADERS = 8;

    private static final int VER_TC_FLOW = 0;
    private static final int PAYLOAD_LENGTH = 4;
    private static final int NEXT_HEADER = 6;
    private static final int HOP_LIMIT = 7;
    private static final int SRC = 8;
    private static final int DST = 24;

    private ByteBuf buf;
    private int off;
    private int payloadLength;
    private int upperProtocol;
    private int upperOffset;
    private int fragmentHeaderOffset;
    private int unfragmentableLength;

    /**
     * Points the view at a packet starting at {@code off} whose frame ends at
     * {@code end} (Ethernet padding may follow) and walks its extension headers.
     *
     * @return {@code null} if valid, otherwise why not
     */
    public DropReason wrap(ByteBuf buf, int off, int end) {
        this.buf = buf;
        this.off = off;
        this.fragmentHeaderOffset = -1;
        int avail = end - off;
        if (avail < HEADER_LENGTH) {
            return DropReason.IPV6_TRUNCATED;
        }
        if ((buf.getUnsignedByte(off) >>> 4) != 6) {
            return DropReason.IPV6_BAD_VERSION;
        }
        payloadLength = buf.getUnsignedShort(off + PAYLOAD_LENGTH);
        if (payloadLength == 0 || HEADER_LENGTH + payloadLength > avail) {
            return DropReason.IPV6_BAD_LENGTH;
        }
        return walk();
    }

    /** Points the view at a packet this process built or reassembled itself; walks without option checks. */
    public void wrapTrusted(ByteBuf buf, int off) {
        this.buf = buf;
        this.off = off;
        this.fragmentHeaderOffset = -1;
        this.payloadLength = buf.getUnsignedShort(off + PAYLOAD_LENGTH);
        walk();
    }

    private DropReason walk() {
        int nh = buf.getUnsignedByte(off + NEXT_HEADER);
        int pos = off + HEADER_LENGTH;
        int end = off + HEADER_LENGTH + payloadLength;
        unfragmentableLength = HEADER_LENGTH;
        for (int n = 0; ; n++) {
            switch (nh) {
                case NH_HOP_BY_HOP:
                case NH_DESTINATION_OPTIONS:
                case NH_ROUTING: {
                    if (n >= MAX_EXTENSION_HEADERS) {
                        return DropReason.IPV6_BAD_EXTENSION;
                    }
                    if (nh == NH_HOP_BY_HOP && pos != off + HEADER_LENGTH) {
                        return DropReason.IPV6_BAD_EXTENSION;    // RFC 8200 4.3: first only
                    }
                    if (end - pos < 8) {
                        return DropReason.IPV6_BAD_EXTENSION;
                    }
                    int len = (buf.getUnsignedByte(pos + 1) + 1) * 8;
                    if (len > end - pos) {
                        return DropReason.IPV6_BAD_EXTENSION;
                    }
                    if (nh == NH_ROUTING) {
                        if (buf.getUnsignedByte(pos + 3) != 0) {    // segments left
                            return DropReason.IPV6_ROUTING_HEADER;
                        }
                    } else if (!optionsAcceptable(pos + 2, pos + len)) {
                        return DropReason.IPV6_BAD_EXTENSION;
                    }
                    if (fragmentHeaderOffset < 0 && nh != NH_DESTINATION_OPTIONS) {
                        unfragmentableLength = pos + len - off;
                    }
                    nh = buf.getUnsignedByte(pos);
                    pos += len;
                    break;
                }
                case NH_FRAGMENT:
                    if (n >= MAX_EXTENSION_HEADERS || fragmentHeaderOffset >= 0 || end - pos < FRAGMENT_HEADER_LENGTH) {
                        return DropReason.IPV6_BAD_EXTENSION;
                    }
                    fragmentHeaderOffset = pos;
                    unfragmentableLength = pos - off;
                    nh = buf.getUnsignedByte(pos);
                    pos += FRAGMENT_HEADER_LENGTH;
                    if (fragmentOffset() != 0) {
                        // Later headers lie in the first fragment only; the reassembled
                        // packet is walked again.
                        upperProtocol = nh;
                        upperOffset = pos;
                        return null;
                    }
                    break;
                default:
                    upperProtocol = nh;
                    upperOffset = pos;
                    return null;
            }
        }
    }

    /**
     * RFC 8200 section 4.2: Pad1 and PadN are skipped, as are known options (Router
     * Alert, RFC 2711) and unknown ones whose two high type bits are 00; any other
     * unknown option discards the packet. Option lengths must stay in the header.
     */
    private boolean optionsAcceptable(int from, int to) {
        int i = from;
        while (i < to) {
            int type = buf.getUnsignedByte(i);
            if (type == 0) {
                i++;
                continue;
            }
            if (i + 2 > to) {
                return false;
            }
            int len = buf.getUnsignedByte(i + 1);
            if (i + 2 + len > to) {
                return false;
            }
            boolean known = type == 1 || type == 5;   // PadN, Router Alert
            if (!known && (type >>> 6) != 0) {
                return false;
            }
            i += 2 + len;
        }
        return true;
    }

    /** The buffer this view reads. */
    public ByteBuf buffer() {
        return buf;
    }

    /** Where the fixed header starts. */
    public int offset() {
        return off;
    }

    /** The payload length field: bytes after the fixed header. */
    public int payloadLength() {
        return payloadLength;
    }

    /** Fixed header plus payload. */
    public int totalLength() {
        return HEADER_LENGTH + payloadLength;
    }

    /** The traffic class. */
    public int trafficClass() {
        return (buf.getInt(off + VER_TC_FLOW) >>> 20) & 0xff;
    }

    /** The hop limit. */
    public int hopLimit() {
        return buf.getUnsignedByte(off + HOP_LIMIT);
    }

    /** The first next-header field (the fixed header's). */
    public int firstNextHeader() {
        return buf.getUnsignedByte(off + NEXT_HEADER);
    }

    /** First eight bytes of the source address. */
    public long sourceHi() {
        return buf.getLong(off + SRC);
    }

    /** Last eight bytes of the source address. */
    public long sourceLo() {
        return buf.getLong(off + SRC + 8);
    }

    /** First eight bytes of the destination address. */
    public long destinationHi() {
        return buf.getLong(off + DST);
    }

    /** Last eight bytes of the destination address. */
    public long destinationLo() {
        return buf.getLong(off + DST + 8);
    }

    /** The upper-layer protocol after the extension headers (TCP, UDP, ICMPv6, ...). */
    public int upperProtocol() {
        return upperProtocol;
    }

    /** Where the upper-layer header starts. */
    public int upperOffset() {
        return upperOffset;
    }

    /** Bytes from the upper-layer header to the end of the packet. */
    public int upperLength() {
        return off + HEADER_LENGTH + payloadLength - upperOffset;
    }

    /** True if the packet carries a fragment header. */
    public boolean isFragment() {
        return fragmentHeaderOffset >= 0;
    }

    /** Where the fragment header starts, or -1. */
    public int fragmentHeaderOffset() {
        return fragmentHeaderOffset;
    }

    /** The length of the part every fragment repeats: the fixed header and the headers before the fragment header. */
    public int unfragmentableLength() {
        return unfragmentableLength;
    }

    /** The fragment offset in bytes (0 unless {@link #isFragment()}). */
    public int fragmentOffset() {
        return fragmentHeaderOffset < 0 ? 0 : buf.getUnsignedShort(fragmentHeaderOffset + 2) & 0xfff8;
    }

    /** True if the fragment header's M flag is set. */
    public boolean moreFragments() {
        return fragmentHeaderOffset >= 0 && (buf.getUnsignedShort(fragmentHeaderOffset + 2) & 1) != 0;
    }

    /** The fragment header's identification. */
    public int fragmentId() {
        return fragmentHeaderOffset < 0 ? 0 : buf.getInt(fragmentHeaderOffset + 4);
    }

    /**
     * Writes a fixed header at {@code off}; extension headers, if any, are the caller's.
     */
    public static void write(ByteBuf buf, int off, int trafficClass, int payloadLength, int nextHeader, int hopLimit,
                             long srcHi, long srcLo, long dstHi, long dstLo) {
        buf.setInt(off + VER_TC_FLOW, (6 << 28) | ((trafficClass & 0xff) << 20));
        buf.setShort(off + PAYLOAD_LENGTH, payloadLength);
        buf.setByte(off + NEXT_HEADER, nextHeader);
        buf.setByte(off + HOP_LIMIT, hopLimit);
        buf.setLong(off + SRC, srcHi);
        buf.setLong(off + SRC + 8, srcLo);
        buf.setLong(off + DST, dstHi);
        buf.setLong(off + DST + 8, dstLo);
    }

    /** Writes a fragment header at {@code off} (RFC 8200 section 4.5). */
    public static void writeFragmentHeader(ByteBuf buf, int off, int nextHeader, int fragmentOffset, boolean more,
                                           int id) {
        buf.setByte(off, nextHeader);
        buf.setByte(off + 1, 0);
        buf.setShort(off + 2, (fragmentOffset & 0xfff8) | (more ? 1 : 0));
        buf.setInt(off + 4, id);
    }
}
