package dev.jslirp.dns;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A reusable view of a DNS message's header and its single question (RFC 1035 section
 * 4.1), read in place from a buffer, for queries from the guest and answers from
 * upstreams alike. Nothing else of a message is ever parsed: answers are relayed as
 * bytes.
 *
 * <p>{@link #wrap} holds every length rule. After it returns null the header and
 * question accessors are valid; after it returns a {@link Problem} other than
 * {@link Problem#TRUNCATED_HEADER} the header accessors are valid (so a FORMERR can
 * echo the ID) but {@link #hasQuestion()} is false.
 *
 * <p>The question's name is copied, lower-cased, into a buffer of the view (255 bytes,
 * the longest name), in wire form: so comparisons are case-insensitive (RFC 4343)
 * and cost no allocation. A question name may not use compression: it is the first
 * name of a message, so a pointer could only point into the header or back into
 * itself, a loop (RFC 1035 section 4.1.4 allows pointers to prior names only).
 *
 * <p>Not thread-safe; one instance per use site on the event loop.
 */
final class DnsMessageView {
    /** Length of the header (RFC 1035 section 4.1.1). */
    static final int HEADER_LENGTH = 12;
    /** The longest name on the wire, length octets included (RFC 1035 section 2.3.4). */
    static final int MAX_NAME_LENGTH = 255;
    /** The longest label (RFC 1035 section 2.3.4). */
    static final int MAX_LABEL_LENGTH = 63;

    /** Header flag bits (RFC 1035 section 4.1.1). */
    static final int FLAG_QR = 0x8000;
    static final int FLAG_AA = 0x0400;
    static final int FLAG_TC = 0x0200;
    static final int FLAG_RD = 0x0100;
    static final int FLAG_RA = 0x0080;
    /** The opcode's bits in the flags word. */
    static final int OPCODE_BITS = 0x7800;
    private static final int OPCODE_SHIFT = 11;
    private static final int OPCODE_MASK = 0xf;
    private static final int RCODE_MASK = 0xf;

    /** Opcode of a standard query. */
    static final int OPCODE_QUERY = 0;
    /** Response codes (RFC 1035 section 4.1.1). */
    static final int RCODE_NOERROR = 0;
    static final int RCODE_FORMERR = 1;
    static final int RCODE_SERVFAIL = 2;
    static final int RCODE_NOTIMP = 4;
    static final int RCODE_REFUSED = 5;
    /** Types and classes the service answers itself (RFC 1035 sections 3.2.2 to 3.2.5). */
    static final int TYPE_A = 1;
    static final int TYPE_PTR = 12;
    static final int TYPE_AAAA = 28;
    static final int TYPE_ANY = 255;
    static final int CLASS_IN = 1;
    static final int CLASS_ANY = 255;

    private static final int ID = 0;
    private static final int FLAGS = 2;
    private static final int QDCOUNT = 4;

    /** Why a message does not parse. */
    enum Problem {
        /** Shorter than the 12-byte header. */
        TRUNCATED_HEADER,
        /** QDCOUNT is 0. */
        NO_QUESTION,
        /** QDCOUNT is above 1, which no server implements (RFC 9619). */
        SEVERAL_QUESTIONS,
        /** The question runs past the end of the message. */
        TRUNCATED_QUESTION,
        /** The question's name holds a compression pointer. */
        COMPRESSED_NAME,
        /** A label length octet of 64..191 (over 63, or a reserved/extended label type). */
        BAD_LABEL,
        /** The name is longer than 255 octets. */
        NAME_TOO_LONG,
        /** Longer than the service keeps a query ({@link DnsService#MAX_QUERY_LENGTH}); set by callers, not by wrap. */
        TOO_LONG,
    }

    private final byte[] name = new byte[MAX_NAME_LENGTH];
    private ByteBuf buf;
    private int off;
    private int length;
    private int id;
    private int flags;
    private int questionEnd;
    private int nameLength;
    private int qtype;
    private int qclass;
    private boolean hasQuestion;

    /**
     * Points the view at the message of {@code len} bytes at {@code off}; the buffer
     * stays the caller's and must not change while the view is used.
     *
     * @return null if header and question parse, else why not
     */
    Problem wrap(ByteBuf b, int offset, int len) {
        this.buf = b;
        this.off = offset;
        this.length = len;
        this.hasQuestion = false;
        this.nameLength = 0;
        if (len < HEADER_LENGTH) {
            return Problem.TRUNCATED_HEADER;
        }
        id = b.getUnsignedShort(offset + ID);
        flags = b.getUnsignedShort(offset + FLAGS);
        int qdcount = b.getUnsignedShort(offset + QDCOUNT);
        if (qdcount == 0) {
            return Problem.NO_QUESTION;
        }
        if (qdcount > 1) {
            return Problem.SEVERAL_QUESTIONS;
        }
        int end = offset + len;
        int p = offset + HEADER_LENGTH;
        int n = 0;
        while (true) {
            if (p >= end) {
                return Problem.TRUNCATED_QUESTION;
            }
            int labelLength = b.getUnsignedByte(p);
            if ((labelLength & 0xc0) == 0xc0) {
                return Problem.COMPRESSED_NAME;
            }
            if (labelLength > MAX_LABEL_LENGTH) {
                return Problem.BAD_LABEL;
            }
            if (n + 1 + labelLength > MAX_NAME_LENGTH) {
                return Problem.NAME_TOO_LONG;
            }
            if (p + 1 + labelLength > end) {
                return Problem.TRUNCATED_QUESTION;
            }
            name[n++] = (byte) labelLength;
            p++;
            for (int i = 0; i < labelLength; i++) {
                name[n++] = lowerCase(b.getByte(p++));
            }
            if (labelLength == 0) {
                break;
            }
        }
        if (p + 4 > end) {
            return Problem.TRUNCATED_QUESTION;
        }
        nameLength = n;
        qtype = b.getUnsignedShort(p);
        qclass = b.getUnsignedShort(p + 2);
        questionEnd = p + 4;
        hasQuestion = true;
        return null;
    }

    private static byte lowerCase(byte c) {
        return c >= 'A' && c <= 'Z' ? (byte) (c + ('a' - 'A')) : c;
    }

    /** The message ID. */
    int id() {
        return id;
    }

    /** The flags word (QR, opcode, AA, TC, RD, RA, Z, RCODE). */
    int flags() {
        return flags;
    }

    /** True for a response (QR set). */
    boolean isResponse() {
        return (flags & FLAG_QR) != 0;
    }

    /** The opcode. */
    int opcode() {
        return (flags >>> OPCODE_SHIFT) & OPCODE_MASK;
    }

    /** The response code (the header's 4 bits; EDNS extended codes are not looked at). */
    int rcode() {
        return flags & RCODE_MASK;
    }

    /** True if the question parsed. */
    boolean hasQuestion() {
        return hasQuestion;
    }

    /** The question's type. */
    int qtype() {
        return qtype;
    }

    /** The question's class. */
    int qclass() {
        return qclass;
    }

    /** The buffer the view reads. */
    ByteBuf buffer() {
        return buf;
    }

    /** Offset of the message in {@link #buffer()}. */
    int offset() {
        return off;
    }

    /** Length of the whole message. */
    int length() {
        return length;
    }

    /** Offset of the question, just after the header. */
    int questionOffset() {
        return off + HEADER_LENGTH;
    }

    /** Length of the question section as sent (name, type, class); 0 without a question. */
    int questionLength() {
        return hasQuestion ? questionEnd - questionOffset() : 0;
    }

    /** Length of the lower-cased wire-form name. */
    int nameLength() {
        return nameLength;
    }

    /** True if the lower-cased wire-form name equals {@code wireName[0, len)}. */
    boolean nameEquals(byte[] wireName, int len) {
        return Arrays.equals(name, 0, nameLength, wireName, 0, len);
    }

    /** A hash of the lower-cased name, as {@link #hashName} computes for a wire-form name. */
    int nameHash() {
        return hashName(name, nameLength);
    }

    /** True if both views hold the same question, names compared case-insensitively. */
    boolean sameQuestion(DnsMessageView other) {
        return hasQuestion && other.hasQuestion && qtype == other.qtype && qclass == other.qclass
                && other.nameEquals(name, nameLength);
    }

    /** The name as text for logs: labels joined by dots, other bytes escaped. */
    String nameText() {
        StringBuilder sb = new StringBuilder();
        int p = 0;
        while (p < nameLength && name[p] != 0) {
            int l = name[p++];
            for (int i = 0; i < l; i++) {
                int c = name[p++] & 0xff;
                if (c > 0x20 && c < 0x7f && c != '.' && c != '\\') {
                    sb.append((char) c);
                } else {
                    sb.append(String.format("\\%03d", c));
                }
            }
            sb.append('.');
        }
        return sb.length() == 0 ? "." : sb.toString();
    }

    /** The hash {@link #nameHash()} uses, over a lower-cased wire-form name. */
    static int hashName(byte[] wireName, int len) {
        int h = 1;
        for (int i = 0; i < len; i++) {
            h = 31 * h + wireName[i];
        }
        return h;
    }

    /**
     * The wire form of a dotted, lower-case name without trailing dot, as
     * {@link DnsConfig} keeps them: length-prefixed labels and the root label.
     */
    static byte[] toWireName(String dotted) {
        byte[] text = dotted.getBytes(StandardCharsets.US_ASCII);
        byte[] wire = new byte[text.length + 2];
        int labelStart = 0;
        for (int i = 0; i <= text.length; i++) {
            if (i == text.length || text[i] == '.') {
                wire[labelStart] = (byte) (i - labelStart);
                labelStart = i + 1;
            } else {
                wire[i + 1] = text[i];
            }
        }
        wire[wire.length - 1] = 0;
        return wire;
    }

    /** Overwrites the ID of the message at {@code off}. */
    static void setId(ByteBuf b, int off, int id) {
        b.setShort(off + ID, id);
    }
}
