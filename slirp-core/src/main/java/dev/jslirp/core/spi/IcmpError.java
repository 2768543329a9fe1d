package dev.jslirp.core.spi;

/**
 * The errors the network reports to the guest, family-neutral: each maps to its ICMP
 * (RFC 792, RFC 1812 section 5.2.7.1) and ICMPv6 (RFC 4443 section 3) type and code, so
 * a service says what went wrong and the core speaks the family of the datagram it is
 * about.
 */
public enum IcmpError {
    /** No route to the destination network: ICMP 3/0, ICMPv6 1/0 (no route to destination). */
    NET_UNREACHABLE(3, 0, 1, 0),
    /** The destination host cannot be reached: ICMP 3/1, ICMPv6 1/3 (address unreachable). */
    HOST_UNREACHABLE(3, 1, 1, 3),
    /** Nobody listens on the destination port: ICMP 3/3, ICMPv6 1/4. */
    PORT_UNREACHABLE(3, 3, 1, 4),
    /** Refused by the network's rules: ICMP 3/13 (communication administratively prohibited), ICMPv6 1/1. */
    ADMIN_PROHIBITED(3, 13, 1, 1),
    /** The TTL or hop limit ran out on the way: ICMP 11/0, ICMPv6 3/0. */
    TTL_EXCEEDED(11, 0, 3, 0);

    private final int v4Type;
    private final int v4Code;
    private final int v6Type;
    private final int v6Code;

    IcmpError(int v4Type, int v4Code, int v6Type, int v6Code) {
        this.v4Type = v4Type;
        this.v4Code = v4Code;
        this.v6Type = v6Type;
        this.v6Code = v6Code;
    }

    /** The ICMP type for IPv4, or ICMPv6 type for IPv6. */
    public int type(boolean ipv6) {
        return ipv6 ? v6Type : v4Type;
    }

    /** The ICMP code for IPv4, or ICMPv6 code for IPv6. */
    public int code(boolean ipv6) {
        return ipv6 ? v6Code : v4Code;
    }
}
