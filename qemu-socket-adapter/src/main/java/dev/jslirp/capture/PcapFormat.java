package dev.jslirp.capture;

import io.netty.buffer.ByteBuf;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The classic libpcap file format (tcpdump.org, "pcap-savefile(5)"; IETF draft
 * draft-ietf-opsawg-pcap): a 24-byte file header, then per packet a 16-byte record header
 * and the bytes. Written in little-endian order, which readers detect from the magic
 * number; timestamps in microseconds (magic {@code 0xa1b2c3d4}), the form every reader
 * takes.
 *
 * <p>The format is a few fixed fields, so jslirp writes it directly rather than through
 * pcap4j, whose {@code PcapDumper} goes through the native libpcap (a JNA call and a copy
 * into native memory per packet, and libpcap installed on the host): see
 * {@code benchmarks/README.md} for the two measured side by side.
 */
final class PcapFormat {
    /** Magic number of a microsecond-resolution capture. */
    static final int MAGIC_MICROS = 0xa1b2c3d4;
    /** File header length. */
    static final int FILE_HEADER_LENGTH = 24;
    /** Record header length. */
    static final int RECORD_HEADER_LENGTH = 16;
    /** Offset of {@code incl_len}, the bytes stored after the record header, in a record header. */
    static final int INCL_LEN_OFFSET = 8;
    /** LINKTYPE_ETHERNET (tcpdump.org link-layer header types): frames from the destination MAC on. */
    static final int LINKTYPE_ETHERNET = 1;
    /**
     * The snapshot length declared: frames are captured whole, and the largest a QEMU
     * stream carries (4096 + 65536 bytes) fits; 262144 is tcpdump's own default.
     */
    static final int SNAPLEN = 262_144;

    private PcapFormat() {
    }

    /** A new file header: version 2.4, no time zone offset, {@link #SNAPLEN}, Ethernet. */
    static ByteBuffer fileHeader() {
        ByteBuffer b = ByteBuffer.allocate(FILE_HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC_MICROS).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(SNAPLEN)
                .putInt(LINKTYPE_ETHERNET);
        return b.flip();
    }

    /**
     * Writes a record header for a frame of {@code length} bytes captured whole at
     * {@code epochMicros} into {@code out}.
     */
    static void writeRecordHeader(ByteBuf out, long epochMicros, int length) {
        out.writeIntLE((int) (epochMicros / 1_000_000));
        out.writeIntLE((int) (epochMicros % 1_000_000));
        out.writeIntLE(length); // incl_len: all of it
        out.writeIntLE(length); // orig_len
    }

    /** True if {@code header} (at least 4 bytes read from a file's start) is a pcap file's magic, either order. */
    static boolean isPcapMagic(ByteBuffer header) {
        if (header.remaining() < 4) {
            return false;
        }
        int m = header.order(ByteOrder.LITTLE_ENDIAN).getInt(header.position());
        return m == MAGIC_MICROS || m == 0xa1b23c4d || Integer.reverseBytes(m) == MAGIC_MICROS
                || Integer.reverseBytes(m) == 0xa1b23c4d;
    }
}
