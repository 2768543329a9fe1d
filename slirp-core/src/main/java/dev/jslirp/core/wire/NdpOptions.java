package dev.jslirp.core.wire;

import io.netty.buffer.ByteBuf;

/**
 * The options of a neighbour discovery message (RFC 4861 section 4.6): type, length in
 * units of 8 bytes, data. One walk for every NDP message the network reads, router
 * solicitations included, so the rules of section 4.6 (no option of length 0, none past
 * the message) live in one place.
 */
public final class NdpOptions {
    /** Source and target link-layer address options (section 4.6.1). */
    public static final int SOURCE_LINK_LAYER = 1;
    public static final int TARGET_LINK_LAYER = 2;
    /** The result of {@link #linkLayerAddress} when the options are malformed. */
    public static final long MALFORMED = -2;
    /** The result of {@link #linkLayerAddress} when there is no such option. */
    public static final long ABSENT = -1;
    /** A link-layer address option for Ethernet: type, length 1, six bytes of MAC. */
    private static final int ETHERNET_OPTION_LENGTH = 8;

    private NdpOptions() {
    }

    /**
     * Walks the options in {@code [from, to)} of {@code b}.
     *
     * @return the MAC of the first link-layer address option of type {@code wanted};
     *         {@link #ABSENT} if there is none; {@link #MALFORMED} if an option has length
     *         0 or runs past {@code to}
     */
    public static long linkLayerAddress(ByteBuf b, int from, int to, int wanted) {
        long found = ABSENT;
        int i = from;
        while (i < to) {
            if (to - i < 2) {
                return MALFORMED;
            }
            int type = b.getUnsignedByte(i);
            int len = b.getUnsignedByte(i + 1) * 8;
            if (len == 0 || len > to - i) {
                return MALFORMED;
            }
            if (type == wanted && found == ABSENT && len >= ETHERNET_OPTION_LENGTH) {
                found = MacAddress.read(b, i + 2);
            }
            i += len;
        }
        return found;
    }
}
