package dev.jslirp.transport.tap;

import dev.jslirp.core.wire.Checksums;
import io.netty.buffer.ByteBuf;
import io.netty.util.internal.PlatformDependent;

/**
 * The legacy {@code struct virtio_net_hdr} (10 bytes, {@code <linux/virtio_net.h>}) a
 * tap opened with {@code IFF_VNET_HDR} puts before every frame, read and written in
 * place. The tun driver's default for the legacy header is the host's byte order
 * ({@code TUNSETVNETLE}/{@code TUNSETVNETBE} are not used).
 *
 * <pre>
 *  0  flags        u8   NEEDS_CSUM: complete the checksum at csum_start + csum_offset
 *  1  gso_type     u8   NONE, TCPV4, TCPV6 (| ECN): the frame is a GSO super-frame
 *  2  hdr_len      u16  bytes of Ethernet, IP and TCP headers (a hint)
 *  4  gso_size     u16  payload bytes per segment once segmented (the MSS)
 *  6  csum_start   u16  where checksumming starts, from the frame's first byte
 *  8  csum_offset  u16  where the checksum lies, from csum_start
 * </pre>
 *
 * <p>Stateless: static accessors at an absolute index of a buffer.
 */
final class VirtioNetHeader {
    /** Bytes of the header. */
    static final int LENGTH = 10;
    /** {@code VIRTIO_NET_HDR_F_NEEDS_CSUM}: the checksum is partial (the pseudo-header sum only). */
    static final int F_NEEDS_CSUM = 1;
    /** {@code VIRTIO_NET_HDR_GSO_NONE}: an ordinary frame. */
    static final int GSO_NONE = 0;
    /** {@code VIRTIO_NET_HDR_GSO_TCPV4}: a TCP/IPv4 super-frame, to be cut into gso_size segments. */
    static final int GSO_TCPV4 = 1;
    /** {@code VIRTIO_NET_HDR_GSO_TCPV6}: a TCP/IPv6 super-frame. */
    static final int GSO_TCPV6 = 4;
    /** {@code VIRTIO_NET_HDR_GSO_ECN}: the super-frame has CWR set (only with TUN_F_TSO_ECN, which jslirp does not enable). */
    static final int GSO_ECN = 0x80;

    private static final int FLAGS = 0;
    private static final int GSO_TYPE = 1;
    private static final int HDR_LEN = 2;
    private static final int GSO_SIZE = 4;
    private static final int CSUM_START = 6;
    private static final int CSUM_OFFSET = 8;

    private VirtioNetHeader() {
    }

    /** Writes a whole header at {@code at}. */
    static void write(ByteBuf buf, int at, int flags, int gsoType, int hdrLen, int gsoSize, int csumStart,
                      int csumOffset) {
        buf.setByte(at + FLAGS, flags);
        buf.setByte(at + GSO_TYPE, gsoType);
        setShort(buf, at + HDR_LEN, hdrLen);
        setShort(buf, at + GSO_SIZE, gsoSize);
        setShort(buf, at + CSUM_START, csumStart);
        setShort(buf, at + CSUM_OFFSET, csumOffset);
    }

    static int flags(ByteBuf buf, int at) {
        return buf.getUnsignedByte(at + FLAGS);
    }

    static int gsoType(ByteBuf buf, int at) {
        return buf.getUnsignedByte(at + GSO_TYPE);
    }

    static int hdrLen(ByteBuf buf, int at) {
        return getShort(buf, at + HDR_LEN);
    }

    static int gsoSize(ByteBuf buf, int at) {
        return getShort(buf, at + GSO_SIZE);
    }

    static int csumStart(ByteBuf buf, int at) {
        return getShort(buf, at + CSUM_START);
    }

    static int csumOffset(ByteBuf buf, int at) {
        return getShort(buf, at + CSUM_OFFSET);
    }

    /** True for a TCP super-frame of either family, with or without the ECN bit. */
    static boolean isTcpGso(int gsoType) {
        int t = gsoType & ~GSO_ECN;
        return t == GSO_TCPV4 || t == GSO_TCPV6;
    }

    /**
     * Completes the partial checksum of the {@code length}-byte frame at {@code frame}
     * of {@code buf} as the header at {@code at} asks (NEEDS_CSUM): the field at
     * csum_start + csum_offset holds the pseudo-header sum, and becomes the complement of
     * the sum of everything from csum_start to the frame's end (RFC 1071), as
     * {@code skb_checksum_help()} does (a result of 0 written as 0xffff, its
     * {@code CSUM_MANGLED_0}: the same in one's complement, and what UDP requires).
     *
     * @return where the checksum field lies, counted from the frame's first byte; -1 if
     *         csum_start and csum_offset do not lie inside the frame (nothing written)
     */
    static int completeChecksum(ByteBuf buf, int at, int frame, int length) {
        int start = csumStart(buf, at);
        int field = start + csumOffset(buf, at);
        if (field + 2 > length) {
            return -1;
        }
        long sum = Checksums.add(0, buf, frame + start, length - start);
        int c = ~Checksums.fold(sum) & 0xffff;
        buf.setShort(frame + field, c == 0 ? 0xffff : c);
        return field;
    }

    private static void setShort(ByteBuf buf, int at, int value) {
        if (PlatformDependent.BIG_ENDIAN_NATIVE_ORDER) {
            buf.setShort(at, value);
        } else {
            buf.setShortLE(at, value);
        }
    }

    private static int getShort(ByteBuf buf, int at) {
        return PlatformDependent.BIG_ENDIAN_NATIVE_ORDER ? buf.getUnsignedShort(at) : buf.getUnsignedShortLE(at);
    }
}
