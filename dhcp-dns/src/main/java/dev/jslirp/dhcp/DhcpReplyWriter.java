package dev.jslirp.dhcp;

import io.netty.buffer.ByteBuf;

/**
 * Writes one BOOTREPLY in place into a frame buffer (RFC 2131 section 2 and table 3),
 * never past a limit: the fixed header first, then options one by one, each only if
 * it fits with room left for END; the caller counts what did not fit. Reusable; holds
 * the buffer only between {@link #begin} and {@link #finish}.
 */
final class DhcpReplyWriter {
    private ByteBuf buf;
    private int start;
    private int pos;
    private int end;

    /**
     * Starts a reply to {@code request} at {@code off}, where {@code limit} bytes are
     * writable: the fixed header with op BOOTREPLY, the request's xid, flags, giaddr
     * and chaddr (RFC 2131 table 3), the given addresses, and the magic cookie.
     *
     * @param limit at least {@link DhcpPacket#OPTIONS_OFFSET} + 1
     */
    void begin(ByteBuf buf, int off, int limit, DhcpPacket request, int ciaddr, int yiaddr, int siaddr) {
        this.buf = buf;
        this.start = off;
        this.end = off + limit;
        buf.setZero(off, DhcpPacket.OPTIONS_OFFSET);
        buf.setByte(off + DhcpPacket.OP, DhcpPacket.OP_BOOTREPLY);
        buf.setByte(off + DhcpPacket.HTYPE, DhcpPacket.HTYPE_ETHERNET);
        buf.setByte(off + DhcpPacket.HLEN, DhcpPacket.HLEN_ETHERNET);
        buf.setInt(off + DhcpPacket.XID, request.xid());
        buf.setShort(off + DhcpPacket.FLAGS, request.flags());
        buf.setInt(off + DhcpPacket.CIADDR, ciaddr);
        buf.setInt(off + DhcpPacket.YIADDR, yiaddr);
        buf.setInt(off + DhcpPacket.SIADDR, siaddr);
        buf.setInt(off + DhcpPacket.GIADDR, request.giaddr());
        buf.setBytes(off + DhcpPacket.CHADDR, request.buffer(), request.offset() + DhcpPacket.CHADDR,
                DhcpPacket.CHADDR_LENGTH);
        buf.setInt(off + DhcpPacket.COOKIE, DhcpPacket.MAGIC_COOKIE);
        pos = off + DhcpPacket.OPTIONS_OFFSET;
    }

    /** Puts {@code name} (ASCII, under 128 bytes, NUL-terminated by the zeroed field) in {@code file}. */
    void file(byte[] name) {
        buf.setBytes(start + DhcpPacket.FILE, name, 0, Math.min(name.length, DhcpPacket.FILE_LENGTH - 1));
    }

    /** True if {@code n} more bytes fit with END after them. */
    boolean fits(int n) {
        return pos + n + 1 <= end;
    }

    /** Option 53. */
    boolean messageType(DhcpMessageType type) {
        if (!fits(3)) {
            return false;
        }
        buf.setByte(pos, DhcpOption.MESSAGE_TYPE);
        buf.setByte(pos + 1, 1);
        buf.setByte(pos + 2, type.code());
        pos += 3;
        return true;
    }

    /** An option with a 4-byte value: an address or a time in seconds. */
    boolean int32(int code, int value) {
        if (!fits(6)) {
            return false;
        }
        buf.setByte(pos, code);
        buf.setByte(pos + 1, 4);
        buf.setInt(pos + 2, value);
        pos += 6;
        return true;
    }

    /** An option with a 2-byte value. */
    boolean int16(int code, int value) {
        if (!fits(4)) {
            return false;
        }
        buf.setByte(pos, code);
        buf.setByte(pos + 1, 2);
        buf.setShort(pos + 2, value);
        pos += 4;
        return true;
    }

    /** An option whose value is {@code value} (1..255 bytes). */
    boolean bytes(int code, byte[] value) {
        if (!fits(2 + value.length)) {
            return false;
        }
        buf.setByte(pos, code);
        buf.setByte(pos + 1, value.length);
        buf.setBytes(pos + 2, value);
        pos += 2 + value.length;
        return true;
    }

    /** An option whose value is copied from {@code len} (1..255) bytes at {@code srcOff} of {@code src}. */
    boolean copy(int code, ByteBuf src, int srcOff, int len) {
        if (!fits(2 + len)) {
            return false;
        }
        buf.setByte(pos, code);
        buf.setByte(pos + 1, len);
        buf.setBytes(pos + 2, src, srcOff, len);
        pos += 2 + len;
        return true;
    }

    /** Options already encoded with their headers (several instances of one option, RFC 3396), all or none. */
    boolean encoded(byte[] options) {
        if (!fits(options.length)) {
            return false;
        }
        buf.setBytes(pos, options);
        pos += options.length;
        return true;
    }

    /**
     * Ends the options and pads with zeros to {@code minLength} (or the limit, if
     * smaller), as BOOTP clients and relays may drop shorter messages (RFC 1542
     * section 2.1).
     *
     * @return the length of the message
     */
    int finish(int minLength) {
        buf.setByte(pos++, DhcpOption.END);
        int padTo = Math.min(start + minLength, end);
        if (pos < padTo) {
            buf.setZero(pos, padTo - pos);
            pos = padTo;
        }
        buf = null;
        return pos - start;
    }
}
