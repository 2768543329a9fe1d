package dev.jslirp.core.wire;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * An IPv4 or IPv6 address as one immutable value: 128 bits in two {@code long}s,
 * {@link #hi()} holding the first eight bytes in network order and {@link #lo()} the
 * last eight. IPv4 addresses are held in their IPv4-mapped form {@code ::ffff:a.b.c.d}
 * (RFC 4291 section 2.5.5.2), so one representation serves both families and a flow
 * key of either family is four {@code long}s and two ports.
 *
 * <p>The mapped range therefore means IPv4 here: an IPv6 packet naming a mapped
 * address is refused by the core before anything compares its addresses (RFC 4291
 * says such addresses never appear on the wire; RFC 6890 lists them as not
 * forwardable).
 *
 * <h2>Hot path</h2>
 * <p>Packet views expose addresses as {@code (hi, lo)} pairs and the flow tables
 * compare those with the fields of addresses they hold, so a lookup allocates nothing.
 * Objects of this class are made per flow, per configuration value or per message on
 * slow paths, never per segment.
 *
 * <p>{@link #toString()} prints {@code 10.0.2.15} or {@code fec0::2} (RFC 5952), so
 * logs and assertion failures read as a person would write the address.
 */
public final class IpAddress implements Comparable<IpAddress> {
    /** The {@code ::ffff:0:0/96} prefix in the low half of a mapped IPv4 address. */
    private static final long V4_MAPPED = 0x0000_ffff_0000_0000L;
    private static final long V4_MASK = 0xffff_ffff_0000_0000L;

    /** 0.0.0.0 */
    public static final IpAddress V4_ANY = ipv4(0);
    /** 127.0.0.1 */
    public static final IpAddress V4_LOOPBACK = ipv4(0x7f00_0001);
    /** :: */
    public static final IpAddress V6_ANY = new IpAddress(0, 0);
    /** ::1 */
    public static final IpAddress V6_LOOPBACK = new IpAddress(0, 1);

    private final long hi;
    private final long lo;

    private IpAddress(long hi, long lo) {
        this.hi = hi;
        this.lo = lo;
    }

    /** The IPv4 address {@code addr} (network order in an {@code int}, as {@link Ipv4Address}). */
    public static IpAddress ipv4(int addr) {
        return new IpAddress(0, ipv4Lo(addr));
    }

    /** The low half of IPv4 address {@code addr} in this class's form (the high half is 0). */
    public static long ipv4Lo(int addr) {
        return V4_MAPPED | (addr & 0xffff_ffffL);
    }

    /**
     * The address with these halves; an IPv4-mapped pair gives the IPv4 address. Used
     * where a view's pair becomes a value (a new flow).
     */
    public static IpAddress of(long hi, long lo) {
        if (hi == 0 && lo == 1) {
            return V6_LOOPBACK;
        }
        return new IpAddress(hi, lo);
    }

    /** True if {@code (hi, lo)} is an IPv4 address in this class's form. */
    public static boolean isIpv4(long hi, long lo) {
        return hi == 0 && (lo & V4_MASK) == V4_MAPPED;
    }

    /** The address of an {@link InetAddress} (an IPv4-mapped IPv6 one becomes IPv4). */
    public static IpAddress of(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length == 4) {
            return ipv4(((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff));
        }
        return of(bytesToLong(b, 0), bytesToLong(b, 8));
    }

    /**
     * Parses {@code 10.0.2.15}, {@code fec0::2} or {@code [fec0::2]}; no host names.
     *
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static IpAddress parse(String text) {
        String s = text.trim();
        if (s.startsWith("[") && s.endsWith("]")) {
            s = s.substring(1, s.length() - 1);
        }
        if (s.indexOf(':') < 0) {
            try {
                return ipv4(Ipv4Address.parse(s));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("'" + text + "' is not an IP address (expected a.b.c.d or an IPv6 "
                        + "address such as fec0::2)");
            }
        }
        return parseIpv6(text, s);
    }

    /**
     * Parses an address as the {@code host:port} rules of QEMU's options write it
     * ({@code hostfwd=}, {@code guestfwd=}): an IPv4 address bare, an IPv6 address in
     * brackets ({@code [fec0::4]}), so the colons of the rule stay unambiguous.
     *
     * @throws IllegalArgumentException for anything else, a bare IPv6 or a bracketed IPv4 address
     */
    public static IpAddress parseInRule(String text) {
        boolean bracketed = text.startsWith("[") && text.endsWith("]");
        IpAddress a = parse(text);
        if (a.isIpv6() != bracketed) {
            throw new IllegalArgumentException("'" + text + "' (expected a.b.c.d, or an IPv6 address in brackets)");
        }
        return a;
    }

    /** RFC 4291 section 2.2 text forms, including a trailing dotted quad; no zone index. */
    private static IpAddress parseIpv6(String text, String s) {
        String bad = "'" + text + "' is not an IPv6 address (expected e.g. fec0::2 or ::ffff:10.0.2.2)";
        if (s.indexOf('%') >= 0 || s.isEmpty()) {
            throw new IllegalArgumentException(bad);
        }
        int[] groups = new int[8];
        int n = 0;
        int gap = -1;
        int i = 0;
        int len = s.length();
        if (s.startsWith("::")) {
            gap = 0;
            i = 2;
            if (i == len) {
                return V6_ANY;
            }
        } else if (s.startsWith(":")) {
            throw new IllegalArgumentException(bad);
        }
        while (i < len) {
            int end = s.indexOf(':', i);
            String part = end < 0 ? s.substring(i) : s.substring(i, end);
            if (part.indexOf('.') >= 0) {
                if (end >= 0 || n > 6) {
                    throw new IllegalArgumentException(bad);
                }
                int v4;
                try {
                    v4 = Ipv4Address.parse(part);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(bad);
                }
                groups[n++] = v4 >>> 16;
                groups[n++] = v4 & 0xffff;
                i = len;
                break;
            }
            if (part.isEmpty() || part.length() > 4 || n == 8) {
                throw new IllegalArgumentException(bad);
            }
            int v = 0;
            for (int k = 0; k < part.length(); k++) {
                int d = Character.digit(part.charAt(k), 16);
                if (d < 0) {
                    throw new IllegalArgumentException(bad);
                }
                v = (v << 4) | d;
            }
            groups[n++] = v;
            if (end < 0) {
                i = len;
            } else if (end + 1 < len && s.charAt(end + 1) == ':') {
                if (gap >= 0) {
                    throw new IllegalArgumentException(bad);
                }
                gap = n;
                i = end + 2;
            } else if (end + 1 == len) {
                throw new IllegalArgumentException(bad);
            } else {
                i = end + 1;
            }
        }
        if (gap < 0 ? n != 8 : n > 7) {
            throw new IllegalArgumentException(bad);
        }
        int[] full = new int[8];
        if (gap < 0) {
            full = groups;
        } else {
            int tail = n - gap;
            System.arraycopy(groups, 0, full, 0, gap);
            System.arraycopy(groups, gap, full, 8 - tail, tail);
        }
        long h = 0;
        long l = 0;
        for (int k = 0; k < 4; k++) {
            h = (h << 16) | full[k];
            l = (l << 16) | full[k + 4];
        }
        return of(h, l);
    }

    private static long bytesToLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (b[off + i] & 0xff);
        }
        return v;
    }

    /** The first eight bytes, network order. */
    public long hi() {
        return hi;
    }

    /** The last eight bytes, network order. */
    public long lo() {
        return lo;
    }

    /** True for an IPv4 address. */
    public boolean isIpv4() {
        return isIpv4(hi, lo);
    }

    /** True for an IPv6 address. */
    public boolean isIpv6() {
        return !isIpv4();
    }

    /** True if this address has the halves {@code (hi, lo)}; no allocation. */
    public boolean is(long h, long l) {
        return hi == h && lo == l;
    }

    /**
     * The IPv4 address as an {@code int}.
     *
     * @throws IllegalStateException for an IPv6 address
     */
    public int ipv4() {
        if (!isIpv4()) {
            throw new IllegalStateException(this + " is not an IPv4 address");
        }
        return (int) lo;
    }

    /** True for 0.0.0.0 and ::. */
    public boolean isUnspecified() {
        return isIpv4() ? (int) lo == 0 : hi == 0 && lo == 0;
    }

    /** True for 127.0.0.0/8 and ::1. */
    public boolean isLoopback() {
        return isIpv4() ? Ipv4Address.isLoopback((int) lo) : hi == 0 && lo == 1;
    }

    /** True for 224.0.0.0/4 and ff00::/8. */
    public boolean isMulticast() {
        return isIpv4() ? Ipv4Address.isMulticast((int) lo) : (hi >>> 56) == 0xff;
    }

    /** True for IPv6 link-local unicast, fe80::/10 (IPv4 link-local is not special here). */
    public boolean isLinkLocal() {
        return !isIpv4() && (hi >>> 54) == (0xfe80L >>> 6);
    }

    /**
     * True if the first {@code prefixLength} bits equal those of {@code prefix}, which
     * must be of the same family (for IPv4 the length counts IPv4 bits, 0..32).
     */
    public boolean inPrefix(IpAddress prefix, int prefixLength) {
        if (isIpv4() != prefix.isIpv4()) {
            return false;
        }
        if (isIpv4()) {
            int m = Ipv4Address.mask(prefixLength);
            return ((int) lo & m) == ((int) prefix.lo & m);
        }
        return masked(hi, lo, prefixLength, prefix.hi, prefix.lo);
    }

    /** True if IPv6 halves {@code (h, l)} lie in {@code (ph, pl)/len}; no allocation. */
    public static boolean masked(long h, long l, int len, long ph, long pl) {
        if (len <= 0) {
            return true;
        }
        if (len <= 64) {
            long m = len == 64 ? -1L : ~(-1L >>> len);
            return (h & m) == (ph & m);
        }
        long m = len >= 128 ? -1L : ~(-1L >>> (len - 64));
        return h == ph && (l & m) == (pl & m);
    }

    /** The address with the host bits past {@code prefixLength} cleared. */
    public IpAddress network(int prefixLength) {
        if (isIpv4()) {
            return ipv4((int) lo & Ipv4Address.mask(prefixLength));
        }
        long mh = prefixLength >= 64 ? -1L : prefixLength <= 0 ? 0 : ~(-1L >>> prefixLength);
        long ml = prefixLength >= 128 ? -1L : prefixLength <= 64 ? 0 : ~(-1L >>> (prefixLength - 64));
        return of(hi & mh, lo & ml);
    }

    /**
     * The IPv6 address made of this prefix's first 64 bits and {@code interfaceId}
     * (e.g. {@code fec0::} and 2 give {@code fec0::2}).
     */
    public IpAddress withInterfaceId(long interfaceId) {
        return of(hi, interfaceId);
    }

    /** The address as a JDK {@link InetAddress}, for socket APIs (slow path). */
    public InetAddress toInetAddress() {
        try {
            if (isIpv4()) {
                return Ipv4Address.toInetAddress((int) lo);
            }
            byte[] b = new byte[16];
            for (int i = 0; i < 8; i++) {
                b[i] = (byte) (hi >>> (56 - 8 * i));
                b[8 + i] = (byte) (lo >>> (56 - 8 * i));
            }
            // getByAddress would turn ::ffff:a.b.c.d into an Inet4Address; these are never mapped.
            return Inet6Address.getByAddress(null, b, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);   // sixteen bytes are always an address
        }
    }

    /** The 16 bytes of the address as IPv6 (IPv4 in mapped form). */
    public byte[] toIpv6Bytes() {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return b;
    }

    /** True if {@code a} is an {@link Inet6Address} (not mapped): a helper for socket code. */
    public static boolean isIpv6(InetAddress a) {
        return a instanceof Inet6Address;
    }

    /** True if {@code a} is an {@link Inet4Address}. */
    public static boolean isIpv4(InetAddress a) {
        return a instanceof Inet4Address;
    }

    /** {@code 10.0.2.15}, or the RFC 5952 text of an IPv6 address ({@code fec0::2}). */
    @Override
    public String toString() {
        if (isIpv4()) {
            return Ipv4Address.toString((int) lo);
        }
        int[] g = new int[8];
        for (int i = 0; i < 4; i++) {
            g[i] = (int) (hi >>> (48 - 16 * i)) & 0xffff;
            g[i + 4] = (int) (lo >>> (48 - 16 * i)) & 0xffff;
        }
        // RFC 5952 section 4.2: the longest run of two or more zero groups, the first if tied.
        int bestStart = -1;
        int bestLen = 1;
        for (int i = 0; i < 8; ) {
            if (g[i] != 0) {
                i++;
                continue;
            }
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j;
        }
        StringBuilder sb = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                sb.append("::");
                i += bestLen - 1;
                continue;
            }
            if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
                sb.append(':');
            }
            sb.append(Integer.toHexString(g[i]).toLowerCase(Locale.ROOT));
        }
        return sb.toString();
    }

    /** The address in brackets if IPv6 ({@code [fec0::2]}), as before a port. */
    public String toUriString() {
        return isIpv4() ? toString() : "[" + this + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpAddress a && a.hi == hi && a.lo == lo;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(hi * 31 + lo);
    }

    /** IPv4 before IPv6, then numerically (unsigned). */
    @Override
    public int compareTo(IpAddress o) {
        int c = Boolean.compare(!isIpv4(), !o.isIpv4());
        if (c != 0) {
            return c;
        }
        c = Long.compareUnsigned(hi, o.hi);
        return c != 0 ? c : Long.compareUnsigned(lo, o.lo);
    }
}
