package dev.jslirp.tftp;

import io.netty.buffer.ByteBuf;

/**
 * A view of the fixed part of a TFTP message (RFC 1350 section 5) in a buffer: the opcode
 * and, for DATA, ACK and ERROR, the 2-byte block number or error code after it. Requests
 * (RRQ, WRQ) are read by {@link ReadRequest}. Reusable; nothing is copied.
 *
 * <pre>
 *  RRQ/WRQ | 01/02 | filename | 0 | mode | 0 | [option | 0 | value | 0]...
 *  DATA    | 03    | block #  | data (0..blksize bytes)
 *  ACK     | 04    | block #  |
 *  ERROR   | 05    | code     | message | 0
 *  OACK    | 06    | option | 0 | value | 0 ...          (RFC 2347)
 * </pre>
 */
final class TftpPacket {
    /** The server's well-known port (RFC 1350 section 4). */
    static final int SERVER_PORT = 69;
    /** Read request. */
    static final int RRQ = 1;
    /** Write request. */
    static final int WRQ = 2;
    /** Data block. */
    static final int DATA = 3;
    /** Acknowledgment. */
    static final int ACK = 4;
    /** Error. */
    static final int ERROR = 5;
    /** Option acknowledgment (RFC 2347). */
    static final int OACK = 6;
    /** Opcode length. */
    static final int OPCODE_LENGTH = 2;
    /** Opcode plus block number or error code: the header of DATA, ACK and ERROR. */
    static final int HEADER_LENGTH = 4;

    private ByteBuf buf;
    private int off;
    private int length;

    /**
     * Points the view at the {@code length}-byte message at {@code off}.
     *
     * @return false if it is too short for its opcode's fixed part (no opcode at all;
     *         DATA, ACK or ERROR without a block number or code)
     */
    boolean wrap(ByteBuf buf, int off, int length) {
        this.buf = buf;
        this.off = off;
        this.length = length;
        if (length < OPCODE_LENGTH) {
            return false;
        }
        int op = opcode();
        return length >= HEADER_LENGTH || (op != DATA && op != ACK && op != ERROR);
    }

    /** The opcode (any value; the caller decides what unknown ones mean). */
    int opcode() {
        return buf.getUnsignedShort(off);
    }

    /** The block number of DATA and ACK, the error code of ERROR. */
    int blockOrCode() {
        return buf.getUnsignedShort(off + OPCODE_LENGTH);
    }

    /** The buffer holding the message. */
    ByteBuf buffer() {
        return buf;
    }

    /** Offset of the opcode. */
    int offset() {
        return off;
    }

    /** Length of the whole message. */
    int length() {
        return length;
    }
}
