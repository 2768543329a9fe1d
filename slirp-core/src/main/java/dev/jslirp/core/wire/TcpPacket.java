package dev.jslirp.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * A view of a TCP header (RFC 9293 section 3.1).
 *
 * <pre>
 *  0               2               4               8              12   13    14      16      18      20
 *  | source port   | dest. port    | sequence no.  | ack. number  |doff|flags| window|cksum  | urgent| options...
 * </pre>
 *
 * <p>{@link #wrap} checks the data offset; {@link #parseOptions} checks the option
 * lengths. Sequence arithmetic on the returned numbers belongs to
 * {@link dev.jslirp.core.seq.SeqNum}.
 */
public final class TcpPacket {
    /** Length of a header without options. */
    public static final int MIN_HEADER_LENGTH = 20;
    /** Longest header: data offset 15. */
    public static final int MAX_HEADER_LENGTH = 60;
    /** FIN flag. */
    public static final int FIN = 0x01;
    /** SYN flag. */
    public static final int SYN = 0x02;
    /** RST flag. */
    public static final int RST = 0x04;
    /** PSH flag. */
    public static final int PSH = 0x08;
    /** ACK flag. */
    public static final int ACK = 0x10;
    /** URG flag. */
    public static final int URG = 0x20;
    /** ECE flag (RFC 3168). */
    public static final int ECE = 0x40;
    /** CWR flag (RFC 3168). */
    public static final int CWR = 0x80;

    private static final int SRC_PORT = 0;
    private static final int DST_PORT = 2;
    private static final int SEQ = 4;
    private static final int ACK_NO = 8;
    private static final int DATA_OFFSET = 12;
    private static final int FLAGS = 13;
    private static final int WINDOW = 14;
    /** Offset of the checksum field in the header. */
    public static final int CHECKSUM = 16;
    private static final int URGENT = 18;

    private ByteBuf buf;
    private int off;
    private int length;
    private int headerLength;

    /**
     * Points the view at the segment carried in {@code length} bytes from {@code off}.
     *
     * @return false if shorter than a header or the data offset is below 5 or beyond
     *         the segment
     */
    public boolean wrap(ByteBuf buf, int off, int length) {
        this.buf = buf;
        this.off = off;
        this.length = length;
        if (length < MIN_HEADER_LENGTH) {
            return false;
        }
        headerLength = (buf.getUnsignedByte(off + DATA_OFFSET) >>> 4) * 4;
        return headerLength >= MIN_HEADER_LENGTH && headerLength <= length;
    }

    /** True if the checksum verifies against the IPv4 pseudo-header of {@code src} and {@code dst}. */
    public boolean verifyChecksum(int src, int dst) {
        return verifyChecksum(Checksums.pseudoHeader(src, dst, Ipv4Packet.PROTO_TCP, length));
    }

    /** True if the checksum verifies against a pseudo-header whose sum is {@code pseudoHeaderSum}. */
    public boolean verifyChecksum(long pseudoHeaderSum) {
        return Checksums.fold(Checksums.add(pseudoHeaderSum, buf, off, length)) == 0xffff;
    }

    /**
     * Parses the options into {@code into} (which is cleared first).
     *
     * @return false if an option's length is invalid or runs past the header
     */
    public boolean parseOptions(TcpOptions into) {
        return into.parse(buf, off + MIN_HEADER_LENGTH, off + headerLength);
    }

    /** The buffer this view reads. */
    public ByteBuf buffer() {
        return buf;
    }

    /** Source port. */
    public int sourcePort() {
        return buf.getUnsignedShort(off + SRC_PORT);
    }

    /** Destination port. */
    public int destinationPort() {
        return buf.getUnsignedShort(off + DST_PORT);
    }

    /** Sequence number. */
    public int seq() {
        return buf.getInt(off + SEQ);
    }

    /** Acknowledgment number. */
    public int ack() {
        return buf.getInt(off + ACK_NO);
    }

    /** The flag byte (CWR..FIN). */
    public int flags() {
        return buf.getUnsignedByte(off + FLAGS);
    }

    /** True if all bits of {@code mask} are set. */
    public boolean has(int mask) {
        return (flags() & mask) == mask;
    }

    /** The raw (unscaled) window field. */
    public int window() {
        return buf.getUnsignedShort(off + WINDOW);
    }

    /** The checksum field. */
    public int checksum() {
        return buf.getUnsignedShort(off + CHECKSUM);
    }

    /** The urgent pointer. */
    public int urgentPointer() {
        return buf.getUnsignedShort(off + URGENT);
    }

    /** Offset of the header in the buffer. */
    public int offset() {
        return off;
    }

    /** Header length in bytes, options included. */
    public int headerLength() {
        return headerLength;
    }

    /** Whole segment length. */
    public int length() {
        return length;
    }

    /** Offset of the data. */
    public int payloadOffset() {
        return off + headerLength;
    }

    /** Length of the data. */
    public int payloadLength() {
        return length - headerLength;
    }

    /**
     * Length in sequence space: data plus one for SYN and one for FIN
     * (RFC 9293 section 3.4, SEG.LEN).
     */
    public int sequenceLength() {
        int f = flags();
        return payloadLength() + ((f & SYN) != 0 ? 1 : 0) + ((f & FIN) != 0 ? 1 : 0);
    }

    /**
     * Writes the 20-byte fixed header at {@code off}, leaving the checksum zero. The
     * caller writes options (and sets {@code headerLength} accordingly) and data, then
     * calls {@link #writeChecksum}.
     */
    public static void writeHeader(ByteBuf buf, int off, int srcPort, int dstPort, int seq, int ack,
                                   int headerLength, int flags, int window) {
        buf.setShort(off + SRC_PORT, srcPort);
        buf.setShort(off + DST_PORT, dstPort);
        buf.setInt(off + SEQ, seq);
        buf.setInt(off + ACK_NO, ack);
        buf.setByte(off + DATA_OFFSET, (headerLength / 4) << 4);
        buf.setByte(off + FLAGS, flags);
        buf.setShort(off + WINDOW, window);
        buf.setShort(off + CHECKSUM, 0);
        buf.setShort(off + URGENT, 0);
    }

    /**
     * Computes and stores the checksum of the {@code length}-byte segment at {@code off}
     * between IPv4 addresses {@code srcIp} and {@code dstIp} (for building test frames;
     * the network's own segments get theirs from the core's send path).
     */
    public static void writeChecksum(ByteBuf buf, int off, int length, int srcIp, int dstIp) {
        writeChecksum(buf, off, length, Checksums.pseudoHeader(srcIp, dstIp, Ipv4Packet.PROTO_TCP, length));
    }

    /** Computes and stores the checksum of the {@code length}-byte segment at {@code off} given its pseudo-header sum. */
    public static void writeChecksum(ByteBuf buf, int off, int length, long pseudoHeaderSum) {
        buf.setShort(off + CHECKSUM, 0);
        buf.setShort(off + CHECKSUM, ~Checksums.fold(Checksums.add(pseudoHeaderSum, buf, off, length)) & 0xffff);
    }

    /** Formats flags as e.g. {@code "SYN|ACK"}, for logs and test messages. */
    public static String flagsToString(int flags) {
        StringBuilder sb = new StringBuilder();
        String[] names = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
        for (int i = 0; i < names.length; i++) {
            if ((flags & (1 << i)) != 0) {
                if (sb.length() > 0) {
                    sb.append('|');
                }
                sb.append(names[i]);
            }
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }
}
