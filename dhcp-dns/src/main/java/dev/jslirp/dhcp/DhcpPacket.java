package dev.jslirp.dhcp;

import dev.jslirp.core.wire.MacAddress;
import io.netty.buffer.ByteBuf;

/**
 * A view of a BOOTP/DHCP message from a client (RFC 2131 section 2, figure 1), over
 * the UDP payload of the frame it came in.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +---------------+---------------+---------------+---------------+
 * |     op (1)    |   htype (1)   |   hlen (1)    |   hops (1)    |
 * |                            xid (4)                            |
 * |           secs (2)            |           flags (2)           |
 * |                          ciaddr  (4)                          |
 * |                          yiaddr  (4)                          |
 * |                          siaddr  (4)                          |
 * |                          giaddr  (4)                          |
 * |                          chaddr  (16)                         |
 * |                          sname   (64)                         |
 * |                          file    (128)                        |
 * |            magic cookie 99.130.83.99, then options            |
 * +---------------------------------------------------------------+
 * </pre>
 *
 * <p>{@link #wrap} holds every length rule: the fixed header, the cookie, and every
 * option's length against the end of the message, walking the options once with a
 * {@link DhcpOptionIterator} and noting where the options the server acts on are.
 * After it returned {@code null} no accessor can read out of bounds. The view is
 * reusable (one per server) and copies nothing.
 */
public final class DhcpPacket {
    /** Length of the fixed part before the options (RFC 2131 section 2). */
    public static final int FIXED_LENGTH = 236;
    /** Offset of the options after the magic cookie. */
    public static final int OPTIONS_OFFSET = FIXED_LENGTH + 4;
    /** The magic cookie 99.130.83.99 (RFC 2131 section 3, RFC 1497). */
    public static final int MAGIC_COOKIE = 0x63825363;
    /** {@code op} of a client message. */
    public static final int OP_BOOTREQUEST = 1;
    /** {@code op} of a server message. */
    public static final int OP_BOOTREPLY = 2;
    /** {@code htype} of Ethernet (RFC 1700 "Hardware Type"). */
    public static final int HTYPE_ETHERNET = 1;
    /** {@code hlen} of Ethernet. */
    public static final int HLEN_ETHERNET = 6;
    /** The BROADCAST bit of {@code flags} (RFC 2131 section 2, figure 2). */
    public static final int FLAG_BROADCAST = 0x8000;

    static final int OP = 0;
    static final int HTYPE = 1;
    static final int HLEN = 2;
    static final int HOPS = 3;
    static final int XID = 4;
    static final int SECS = 8;
    static final int FLAGS = 10;
    static final int CIADDR = 12;
    static final int YIADDR = 16;
    static final int SIADDR = 20;
    static final int GIADDR = 24;
    static final int CHADDR = 28;
    static final int CHADDR_LENGTH = 16;
    static final int SNAME = 44;
    static final int SNAME_LENGTH = 64;
    static final int FILE = 108;
    static final int FILE_LENGTH = 128;
    static final int COOKIE = FIXED_LENGTH;

    private final DhcpOptionIterator options = new DhcpOptionIterator();
    private ByteBuf buf;
    private int off;
    private int end;
    private int messageType;
    private int requestedAddress;
    private boolean hasRequestedAddress;
    private int serverId;
    private boolean hasServerId;
    private int clientIdOffset;
    private int clientIdLength;
    private int hostNameOffset;
    private int hostNameLength;
    private int fqdnOffset;
    private int fqdnLength;
    /** RFC 4702 section 2.1: the name is in canonical wire format. */
    private static final int FQDN_FLAG_E = 0x04;
    private int maxMessageSize;

    /**
     * Points the view at the {@code length} bytes at {@code off} of {@code buf} and
     * checks them.
     *
     * @param maxLength the longest message accepted
     * @return {@code null} if the message is a well-formed BOOTREQUEST, otherwise the
     *         counter naming what is wrong
     */
    public DhcpCounter wrap(ByteBuf buf, int off, int length, int maxLength) {
        this.buf = buf;
        this.off = off;
        this.end = off + length;
        messageType = 0;
        hasRequestedAddress = false;
        requestedAddress = 0;
        hasServerId = false;
        serverId = 0;
        clientIdOffset = -1;
        clientIdLength = 0;
        maxMessageSize = 0;
        hostNameOffset = -1;
        hostNameLength = 0;
        fqdnOffset = -1;
        fqdnLength = 0;
        if (length < FIXED_LENGTH) {
            return DhcpCounter.TRUNCATED;
        }
        if (length > maxLength) {
            return DhcpCounter.OVERSIZED;
        }
        if (buf.getUnsignedByte(off + OP) != OP_BOOTREQUEST) {
            return DhcpCounter.BAD_OP;
        }
        if (buf.getUnsignedByte(off + HTYPE) != HTYPE_ETHERNET) {
            return DhcpCounter.BAD_HTYPE;
        }
        if (buf.getUnsignedByte(off + HLEN) != HLEN_ETHERNET) {
            return DhcpCounter.BAD_HLEN;
        }
        long mac = chaddr();
        if (mac == MacAddress.ZERO || MacAddress.isMulticast(mac)) {
            return DhcpCounter.BAD_CHADDR;
        }
        if (length < OPTIONS_OFFSET || buf.getInt(off + COOKIE) != MAGIC_COOKIE) {
            return DhcpCounter.BAD_COOKIE;
        }
        return scanOptions();
    }

    /** Walks the options once, checking lengths and noting the ones the server acts on. */
    private DhcpCounter scanOptions() {
        options.reset(buf, off + OPTIONS_OFFSET, end);
        int code;
        while ((code = options.next()) >= 0) {
            int v = options.valueOffset();
            int len = options.length();
            // RFC 3396 would concatenate repeated options; for the fixed-size ones the
            // server reads, the first instance wins and repeats are ignored.
            switch (code) {
                case DhcpOption.MESSAGE_TYPE:
                    if (len != 1) {
                        return DhcpCounter.BAD_OPTION_VALUE;
                    }
                    if (messageType == 0) {
                        messageType = buf.getUnsignedByte(v);
                        if (messageType == 0) {
                            return DhcpCounter.UNKNOWN_MESSAGE_TYPE;
                        }
                    }
                    break;
                case DhcpOption.REQUESTED_ADDRESS:
                    if (len != 4) {
                        return DhcpCounter.BAD_OPTION_VALUE;
                    }
                    if (!hasRequestedAddress) {
                        hasRequestedAddress = true;
                        requestedAddress = buf.getInt(v);
                    }
                    break;
                case DhcpOption.SERVER_ID:
                    if (len != 4) {
                        return DhcpCounter.BAD_OPTION_VALUE;
                    }
                    if (!hasServerId) {
                        hasServerId = true;
                        serverId = buf.getInt(v);
                    }
                    break;
                case DhcpOption.CLIENT_ID:
                    if (len < 2) {  // RFC 2132 section 9.14: minimum length 2
                        return DhcpCounter.BAD_OPTION_VALUE;
                    }
                    if (clientIdOffset < 0) {
                        clientIdOffset = v;
                        clientIdLength = len;
                    }
                    break;
                case DhcpOption.HOST_NAME:
                    if (hostNameOffset < 0) {
                        hostNameOffset = v;
                        hostNameLength = len;
                    }
                    break;
                case DhcpOption.CLIENT_FQDN:
                    if (fqdnOffset < 0) {
                        fqdnOffset = v;
                        fqdnLength = len;
                    }
                    break;
                case DhcpOption.MAX_MESSAGE_SIZE:
                    if (len != 2) {
                        return DhcpCounter.BAD_OPTION_VALUE;
                    }
                    if (maxMessageSize == 0) {
                        maxMessageSize = buf.getUnsignedShort(v);
                    }
                    break;
                default:
                    break;
            }
        }
        return code == DhcpOptionIterator.MALFORMED ? DhcpCounter.BAD_OPTION_LENGTH : null;
    }

    /**
     * The host name the client gave, for its DNS name: the first label of its client FQDN
     * (option 81, RFC 4702 section 2.3: canonical wire form if the E flag is set, else
     * ASCII), or of its host name (option 12, RFC 2132 section 3.14), lower-cased. Null
     * if it gave none; {@link #INVALID_NAME} if what it gave is no DNS label (RFC 1123
     * section 2.1: 1 to 63 letters, digits and hyphens, not starting or ending with one).
     */
    public String hostName() {
        if (fqdnOffset >= 0 && fqdnLength >= 3) {
            boolean wire = (buf.getUnsignedByte(fqdnOffset) & FQDN_FLAG_E) != 0;
            int from = fqdnOffset + 3;
            int end = fqdnOffset + fqdnLength;
            if (wire) {
                int len = buf.getUnsignedByte(from);
                return from + 1 + len <= end ? label(from + 1, from + 1 + len) : INVALID_NAME;
            }
            return label(from, end);
        }
        if (hostNameOffset >= 0) {
            return label(hostNameOffset, hostNameOffset + hostNameLength);
        }
        return null;
    }

    /** What {@link #hostName()} returns for a name that is no DNS label. */
    public static final String INVALID_NAME = "";

    /** The text of {@code [from, end)} up to its first dot, if it is a DNS label; else {@link #INVALID_NAME}. */
    private String label(int from, int end) {
        StringBuilder s = new StringBuilder();
        for (int i = from; i < end; i++) {
            int c = buf.getUnsignedByte(i);
            if (c == '.' || c == 0) {       // a domain follows, or C-string padding some clients send
                break;
            }
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
            if (!ok || s.length() == 63) {
                return INVALID_NAME;
            }
            s.append(Character.toLowerCase((char) c));
        }
        if (s.length() == 0 || s.charAt(0) == '-' || s.charAt(s.length() - 1) == '-') {
            return INVALID_NAME;
        }
        return s.toString();
    }

    /** The buffer the view reads. */
    public ByteBuf buffer() {
        return buf;
    }

    /** Offset of the message (its {@code op} byte) in the buffer. */
    public int offset() {
        return off;
    }

    /** Length of the message. */
    public int length() {
        return end - off;
    }

    /** Transaction id, echoed in replies. */
    public int xid() {
        return buf.getInt(off + XID);
    }

    /** Seconds since the client began (informational). */
    public int secs() {
        return buf.getUnsignedShort(off + SECS);
    }

    /** The flags field. */
    public int flags() {
        return buf.getUnsignedShort(off + FLAGS);
    }

    /** True if the client asked for broadcast replies (it cannot take unicast before it has an address). */
    public boolean broadcastFlag() {
        return (flags() & FLAG_BROADCAST) != 0;
    }

    /** Client's address, if it has one it can use (BOUND, RENEW, REBIND, INFORM). */
    public int ciaddr() {
        return buf.getInt(off + CIADDR);
    }

    /** Relay agent address; zero when the client is on the link, as here. */
    public int giaddr() {
        return buf.getInt(off + GIADDR);
    }

    /** Client hardware address (the first six bytes of {@code chaddr}). */
    public long chaddr() {
        return MacAddress.read(buf, off + CHADDR);
    }

    /** Option 53 value, or 0 for a plain BOOTP request without it. */
    public int messageType() {
        return messageType;
    }

    /** True if option 50 is present. */
    public boolean hasRequestedAddress() {
        return hasRequestedAddress;
    }

    /** Option 50, or 0. */
    public int requestedAddress() {
        return requestedAddress;
    }

    /** True if option 54 is present. */
    public boolean hasServerId() {
        return hasServerId;
    }

    /** Option 54, or 0. */
    public int serverId() {
        return serverId;
    }

    /** Offset of option 61's value in the buffer, or -1 if absent. */
    public int clientIdOffset() {
        return clientIdOffset;
    }

    /** Length of option 61's value (at least 2), or 0 if absent. */
    public int clientIdLength() {
        return clientIdLength;
    }

    /** Option 57, or 0 if absent. */
    public int maxMessageSize() {
        return maxMessageSize;
    }

    /** An iterator over the options, reset to the first (shared: one walk at a time). */
    public DhcpOptionIterator options() {
        return options.reset(buf, off + OPTIONS_OFFSET, end);
    }
}
