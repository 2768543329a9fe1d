package dev.jslirp.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * A view of an Ethernet II header (IEEE 802.3 clause 3.2 with an EtherType; no
 * 802.1Q tag: tagged frames show their TPID as the EtherType and are dropped).
 *
 * <pre>
 *  0                   6                  12      14
 *  +-------------------+-------------------+-------+---------
 *  | destination MAC   | source MAC        | type  | payload
 *  +-------------------+-------------------+-------+---------
 * </pre>
 *
 * <p>The view is mutable and reusable: {@link #wrap} points it at a frame and checks
 * the length; after it returned true every accessor is in bounds.
 */
public final class EthernetFrame {
    /** Length of the header. */
    public static final int HEADER_LENGTH = 14;
    /** EtherType of IPv4. */
    public static final int TYPE_IPV4 = 0x0800;
    /** EtherType of ARP. */
    public static final int TYPE_ARP = 0x0806;
    /** EtherType of IPv6. */
    public static final int TYPE_IPV6 = 0x86dd;

    private static final int DST = 0;
    private static final int SRC = 6;
    private static final int TYPE = 12;

    private ByteBuf buf;
    private int off;
    private int end;

    /**
     * Points the view at the frame occupying {@code [buf.readerIndex(), buf.writerIndex())}.
     *
     * @return false if the frame is shorter than the header
     */
    public boolean wrap(ByteBuf buf) {
        return wrap(buf, buf.readerIndex(), buf.writerIndex());
    }

    /**
     * Points the view at the frame occupying {@code [off, end)} of {@code buf}.
     *
     * @return false if the range is shorter than the header
     */
    public boolean wrap(ByteBuf buf, int off, int end) {
        this.buf = buf;
        this.off = off;
        this.end = end;
        return end - off >= HEADER_LENGTH;
    }

    /** The buffer this view reads. */
    public ByteBuf buffer() {
        return buf;
    }

    /** Offset of the header in the buffer. */
    public int offset() {
        return off;
    }

    /** Destination MAC. */
    public long destination() {
        return MacAddress.read(buf, off + DST);
    }

    /** Source MAC. */
    public long source() {
        return MacAddress.read(buf, off + SRC);
    }

    /** The EtherType. */
    public int etherType() {
        return buf.getUnsignedShort(off + TYPE);
    }

    /** Offset of the payload in the buffer. */
    public int payloadOffset() {
        return off + HEADER_LENGTH;
    }

    /** Bytes after the header, padding included. */
    public int payloadLength() {
        return end - off - HEADER_LENGTH;
    }

    /** Writes a header at {@code off} of {@code buf} (absolute; indices unchanged). */
    public static void write(ByteBuf buf, int off, long dst, long src, int etherType) {
        MacAddress.write(buf, off + DST, dst);
        MacAddress.write(buf, off + SRC, src);
        buf.setShort(off + TYPE, etherType);
    }
}
