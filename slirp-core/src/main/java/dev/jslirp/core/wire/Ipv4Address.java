package dev.jslirp.core.wire;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * IPv4 addresses as {@code int} values in network order (the first octet in the top
 * byte), so the packet path needs no {@link InetAddress} objects.
 */
public final class Ipv4Address {
    /** 0.0.0.0 */
    public static final int ANY = 0;
    /** 255.255.255.255 */
    public static final int BROADCAST = 0xffffffff;

    private Ipv4Address() {
    }

    /**
     * Parses a dotted quad such as {@code 10.0.2.15}; no host names, no shorthand.
     *
     * @throws IllegalArgumentException naming the accepted form
     */
    public static int parse(String text) {
        String s = text.trim();
        String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (expected a.b.c.d)");
        }
        int addr = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (expected a.b.c.d)");
            }
            int v = Integer.parseInt(p);
            if (v > 255) {
                throw new IllegalArgumentException("'" + text + "' is not an IPv4 address (each part 0-255)");
            }
            addr = (addr << 8) | v;
        }
        return addr;
    }

    /** Formats as a dotted quad. */
    public static String toString(int addr) {
        return (addr >>> 24) + "." + ((addr >>> 16) & 0xff) + "." + ((addr >>> 8) & 0xff) + "." + (addr & 0xff);
    }

    /** The address as an {@link Inet4Address}, for socket APIs (slow path only). */
    public static Inet4Address toInetAddress(int addr) {
        byte[] b = {(byte) (addr >>> 24), (byte) (addr >>> 16), (byte) (addr >>> 8), (byte) addr};
        try {
            return (Inet4Address) InetAddress.getByAddress(b);
        } catch (UnknownHostException e) {
            throw new AssertionError(e); // four bytes are always a valid address
        }
    }

    /** The {@code int} form of an IPv4 {@link InetAddress}. */
    public static int fromInetAddress(InetAddress address) {
        byte[] b = address.getAddress();
        if (b.length != 4) {
            throw new IllegalArgumentException(address + " is not an IPv4 address");
        }
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }

    /** The netmask of a prefix length 0..32. */
    public static int mask(int prefixLength) {
        return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
    }

    /** True for 127.0.0.0/8. */
    public static boolean isLoopback(int addr) {
        return (addr >>> 24) == 127;
    }

    /** True for 224.0.0.0/4. */
    public static boolean isMulticast(int addr) {
        return (addr >>> 28) == 0xe;
    }
}
