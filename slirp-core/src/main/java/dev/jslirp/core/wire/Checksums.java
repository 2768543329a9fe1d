package dev.jslirp.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * The Internet checksum (RFC 1071) over {@link ByteBuf} ranges, with the IPv4
 * pseudo-header used by TCP and UDP (RFC 793 section 3.1, RFC 768) and the
 * incremental update of RFC 1624 for address rewriting.
 *
 * <p>Sums are carried in a {@code long} and folded once at the end, so a range is
 * read eight bytes at a time with absolute accessors: no allocation and no change to
 * the buffer's indices.
 */
public final class Checksums {
    private Checksums() {
    }

    /**
     * Adds the bytes {@code [off, off + len)} of {@code buf} to {@code sum} as a
     * sequence of big-endian 16-bit words (a trailing odd byte is padded with zero).
     *
     * @return the unfolded sum; pass it to {@link #fold(long)} when done
     */
    public static long add(long sum, ByteBuf buf, int off, int len) {
        int i = off;
        int end = off + len;
        // 32-bit halves of each 64-bit read keep the sum from overflowing for any
        // length below 2^32 bytes.
        while (end - i >= 8) {
            long v = buf.getLong(i);
            sum += (v >>> 32) + (v & 0xffffffffL);
            i += 8;
        }
        if (end - i >= 4) {
            sum += buf.getUnsignedInt(i);
            i += 4;
        }
        if (end - i >= 2) {
            sum += buf.getUnsignedShort(i);
            i += 2;
        }
        if (i < end) {
            sum += buf.getUnsignedByte(i) << 8;
        }
        return sum;
    }

    /** Folds a sum to 16 bits (the one's complement sum, not yet inverted). */
    public static int fold(long sum) {
        sum = (sum & 0xffffffffL) + (sum >>> 32);
        sum = (sum & 0xffffffffL) + (sum >>> 32);
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        sum = (sum & 0xffff) + (sum >>> 16);
        return (int) sum;
    }

    /** The checksum field value for the given range: the inverted folded sum. */
    public static int checksum(ByteBuf buf, int off, int len) {
        return ~fold(add(0, buf, off, len)) & 0xffff;
    }

    /**
     * The sum of the IPv4 pseudo-header for TCP or UDP: source, destination, zero,
     * protocol and the transport length.
     */
    public static long pseudoHeader(int src, int dst, int protocol, int transportLength) {
        return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff)
                + protocol + transportLength;
    }

    /**
     * The checksum field value of a TCP or UDP segment occupying
     * {@code [off, off + len)}, whose checksum field must be zero or be the value to
     * verify (a valid segment then yields zero).
     */
    public static int transportChecksum(ByteBuf buf, int off, int len, int src, int dst, int protocol) {
        return ~fold(add(pseudoHeader(src, dst, protocol, len), buf, off, len)) & 0xffff;
    }

    /**
     * RFC 1624 eqn. 3: the new checksum after a 16-bit word of the covered data
     * changed from {@code oldWord} to {@code newWord}.
     */
    public static int update16(int checksum, int oldWord, int newWord) {
        long sum = (~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
        return ~fold(sum) & 0xffff;
    }

    /** As {@link #update16} for a 32-bit field such as an IPv4 address. */
    public static int update32(int checksum, int oldValue, int newValue) {
        long sum = (~checksum & 0xffff)
                + (~(oldValue >>> 16) & 0xffff) + (~oldValue & 0xffff)
                + (newValue >>> 16) + (newValue & 0xffff);
        return ~fold(sum) & 0xffff;
    }
}
