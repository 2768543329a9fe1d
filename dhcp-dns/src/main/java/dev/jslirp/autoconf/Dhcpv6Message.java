package dev.jslirp.autoconf;

import io.netty.buffer.ByteBuf;

/**
 * A reusable view of a DHCPv6 message from a client (RFC 8415 section 8): the message
 * type, the transaction ID and the few options a stateless server acts on. Every length
 * rule lives in {@link #wrap}; after it accepted a message the accessors read without
 * further checks.
 *
 * <pre>
 *  0                   1                   2                   3
 *  | msg-type      |               transaction-id                  |
 *  |                         options ...                            |
 *  option: | option-code (16) | option-len (16) | option-data ...  |
 * </pre>
 */
final class Dhcpv6Message {
    /** Message types (RFC 8415 section 7.3). */
    static final int SOLICIT = 1;
    static final int ADVERTISE = 2;
    static final int REQUEST = 3;
    static final int CONFIRM = 4;
    static final int RENEW = 5;
    static final int REBIND = 6;
    static final int REPLY = 7;
    static final int RELEASE = 8;
    static final int DECLINE = 9;
    static final int RECONFIGURE = 10;
    static final int INFORMATION_REQUEST = 11;
    static final int RELAY_FORW = 12;
    static final int RELAY_REPL = 13;
    /** Option codes (RFC 8415 section 21, RFC 3646, RFC 5970). */
    static final int OPTION_CLIENTID = 1;
    static final int OPTION_SERVERID = 2;
    static final int OPTION_IA_NA = 3;
    static final int OPTION_IA_TA = 4;
    static final int OPTION_ORO = 6;
    static final int OPTION_DNS_SERVERS = 23;
    static final int OPTION_DOMAIN_LIST = 24;
    static final int OPTION_IA_PD = 25;
    static final int OPTION_BOOTFILE_URL = 59;
    /** msg-type and transaction-id. */
    static final int HEADER_LENGTH = 4;
    static final int OPTION_HEADER_LENGTH = 4;
    /** A DUID is its 2-byte type and at most 128 bytes more (RFC 8415 section 11.1). */
    static final int MAX_DUID_LENGTH = 130;

    /** Bits of {@link #requested}: the options of interest named in the Option Request option. */
    static final int WANTS_DNS_SERVERS = 1;
    static final int WANTS_DOMAIN_LIST = 2;
    static final int WANTS_BOOTFILE_URL = 4;

    private ByteBuf buf;
    private int off;
    private int type;
    private int transactionId;
    private int clientIdOffset;
    private int clientIdLength;
    private int serverIdOffset;
    private int serverIdLength;
    private boolean hasIa;
    private int requested;

    /**
     * Views the {@code length} bytes at {@code offset} of {@code b} as a client's message.
     *
     * @return null if the message is well formed, else why it must be dropped
     */
    Dhcpv6Counter wrap(ByteBuf b, int offset, int length) {
        this.buf = b;
        this.off = offset;
        clientIdOffset = -1;
        clientIdLength = 0;
        serverIdOffset = -1;
        serverIdLength = 0;
        hasIa = false;
        requested = 0;
        if (length < HEADER_LENGTH) {
            return Dhcpv6Counter.TRUNCATED;
        }
        int word = b.getInt(offset);
        type = word >>> 24;
        transactionId = word & 0xff_ffff;
        int end = offset + length;
        for (int i = offset + HEADER_LENGTH; i < end; ) {
            if (end - i < OPTION_HEADER_LENGTH) {
                return Dhcpv6Counter.MALFORMED_OPTIONS;
            }
            int code = b.getUnsignedShort(i);
            int len = b.getUnsignedShort(i + 2);
            int data = i + OPTION_HEADER_LENGTH;
            if (len > end - data) {
                return Dhcpv6Counter.MALFORMED_OPTIONS;
            }
            switch (code) {
                case OPTION_CLIENTID:
                    if (len < 2 || len > MAX_DUID_LENGTH) {
                        return Dhcpv6Counter.BAD_CLIENT_ID;
                    }
                    if (clientIdOffset < 0) {
                        clientIdOffset = data;
                        clientIdLength = len;
                    }
                    break;
                case OPTION_SERVERID:
                    if (serverIdOffset < 0) {
                        serverIdOffset = data;
                        serverIdLength = len;
                    }
                    break;
                case OPTION_IA_NA:
                case OPTION_IA_TA:
                case OPTION_IA_PD:
                    hasIa = true;
                    break;
                case OPTION_ORO:
                    if ((len & 1) != 0) {
                        return Dhcpv6Counter.BAD_OPTION_REQUEST;
                    }
                    for (int j = data; j < data + len; j += 2) {
                        requested |= wantBit(b.getUnsignedShort(j));
                    }
                    break;
                default:
                    break;
            }
            i = data + len;
        }
        return null;
    }

    private static int wantBit(int option) {
        switch (option) {
            case OPTION_DNS_SERVERS:
                return WANTS_DNS_SERVERS;
            case OPTION_DOMAIN_LIST:
                return WANTS_DOMAIN_LIST;
            case OPTION_BOOTFILE_URL:
                return WANTS_BOOTFILE_URL;
            default:
                return 0;
        }
    }

    ByteBuf buffer() {
        return buf;
    }

    int offset() {
        return off;
    }

    int type() {
        return type;
    }

    int transactionId() {
        return transactionId;
    }

    /** Offset of the Client Identifier's DUID, or -1 if the message has none. */
    int clientIdOffset() {
        return clientIdOffset;
    }

    int clientIdLength() {
        return clientIdLength;
    }

    /** Offset of the Server Identifier's DUID, or -1 if the message has none. */
    int serverIdOffset() {
        return serverIdOffset;
    }

    int serverIdLength() {
        return serverIdLength;
    }

    /** True if the message carries an IA_NA, IA_TA or IA_PD option. */
    boolean hasIa() {
        return hasIa;
    }

    /** True if the Option Request option names what {@code wantsBit} stands for. */
    boolean requests(int wantsBit) {
        return (requested & wantsBit) != 0;
    }
}
