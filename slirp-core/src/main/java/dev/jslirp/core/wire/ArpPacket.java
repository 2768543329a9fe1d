package dev.jslirp.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * A view of an ARP packet for Ethernet and IPv4 (RFC 826), the only kind the virtual
 * network speaks.
 *
 * <pre>
 *  0       2       4   5   6       8            14       18           24       28
 *  | htype | ptype |hln|pln| oper  | sender MAC | sndr IP| target MAC | tgt IP |
 * </pre>
 */
public final class ArpPacket {
    /** Length of an Ethernet/IPv4 ARP packet. */
    public static final int LENGTH = 28;
    /** Operation: request. */
    public static final int OP_REQUEST = 1;
    /** Operation: reply. */
    public static final int OP_REPLY = 2;

    private static final int HTYPE = 0;
    private static final int PTYPE = 2;
    private static final int HLEN = 4;
    private static final int PLEN = 5;
    private static final int OPER = 6;
    private static final int SHA = 8;
    private static final int SPA = 14;
    private static final int THA = 18;
    private static final int TPA = 24;

    private ByteBuf buf;
    private int off;

    /**
     * Points the view at {@code [off, end)} and checks it is Ethernet/IPv4 ARP.
     *
     * @return false if too short or another hardware or protocol type
     */
    public boolean wrap(ByteBuf buf, int off, int end) {
        this.buf = buf;
        this.off = off;
        return end - off >= LENGTH
                && buf.getUnsignedShort(off + HTYPE) == 1
                && buf.getUnsignedShort(off + PTYPE) == EthernetFrame.TYPE_IPV4
                && buf.getUnsignedByte(off + HLEN) == 6
                && buf.getUnsignedByte(off + PLEN) == 4;
    }

    /** The operation code. */
    public int operation() {
        return buf.getUnsignedShort(off + OPER);
    }

    /** Sender hardware address. */
    public long senderMac() {
        return MacAddress.read(buf, off + SHA);
    }

    /** Sender protocol address. */
    public int senderIp() {
        return buf.getInt(off + SPA);
    }

    /** Target hardware address. */
    public long targetMac() {
        return MacAddress.read(buf, off + THA);
    }

    /** Target protocol address. */
    public int targetIp() {
        return buf.getInt(off + TPA);
    }

    /** Writes a complete Ethernet/IPv4 ARP packet at {@code off} (absolute). */
    public static void write(ByteBuf buf, int off, int operation,
                             long senderMac, int senderIp, long targetMac, int targetIp) {
        buf.setShort(off + HTYPE, 1);
        buf.setShort(off + PTYPE, EthernetFrame.TYPE_IPV4);
        buf.setByte(off + HLEN, 6);
        buf.setByte(off + PLEN, 4);
        buf.setShort(off + OPER, operation);
        MacAddress.write(buf, off + SHA, senderMac);
        buf.setInt(off + SPA, senderIp);
        MacAddress.write(buf, off + THA, targetMac);
        buf.setInt(off + TPA, targetIp);
    }
}
