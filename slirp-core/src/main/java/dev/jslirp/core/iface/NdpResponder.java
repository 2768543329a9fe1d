package dev.jslirp.core.iface;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.stats.NetworkStats;
import dev.jslirp.core.wire.IcmpPacket;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.core.wire.NdpOptions;
import io.netty.buffer.ByteBuf;

/**
 * Neighbour discovery (RFC 4861), IPv6's ARP, for the network's own addresses: answers
 * neighbour solicitations for the router, host and DNS addresses (global and
 * link-local), learns the guest's addresses from every valid solicitation and
 * advertisement it sends, lets duplicate address detection run undisturbed, and sends
 * the solicitations that resolve a guest address a datagram waits for.
 *
 * <p>Router solicitations are not answered here: router advertisements are the
 * autoconfiguration service's (a {@code GuestService}, as DHCP is), so they are offered
 * to the services like any other ICMPv6.
 *
 * <h2>Validation (RFC 4861 sections 7.1.1, 7.1.2)</h2>
 * <p>Hop limit 255 (the message was not forwarded), code 0, a long enough body, a
 * unicast target, options of non-zero length inside the message; a solicitation from
 * the unspecified address (a duplicate address detection probe) must go to a
 * solicited-node multicast address and carry no source link-layer option. Anything
 * else is dropped and counted as {@link DropReason#NDP_INVALID}; router advertisements
 * and redirects from the guest likewise (a guest is no router here).
 *
 * <h2>Duplicate address detection</h2>
 * <p>A probe for one of the network's own addresses is answered (to all nodes), so a
 * guest configured with, say, fec0::2 learns that the address is taken; a probe for
 * any other address gets nothing, so the guest's own addresses pass DAD (RFC 4862
 * section 5.4).
 */
final class NdpResponder implements NeighborSolicitor {
    /** ICMPv6 types of neighbour discovery (RFC 4861 section 4). */
    static final int TYPE_ROUTER_SOLICITATION = 133;
    static final int TYPE_ROUTER_ADVERTISEMENT = 134;
    static final int TYPE_NEIGHBOR_SOLICITATION = 135;
    static final int TYPE_NEIGHBOR_ADVERTISEMENT = 136;
    static final int TYPE_REDIRECT = 137;
    /** Option types. */
    private static final int OPT_SOURCE_LL = NdpOptions.SOURCE_LINK_LAYER;
    private static final int OPT_TARGET_LL = NdpOptions.TARGET_LINK_LAYER;
    /** Length of a solicitation or advertisement without options: header, reserved/flags, target. */
    private static final int NS_NA_LENGTH = 24;
    /** A link-layer address option for Ethernet: type, length 1 (8 bytes), six bytes of MAC. */
    private static final int LL_OPTION_LENGTH = 8;
    private static final int FLAG_ROUTER = 0x8000_0000;
    private static final int FLAG_SOLICITED = 0x4000_0000;
    private static final int FLAG_OVERRIDE = 0x2000_0000;
    /** ff02::1, all nodes. */
    private static final IpAddress ALL_NODES = IpAddress.parse("ff02::1");
    /** ff02::1:ff00:0/104, the solicited-node multicast prefix (RFC 4291 section 2.7.1). */
    private static final long SOLICITED_HI = 0xff02_0000_0000_0000L;
    private static final long SOLICITED_LO = 0x0000_0001_ff00_0000L;

    private final GuestNetwork network;
    private final NetworkConfig config;
    private final NetworkStats stats;
    private final long ourMac;

    NdpResponder(GuestNetwork network) {
        this.network = network;
        this.config = network.config();
        this.stats = network.stats();
        this.ourMac = config.gatewayMac();
    }

    /** True if {@code type} is one of neighbour discovery's, which this class takes (router solicitations aside). */
    static boolean takes(int type) {
        return type == TYPE_NEIGHBOR_SOLICITATION || type == TYPE_NEIGHBOR_ADVERTISEMENT
                || type == TYPE_ROUTER_ADVERTISEMENT || type == TYPE_REDIRECT;
    }

    /** A neighbour discovery message from the guest (checksum verified). */
    void handle(GuestPacket p, long now) {
        IcmpPacket icmp = p.icmp();
        int type = icmp.type();
        if (type == TYPE_ROUTER_ADVERTISEMENT || type == TYPE_REDIRECT) {
            stats.drops().increment(DropReason.NDP_INVALID);     // a guest is no router here
            return;
        }
        if (p.hopLimit() != 255 || icmp.code() != 0 || icmp.length() < NS_NA_LENGTH) {
            stats.drops().increment(DropReason.NDP_INVALID);
            return;
        }
        ByteBuf b = p.buffer();
        int off = icmp.offset();
        long targetHi = b.getLong(off + 8);
        long targetLo = b.getLong(off + 16);
        if ((targetHi >>> 56) == 0xff) {
            stats.drops().increment(DropReason.NDP_INVALID);
            return;
        }
        long linkLayer = NdpOptions.linkLayerAddress(b, off + NS_NA_LENGTH, off + icmp.length(),
                type == TYPE_NEIGHBOR_SOLICITATION ? OPT_SOURCE_LL : OPT_TARGET_LL);
        if (linkLayer == NdpOptions.MALFORMED) {
            stats.drops().increment(DropReason.NDP_INVALID);
            return;
        }
        if (type == TYPE_NEIGHBOR_SOLICITATION) {
            solicitation(p, targetHi, targetLo, linkLayer, now);
        } else {
            advertisement(p, targetHi, targetLo, linkLayer, now);
        }
    }

    private void solicitation(GuestPacket p, long targetHi, long targetLo, long linkLayer, long now) {
        boolean probe = p.sourceHi() == 0 && p.sourceLo() == 0;
        if (probe && (linkLayer >= 0 || !isSolicitedNode(p.destinationHi(), p.destinationLo()))) {
            stats.drops().increment(DropReason.NDP_INVALID);
            return;
        }
        if (!probe) {
            long mac = linkLayer >= 0 ? linkLayer : p.ethernet().source();
            if (!MacAddress.isMulticast(mac)) {
                network.learnNeighbor(p.sourceHi(), p.sourceLo(), mac, now);
            }
        }
        if (!config.isOwnAddress(targetHi, targetLo)) {
            if (probe || IpAddress.isIpv4(targetHi, targetLo) || network.isShared()) {
                // another's DAD probe, or its own; or a question for another guest on the LAN
                stats.traffic().increment(NetworkStats.Traffic.NDP_ACCEPTED);
            } else {
                stats.drops().increment(DropReason.NDP_NOT_FOR_US);
            }
            return;
        }
        stats.traffic().increment(NetworkStats.Traffic.NDP_ACCEPTED);
        stats.traffic().increment(NetworkStats.Traffic.NDP_ADVERTISEMENTS);
        IpAddress target = IpAddress.of(targetHi, targetLo);
        // RFC 4861 7.2.4: to the solicitor, or to all nodes (unsolicited in form) for a DAD probe.
        IpAddress to = probe ? ALL_NODES : p.source();
        advertise(target, to, !probe);
    }

    private void advertisement(GuestPacket p, long targetHi, long targetLo, long linkLayer, long now) {
        boolean solicited = (p.buffer().getInt(p.icmp().offset() + 4) & FLAG_SOLICITED) != 0;
        if (solicited && (p.destinationHi() >>> 56) == 0xff) {
            stats.drops().increment(DropReason.NDP_INVALID);      // RFC 4861 7.1.2
            return;
        }
        if (config.isOwnAddress(targetHi, targetLo)) {
            // Someone claims one of our addresses: not believed (we keep answering for it).
            stats.drops().increment(DropReason.NDP_INVALID);
            return;
        }
        long mac = linkLayer >= 0 ? linkLayer : p.ethernet().source();
        if (!MacAddress.isMulticast(mac) && !(targetHi == 0 && targetLo == 0)) {
            network.learnNeighbor(targetHi, targetLo, mac, now);
        }
        stats.traffic().increment(NetworkStats.Traffic.NDP_ACCEPTED);
    }

    /** Sends a neighbour advertisement for our {@code target} to {@code to}. */
    private void advertise(IpAddress target, IpAddress to, boolean solicited) {
        int len = NS_NA_LENGTH + LL_OPTION_LENGTH;
        ByteBuf frame = network.newFrame(len);
        int off = frame.writerIndex();
        int flags = FLAG_ROUTER | FLAG_OVERRIDE | (solicited ? FLAG_SOLICITED : 0);
        IcmpPacket.writeHeader(frame, off, TYPE_NEIGHBOR_ADVERTISEMENT, 0, flags);
        frame.setLong(off + 8, target.hi());
        frame.setLong(off + 16, target.lo());
        writeLinkLayerOption(frame, off + NS_NA_LENGTH, OPT_TARGET_LL);
        frame.writerIndex(off + len);
        network.send(frame, target, to, GuestPacket.PROTO_ICMPV6, 0);
    }

    /**
     * Asks the guest for the MAC of {@code (hi, lo)}: a solicitation from our router
     * address to the target's solicited-node multicast address (RFC 4861 7.2.2).
     */
    @Override
    public void solicit(long hi, long lo) {
        stats.traffic().increment(NetworkStats.Traffic.NDP_SOLICITATIONS);
        int len = NS_NA_LENGTH + LL_OPTION_LENGTH;
        ByteBuf frame = network.newFrame(len);
        int off = frame.writerIndex();
        IcmpPacket.writeHeader(frame, off, TYPE_NEIGHBOR_SOLICITATION, 0, 0);
        frame.setLong(off + 8, hi);
        frame.setLong(off + 16, lo);
        writeLinkLayerOption(frame, off + NS_NA_LENGTH, OPT_SOURCE_LL);
        frame.writerIndex(off + len);
        // From the link-local router address for a link-local target, else from the host address.
        IpAddress from = (hi >>> 54) == (0xfe80L >>> 6) ? config.routerLinkLocal() : config.ipv6Host();
        IpAddress to = IpAddress.of(SOLICITED_HI, SOLICITED_LO | (lo & 0x00ff_ffffL));
        network.send(frame, from, to, GuestPacket.PROTO_ICMPV6, 0);
    }

    private void writeLinkLayerOption(ByteBuf frame, int at, int type) {
        frame.setByte(at, type);
        frame.setByte(at + 1, 1);
        MacAddress.write(frame, at + 2, ourMac);
    }

    static boolean isSolicitedNode(long hi, long lo) {
        return hi == SOLICITED_HI && (lo & 0xffff_ffff_ff00_0000L) == SOLICITED_LO;
    }
}
