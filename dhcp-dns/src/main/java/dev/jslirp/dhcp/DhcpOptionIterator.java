package dev.jslirp.dhcp;

import io.netty.buffer.ByteBuf;

/**
 * Walks the options of a DHCP message in place (RFC 2132 section 2: code, length,
 * value; PAD and END without length), checking every length against the end of the
 * message before anything is read. Reusable: {@link #reset} points it at a new range.
 *
 * <pre>{@code
 * it.reset(buf, start, end);
 * int code;
 * while ((code = it.next()) >= 0) { ... it.valueOffset(), it.length() ... }
 * if (code == DhcpOptionIterator.MALFORMED) ...
 * }</pre>
 */
public final class DhcpOptionIterator {
    /** {@link #next()} found the END option or the end of the range: no more options. */
    public static final int DONE = -1;
    /** {@link #next()} found an option whose header or value runs past the end. */
    public static final int MALFORMED = -2;

    private ByteBuf buf;
    private int pos;
    private int end;
    private int valueOffset;
    private int length;

    /** Points the iterator at the options in {@code [start, end)} of {@code buf}. */
    public DhcpOptionIterator reset(ByteBuf buf, int start, int end) {
        this.buf = buf;
        this.pos = start;
        this.end = end;
        this.valueOffset = start;
        this.length = 0;
        return this;
    }

    /**
     * Moves to the next option, skipping PAD.
     *
     * @return its code (1..254), {@link #DONE} at END or at the end of the range (a
     *         missing END is tolerated, as most servers do), or {@link #MALFORMED} if
     *         the option's length byte or value lies beyond the end (later calls
     *         then return {@link #DONE})
     */
    public int next() {
        while (pos < end) {
            int code = buf.getUnsignedByte(pos);
            if (code == DhcpOption.PAD) {
                pos++;
                continue;
            }
            if (code == DhcpOption.END) {
                pos = end;
                return DONE;
            }
            if (pos + 2 > end) {
                return malformed();
            }
            int len = buf.getUnsignedByte(pos + 1);
            if (pos + 2 + len > end) {
                return malformed();
            }
            valueOffset = pos + 2;
            length = len;
            pos = valueOffset + len;
            return code;
        }
        return DONE;
    }

    private int malformed() {
        end = pos;
        return MALFORMED;
    }

    /** Offset in the buffer of the current option's value. */
    public int valueOffset() {
        return valueOffset;
    }

    /** Length of the current option's value. */
    public int length() {
        return length;
    }
}
