package dev.jslirp.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * 48-bit Ethernet addresses held in the low bits of a {@code long}, so the packet path
 * compares and stores them without allocating.
 */
public final class MacAddress {
    /** ff:ff:ff:ff:ff:ff */
    public static final long BROADCAST = 0xffff_ffff_ffffL;
    /** 00:00:00:00:00:00, also used here for "unknown". */
    public static final long ZERO = 0L;

    private MacAddress() {
    }

    /** Reads the six bytes at {@code off}. */
    public static long read(ByteBuf buf, int off) {
        return ((long) buf.getUnsignedShort(off) << 32) | buf.getUnsignedInt(off + 2);
    }

    /** Writes the six bytes of {@code mac} at {@code off}. */
    public static void write(ByteBuf buf, int off, long mac) {
        buf.setShort(off, (int) (mac >>> 32));
        buf.setInt(off + 2, (int) mac);
    }

    /** True for group (multicast and broadcast) addresses: the I/G bit is set. */
    public static boolean isMulticast(long mac) {
        return (mac & 0x0100_0000_0000L) != 0;
    }

    /**
     * Parses {@code aa:bb:cc:dd:ee:ff} (or with dashes).
     *
     * @throws IllegalArgumentException naming the accepted form
     */
    public static long parse(String text) {
        // limit -1: a trailing separator leaves an empty part instead of vanishing ("1:2:3:4:5:6::")
        String[] parts = text.trim().split("[:-]", -1);
        if (parts.length != 6) {
            throw new IllegalArgumentException("'" + text + "' is not a MAC address (expected aa:bb:cc:dd:ee:ff)");
        }
        long mac = 0;
        for (String p : parts) {
            if (p.length() < 1 || p.length() > 2) {
                throw new IllegalArgumentException("'" + text + "' is not a MAC address (expected aa:bb:cc:dd:ee:ff)");
            }
            int value = 0;
            for (int i = 0; i < p.length(); i++) {
                int d = Character.digit(p.charAt(i), 16);     // no sign, unlike Integer.parseInt
                if (d < 0) {
                    throw new IllegalArgumentException("'" + text + "' is not a MAC address (expected aa:bb:cc:dd:ee:ff)");
                }
                value = value << 4 | d;
            }
            mac = (mac << 8) | value;
        }
        return mac;
    }

    /** Formats as lower-case {@code aa:bb:cc:dd:ee:ff}. */
    public static String toString(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            int b = (int) (mac >>> shift) & 0xff;
            sb.append(Character.forDigit(b >>> 4, 16)).append(Character.forDigit(b & 0xf, 16));
            if (shift > 0) {
                sb.append(':');
            }
        }
        return sb.toString();
    }
}
