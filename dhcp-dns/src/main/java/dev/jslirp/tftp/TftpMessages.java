package dev.jslirp.tftp;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Writes the messages the server sends (RFC 1350 section 5, OACK RFC 2347) at a buffer's
 * writer index, which each call advances past what it wrote. The caller sizes the buffer
 * with the matching {@code ...Length} method first.
 */
final class TftpMessages {
    private static final byte[] BLKSIZE = ascii("blksize");
    private static final byte[] TSIZE = ascii("tsize");
    private static final byte[] TIMEOUT = ascii("timeout");
    private static final byte[] WINDOWSIZE = ascii("windowsize");

    private TftpMessages() {
    }

    /** Length of a DATA message carrying {@code dataLength} bytes. */
    static int dataLength(int dataLength) {
        return TftpPacket.HEADER_LENGTH + dataLength;
    }

    /** DATA: block number (its low 16 bits) and {@code length} bytes copied from {@code src} at {@code srcIndex}. */
    static void writeData(ByteBuf out, long block, ByteBuf src, int srcIndex, int length) {
        out.writeShort(TftpPacket.DATA);
        out.writeShort((int) block);
        out.writeBytes(src, srcIndex, length);
    }

    /** ERROR with the error's code and text. */
    static void writeError(ByteBuf out, TftpError error) {
        out.writeShort(TftpPacket.ERROR);
        out.writeShort(error.code());
        out.writeBytes(error.message());
        out.writeByte(0);
    }

    /** Length of the OACK for {@code p}. */
    static int oackLength(TransferParameters p) {
        int n = TftpPacket.OPCODE_LENGTH;
        if (p.blockSizeAcked()) {
            n += optionLength(BLKSIZE, p.blockSize());
        }
        if (p.transferSize() != ReadRequest.ABSENT) {
            n += optionLength(TSIZE, p.transferSize());
        }
        if (p.timeoutAcked()) {
            n += optionLength(TIMEOUT, p.timeoutSeconds());
        }
        if (p.windowSizeAcked()) {
            n += optionLength(WINDOWSIZE, p.windowSize());
        }
        return n;
    }

    /** OACK acknowledging the options {@code p} grants, with the granted values. */
    static void writeOack(ByteBuf out, TransferParameters p) {
        out.writeShort(TftpPacket.OACK);
        if (p.blockSizeAcked()) {
            writeOption(out, BLKSIZE, p.blockSize());
        }
        if (p.transferSize() != ReadRequest.ABSENT) {
            writeOption(out, TSIZE, p.transferSize());
        }
        if (p.timeoutAcked()) {
            writeOption(out, TIMEOUT, p.timeoutSeconds());
        }
        if (p.windowSizeAcked()) {
            writeOption(out, WINDOWSIZE, p.windowSize());
        }
    }

    private static int optionLength(byte[] name, long value) {
        return name.length + 1 + Long.toString(value).length() + 1;
    }

    private static void writeOption(ByteBuf out, byte[] name, long value) {
        out.writeBytes(name);
        out.writeByte(0);
        out.writeCharSequence(Long.toString(value), StandardCharsets.US_ASCII);
        out.writeByte(0);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
