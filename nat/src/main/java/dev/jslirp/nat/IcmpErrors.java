package dev.jslirp.nat;

import dev.jslirp.core.spi.IcmpError;

/**
 * The {@link IcmpError} an ICMP or ICMPv6 error the host received stands for, so the NAT
 * can pass it on to the guest in the guest's family. Only what a guest's stack acts on is
 * passed; the rest (redirects, source quench, "packet too big" and "fragmentation
 * needed", which the host's own path MTU discovery handles) maps to null.
 */
public final class IcmpErrors {
    private IcmpErrors() {
    }

    /**
     * The error for ICMP (RFC 792, RFC 1812 section 5.2.7.1) {@code type}/{@code code}, or
     * for ICMPv6 (RFC 4443 section 3) if {@code icmpv6}; null if not passed on.
     */
    public static IcmpError of(boolean icmpv6, int type, int code) {
        return icmpv6 ? of6(type, code) : of4(type, code);
    }

    private static IcmpError of4(int type, int code) {
        if (type == 11) {
            return code == 0 ? IcmpError.TTL_EXCEEDED : null;
        }
        if (type != 3) {
            return null;
        }
        switch (code) {
            case 0:     // net unreachable
            case 6:     // destination network unknown
            case 11:    // network unreachable for type of service
                return IcmpError.NET_UNREACHABLE;
            case 1:     // host unreachable
            case 7:     // destination host unknown
            case 12:    // host unreachable for type of service
                return IcmpError.HOST_UNREACHABLE;
            case 3:
                return IcmpError.PORT_UNREACHABLE;
            case 9:     // network administratively prohibited
            case 10:    // host administratively prohibited
            case 13:    // communication administratively prohibited
                return IcmpError.ADMIN_PROHIBITED;
            default:
                return null;
        }
    }

    private static IcmpError of6(int type, int code) {
        if (type == 3) {
            return code == 0 ? IcmpError.TTL_EXCEEDED : null;
        }
        if (type != 1) {
            return null;
        }
        switch (code) {
            case 0:     // no route to destination
                return IcmpError.NET_UNREACHABLE;
            case 2:     // beyond scope of source address
            case 3:     // address unreachable
                return IcmpError.HOST_UNREACHABLE;
            case 4:
                return IcmpError.PORT_UNREACHABLE;
            case 1:     // administratively prohibited
            case 5:     // source address failed ingress/egress policy
            case 6:     // reject route to destination
                return IcmpError.ADMIN_PROHIBITED;
            default:
                return null;
        }
    }
}
