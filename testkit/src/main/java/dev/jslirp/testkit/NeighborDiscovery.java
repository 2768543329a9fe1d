package dev.jslirp.testkit;

import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.NdpOptions;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * The host's half of neighbour discovery (RFC 4861) and stateless address
 * autoconfiguration (RFC 4862) as the guest needs them: its interface identifier and
 * link-local address from its MAC; the reading of a router advertisement into the router,
 * its MAC and the prefix to form an address from; the target and link-layer address of
 * neighbour solicitations and advertisements. Link-layer options are read by the core's
 * {@link NdpOptions}, which also rejects malformed options; the prefix information option
 * is read here. The messages the guest sends are {@link FrameWriter}'s.
 */
final class NeighborDiscovery {
    /** ICMPv6 types of neighbour discovery (RFC 4861 section 4). */
    static final int ROUTER_SOLICITATION = 133;
    static final int ROUTER_ADVERTISEMENT = 134;
    static final int NEIGHBOR_SOLICITATION = 135;
    static final int NEIGHBOR_ADVERTISEMENT = 136;
    /** fe80::/64, the link-local prefix (RFC 4291 section 2.5.6). */
    private static final long LINK_LOCAL_HI = 0xfe80_0000_0000_0000L;
    /** The universal/local bit, 0x02 of the identifier's first byte, inverted by modified EUI-64. */
    private static final long UNIVERSAL_LOCAL_BIT = 1L << 57;
    /** A router advertisement's fixed part after the 4-byte ICMPv6 header: hop limit to retrans timer. */
    private static final int RA_FIXED = 12;
    /** The prefix information option (RFC 4861 section 4.6.2): type 3, 32 bytes. */
    private static final int OPT_PREFIX = 3;
    private static final int PREFIX_OPTION_LENGTH = 32;
    private static final int PREFIX_FLAG_ON_LINK = 0x80;
    private static final int PREFIX_FLAG_AUTONOMOUS = 0x40;
    /** SLAAC forms addresses of a 64-bit prefix and a 64-bit interface identifier (RFC 4862 section 5.5.3 d). */
    static final int SLAAC_PREFIX_LENGTH = 64;

    private NeighborDiscovery() {
    }

    /**
     * The modified EUI-64 interface identifier of a 48-bit MAC (RFC 4291 appendix A): ff:fe
     * between its two halves and the universal/local bit inverted, so 52:54:00:12:34:56 gives
     * 5054:ff:fe12:3456.
     */
    static long interfaceId(long mac) {
        long eui64 = (mac >>> 24) << 40 | 0xfffeL << 24 | (mac & 0xff_ffffL);
        return eui64 ^ UNIVERSAL_LOCAL_BIT;
    }

    /** The link-local address of the interface with {@code mac} (RFC 4862 section 5.3). */
    static IpAddress linkLocal(long mac) {
        return IpAddress.of(LINK_LOCAL_HI, interfaceId(mac));
    }

    /**
     * What a host keeps of a router advertisement.
     *
     * @param router         the router's (link-local) address, the advertisement's source
     * @param routerMac      its MAC from the source link-layer option, or {@link NdpOptions#ABSENT}
     * @param routerLifetime seconds; 0 means no default router (RFC 4861 section 6.3.4)
     * @param prefix         the first prefix for SLAAC (autonomous, /64), or null if none
     * @param onLink         whether that prefix is on the link (its L flag)
     */
    record Advertisement(IpAddress router, long routerMac, int routerLifetime, IpAddress prefix, boolean onLink) {
    }

    /**
     * Reads {@code m} as a router advertisement, or null if it is none or is invalid as RFC
     * 4861 section 6.1.2 has it (a source other than link-local, a code other than 0, too
     * short, malformed options). The hop limit of 255 is not checked: only the network can
     * reach the guest's port.
     */
    static Advertisement read(Frame.Icmp m) {
        byte[] body = m.body();
        if (!m.ipv6() || m.type() != ROUTER_ADVERTISEMENT || m.code() != 0 || body.length < RA_FIXED) {
            return null;
        }
        IpAddress router = IpAddress.parse(m.source());
        ByteBuf b = Unpooled.wrappedBuffer(body);
        long mac = NdpOptions.linkLayerAddress(b, RA_FIXED, body.length, NdpOptions.SOURCE_LINK_LAYER);
        if (!router.isLinkLocal() || mac == NdpOptions.MALFORMED) {
            return null;
        }
        IpAddress prefix = null;
        boolean onLink = false;
        // The options are well formed (NdpOptions walked them): each has a length, inside the body.
        for (int i = RA_FIXED; i < body.length; i += b.getUnsignedByte(i + 1) * 8) {
            if (prefix == null && b.getUnsignedByte(i) == OPT_PREFIX && b.getUnsignedByte(i + 1) * 8 == PREFIX_OPTION_LENGTH) {
                int flags = b.getUnsignedByte(i + 3);
                long valid = b.getUnsignedInt(i + 4);
                long preferred = b.getUnsignedInt(i + 8);
                IpAddress p = IpAddress.of(b.getLong(i + 16), b.getLong(i + 24));
                // RFC 4862 section 5.5.3: autonomous, not link-local, preferred <= valid, and a /64 here.
                if ((flags & PREFIX_FLAG_AUTONOMOUS) != 0 && !p.isLinkLocal() && preferred <= valid && valid > 0
                        && b.getUnsignedByte(i + 2) == SLAAC_PREFIX_LENGTH) {
                    prefix = p.network(SLAAC_PREFIX_LENGTH);
                    onLink = (flags & PREFIX_FLAG_ON_LINK) != 0;
                }
            }
        }
        return new Advertisement(router, mac, b.getUnsignedShort(2), prefix, onLink);
    }

    /**
     * The target address of a neighbour solicitation or advertisement (RFC 4861 sections
     * 4.3, 4.4), or null if {@code m} is none.
     */
    static IpAddress target(Frame.Icmp m) {
        byte[] body = m.body();
        if (!m.ipv6() || (m.type() != NEIGHBOR_SOLICITATION && m.type() != NEIGHBOR_ADVERTISEMENT)
                || m.code() != 0 || body.length < 20) {
            return null;
        }
        ByteBuf b = Unpooled.wrappedBuffer(body);
        return IpAddress.of(b.getLong(4), b.getLong(12));
    }

    /**
     * The MAC in the link-layer option of a neighbour solicitation (source) or advertisement
     * (target), or a negative {@link NdpOptions} result.
     */
    static long linkLayer(Frame.Icmp m) {
        byte[] body = m.body();
        int wanted = m.type() == NEIGHBOR_SOLICITATION ? NdpOptions.SOURCE_LINK_LAYER : NdpOptions.TARGET_LINK_LAYER;
        return NdpOptions.linkLayerAddress(Unpooled.wrappedBuffer(body), 20, body.length, wanted);
    }
}
