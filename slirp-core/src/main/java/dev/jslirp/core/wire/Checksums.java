package dev.jslirp.core.wire;

import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;

/**
 * The Internet checksum (RFC 1071) over {@link ByteBuf} ranges, with the IPv4
 * pseudo-header used by TCP and UDP (RFC 793 section 3.1, RFC 768) and the
 * incremental update of RFC 1624 for address rewriting.
 *
 * <p>Sums are carried in a {@code long} and folded once at the end, so a range is
 * read eight bytes at a time with absolute accessors: no allocation and no change to
 * the buffer's indices.
 *
 * <p>Buffers with a memory address (every direct buffer and slice on the packet path)
 * are read straight from memory in native byte order, which the one's complement sum
 * allows (RFC 1071 section 2 (B): the sum of byte-swapped words is the byte-swapped
 * sum). This matters more than it seems: the accessors of the several buffer classes
 * that meet here (frames from the pool, slices of transport reads, reads of another
 * allocator) make {@code getLong} a megamorphic call with index and reference-count
 * checks for every eight bytes, which profiled as the largest single cost of a bulk
 * transfer to the guest.
 */
public final class Checksums {
    /** Below this many bytes the accessor loop is as quick as setting up the direct one. */
    private static final int DIRECT_MIN = 32;
    private static final boolean DIRECT = PlatformDependent.hasUnsafe() && PlatformDependent.isUnaligned();

    private Checksums() {
    }

    /**
     * Adds the bytes {@code [off, off + len)} of {@code buf} to {@code sum} as a
     * sequence of big-endian 16-bit words (a trailing odd byte is padded with zero).
     *
     * @return the unfolded sum; pass it to {@link #fold(long)} when done
     */
    public static long add(long sum, ByteBuf buf, int off, int len) {
        if (DIRECT && len >= DIRECT_MIN && buf.hasMemoryAddress()) {
            if (off < 0 || len < 0 || off > buf.capacity() - len) {
                throw new IndexOutOfBoundsException("range " + off + "+" + len + " of a buffer of " + buf.capacity());
            }
            int words = len & ~7;
            return addWords(sum, buf, off + words, len - words) + nativeSum(buf.memoryAddress() + off, words);
        }
        return addWords(sum, buf, off, len);
    }

    /**
     * The one's complement sum, folded to 16 bits and in big-endian terms, of the
     * {@code len} bytes (a multiple of eight) at {@code address}, read as native longs.
     */
    private static int nativeSum(long address, int len) {
        long s0 = 0;
        long s1 = 0;
        long a = address;
        long end = address + len;
        // Two accumulators let two loads and adds run side by side.
        for (; end - a >= 16; a += 16) {
            long v = PlatformDependent.getLong(a);
            long w = PlatformDependent.getLong(a + 8);
            s0 += (v >>> 32) + (v & 0xffffffffL);
            s1 += (w >>> 32) + (w & 0xffffffffL);
        }
        if (a < end) {
            long v = PlatformDependent.getLong(a);
            s0 += (v >>> 32) + (v & 0xffffffffL);
        }
        int folded = fold(s0 + s1);
        return PlatformDependent.BIG_ENDIAN_NATIVE_ORDER ? folded : Integer.reverseBytes(folded) >>> 16;
    }

    /** {@link #add} through the buffer's accessors. */
    private static long addWords(long sum, ByteBuf buf, int off, int len) {
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
     * The sum of the pseudo-header of either family for an upper-layer protocol:
     * IPv4's (RFC 9293 section 3.1) when both addresses are IPv4, else IPv6's
     * (RFC 8200 section 8.1: both addresses, the 32-bit upper-layer length and the
     * next-header value). Addresses are {@link IpAddress} halves.
     */
    public static long pseudoHeader(long srcHi, long srcLo, long dstHi, long dstLo, int protocol, int length) {
        if (IpAddress.isIpv4(srcHi, srcLo) && IpAddress.isIpv4(dstHi, dstLo)) {
            return pseudoHeader((int) srcLo, (int) dstLo, protocol, length);
        }
        return words(srcHi) + words(srcLo) + words(dstHi) + words(dstLo) + (length >>> 16) + (length & 0xffff)
                + protocol;
    }

    /** {@link #pseudoHeader(long, long, long, long, int, int)} of two addresses. */
    public static long pseudoHeader(IpAddress src, IpAddress dst, int protocol, int length) {
        return pseudoHeader(src.hi(), src.lo(), dst.hi(), dst.lo(), protocol, length);
    }

    /** The four 16-bit words of {@code v}, added. */
    private static long words(long v) {
        return (v >>> 48) + ((v >>> 32) & 0xffff) + ((v >>> 16) & 0xffff) + (v & 0xffff);
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
     * The checksum field value of {@code [off, off + len)} with a pseudo-header sum
     * already computed (either family); the field inside the range must be zero.
     */
    public static int transportChecksumOf(ByteBuf buf, int off, int len, long pseudoHeaderSum) {
        return ~fold(add(pseudoHeaderSum, buf, off, len)) & 0xffff;
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
