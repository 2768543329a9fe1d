package dev.jslirp.tftp;

import io.netty.buffer.ByteBuf;

/**
 * Netascii encoding (RFC 764, as RFC 1350 uses it): the file's line end LF goes out as
 * CR LF, and a CR that is not a line end as CR NUL. Each input byte maps to one or two
 * output bytes on its own, so a file can be encoded piece by piece.
 */
final class Netascii {
    private static final byte CR = '\r';
    private static final byte LF = '\n';

    private Netascii() {
    }

    /** Appends the encoding of {@code src}'s readable bytes to {@code dst}, which must have room for twice as many. */
    static void encode(ByteBuf src, ByteBuf dst) {
        for (int i = src.readerIndex(); i < src.writerIndex(); i++) {
            byte b = src.getByte(i);
            if (b == LF) {
                dst.writeByte(CR);
                dst.writeByte(LF);
            } else if (b == CR) {
                dst.writeByte(CR);
                dst.writeByte(0);
            } else {
                dst.writeByte(b);
            }
        }
    }
}
