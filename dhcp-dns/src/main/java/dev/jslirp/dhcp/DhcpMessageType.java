package dev.jslirp.dhcp;

/** DHCP message types, the values of option 53 (RFC 2132 section 9.6, RFC 2131 table 2). */
public enum DhcpMessageType {
    /** Client broadcast to locate servers. */
    DISCOVER(1),
    /** Server to client, with an offer of configuration. */
    OFFER(2),
    /** Client asks for offered parameters, or confirms or extends a lease. */
    REQUEST(3),
    /** Client found the address already in use. */
    DECLINE(4),
    /** Server to client with configuration, including the committed address. */
    ACK(5),
    /** Server refuses the client's notion of its address. */
    NAK(6),
    /** Client gives up its address. */
    RELEASE(7),
    /** Client has an address and asks for local configuration only. */
    INFORM(8);

    private static final DhcpMessageType[] BY_CODE = new DhcpMessageType[9];

    static {
        for (DhcpMessageType t : values()) {
            BY_CODE[t.code] = t;
        }
    }

    private final int code;

    DhcpMessageType(int code) {
        this.code = code;
    }

    /** The option 53 value. */
    public int code() {
        return code;
    }

    /** The type for an option 53 value, or null if there is none. */
    public static DhcpMessageType of(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
