package dev.jslirp.core.iface;

import dev.jslirp.core.wire.NdpOptions;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.stats.DropReason;
import dev.jslirp.core.wire.ArpPacket;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.Ipv6Packet;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;

/**
 * Keeps a guest to its own addresses when several share a network: before a frame is
 * switched or handed to the engine, its network-layer source is checked against the
 * bindings of the {@link NeighborTable} (an address is the port's that first used it or
 * that DHCP gave it) and learned, so that one VM cannot take another's traffic or the
 * network's own. Checked, and dropped with the reason counted:
 * <ul>
 *   <li>IPv4 and IPv6 sources: another port's address, or one of the network's
 *       ({@link DropReason#SWITCH_SPOOFED_IP});</li>
 *   <li>ARP: a sender MAC other than the frame's, a sender address of another port's
 *       or the network's ({@link DropReason#SWITCH_SPOOFED_ARP});</li>
 *   <li>neighbour advertisements for another port's address or the network's, and
 *       link-layer options naming another MAC than the frame's
 *       ({@link DropReason#SWITCH_SPOOFED_NDP});</li>
 *   <li>what only the network may send on this link, as RA guard (RFC 6105) and DHCP
 *       snooping do: router advertisements and redirects, DHCP and DHCPv6 server
 *       messages ({@link DropReason#SWITCH_ROGUE_SERVICE}).</li>
 * </ul>
 * A port with {@code lock=on} may send IPv4 only from the address DHCP assigned its
 * MAC ({@link DropReason#SWITCH_LOCKED_ADDRESS}); IPv6 addresses are the guest's own
 * choice (SLAAC), bound first come.
 *
 * <p>With one port there is nobody to spoof: the guard runs only for a locked port.
 * Frames it cannot parse are dropped under the engine's own reasons when several ports
 * share the network (they would not be switched unchecked), and left to the engine
 * otherwise. Confined to the network's event loop; its views are reused.
 */
final class SourceGuard {
    /** DHCP's server port (RFC 2131 section 4.1) and DHCPv6's (RFC 8415 section 7.2). */
    private static final int DHCP_SERVER_PORT = 67;
    private static final int DHCPV6_SERVER_PORT = 547;
    private static final int ICMPV6_NS_NA_LENGTH = 24;

    private final GuestNetwork network;
    private final NetworkConfig config;
    private final NeighborTable neighbors;
    private final ArpPacket arp = new ArpPacket();
    private final Ipv6Packet ip6 = new Ipv6Packet();

    SourceGuard(GuestNetwork network, NetworkConfig config, NeighborTable neighbors) {
        this.network = network;
        this.config = config;
        this.neighbors = neighbors;
    }

    /**
     * Checks the frame {@code in} sent and learns its source address.
     *
     * @param shared true if other ports share the network
     * @return null if it may go on, else the reason to drop it
     */
    DropReason check(SwitchPort in, EthernetFrame eth, ByteBuf frame, long now, boolean shared) {
        switch (eth.etherType()) {
            case EthernetFrame.TYPE_IPV4:
                return ipv4(in, eth, frame, now, shared);
            case EthernetFrame.TYPE_ARP:
                return arp(in, eth, frame, now, shared);
            case EthernetFrame.TYPE_IPV6:
                return shared ? ipv6(in, eth, frame, now) : null;
            default:
                return null;
        }
    }

    private DropReason ipv4(SwitchPort in, EthernetFrame eth, ByteBuf frame, long now, boolean shared) {
        int off = eth.payloadOffset();
        if (frame.writerIndex() - off < Ipv4Packet.MIN_HEADER_LENGTH || (frame.getUnsignedByte(off) >>> 4) != 4) {
            return shared ? DropReason.IPV4_TRUNCATED : null;
        }
        int ihl = (frame.getUnsignedByte(off) & 0xf) * 4;
        int src = frame.getInt(off + 12);
        DropReason bad = ipv4Source(in, src, eth.source(), now, DropReason.SWITCH_SPOOFED_IP);
        if (bad != null || !shared) {
            return bad;
        }
        // A DHCP server answering from a guest (first fragment or whole datagram only).
        if (frame.getUnsignedByte(off + 9) == Ipv4Packet.PROTO_UDP && (frame.getUnsignedShort(off + 6) & 0x1fff) == 0
                && ihl >= Ipv4Packet.MIN_HEADER_LENGTH && frame.writerIndex() - off >= ihl + UdpPacket.HEADER_LENGTH
                && frame.getUnsignedShort(off + ihl) == DHCP_SERVER_PORT) {
            return DropReason.SWITCH_ROGUE_SERVICE;
        }
        return null;
    }

    /** The rules for an IPv4 source {@code src} (0.0.0.0 passes: a DHCP client has no address yet). */
    private DropReason ipv4Source(SwitchPort in, int src, long mac, long now, DropReason spoofed) {
        if (src == Ipv4Address.ANY) {
            return null;
        }
        if (config.isOwnAddress(src)) {
            return spoofed;
        }
        long lo = IpAddress.ipv4Lo(src);
        if (in.options.locked() && !neighbors.assignedTo(0, lo, in)) {
            return DropReason.SWITCH_LOCKED_ADDRESS;
        }
        if (config.inNetwork(src) && src != config.broadcast() && src != config.network()
                && network.bindNeighbor(0, lo, mac, in, now, false) == NeighborTable.TAKEN) {
            return spoofed;
        }
        return null;
    }

    private DropReason arp(SwitchPort in, EthernetFrame eth, ByteBuf frame, long now, boolean shared) {
        if (!arp.wrap(frame, eth.payloadOffset(), eth.payloadOffset() + eth.payloadLength())) {
            return shared ? DropReason.ARP_MALFORMED : null;
        }
        if (arp.senderMac() != eth.source()) {
            return DropReason.SWITCH_SPOOFED_ARP;
        }
        return ipv4Source(in, arp.senderIp(), eth.source(), now, DropReason.SWITCH_SPOOFED_ARP);
    }

    private DropReason ipv6(SwitchPort in, EthernetFrame eth, ByteBuf frame, long now) {
        DropReason bad = ip6.wrap(frame, eth.payloadOffset(), frame.writerIndex());
        if (bad != null) {
            return bad;
        }
        long mac = eth.source();
        long sh = ip6.sourceHi();
        long sl = ip6.sourceLo();
        if (!(sh == 0 && sl == 0) && !bindable6(in, sh, sl, mac, now)) {
            return DropReason.SWITCH_SPOOFED_IP;
        }
        if (ip6.isFragment() && ip6.fragmentOffset() != 0) {
            return null;
        }
        int at = ip6.upperOffset();
        int len = ip6.upperLength();
        if (ip6.upperProtocol() == Ipv6Packet.NH_UDP) {
            return len >= UdpPacket.HEADER_LENGTH && frame.getUnsignedShort(at) == DHCPV6_SERVER_PORT
                    ? DropReason.SWITCH_ROGUE_SERVICE : null;
        }
        if (ip6.upperProtocol() != Ipv6Packet.NH_ICMPV6 || len < 1) {
            return null;
        }
        int type = frame.getUnsignedByte(at);
        if (type == NdpResponder.TYPE_ROUTER_ADVERTISEMENT || type == NdpResponder.TYPE_REDIRECT) {
            return DropReason.SWITCH_ROGUE_SERVICE;
        }
        if ((type != NdpResponder.TYPE_NEIGHBOR_SOLICITATION && type != NdpResponder.TYPE_NEIGHBOR_ADVERTISEMENT)
                || len < ICMPV6_NS_NA_LENGTH) {
            return null;
        }
        boolean advert = type == NdpResponder.TYPE_NEIGHBOR_ADVERTISEMENT;
        long ll = NdpOptions.linkLayerAddress(frame, at + ICMPV6_NS_NA_LENGTH, at + len,
                advert ? NdpOptions.TARGET_LINK_LAYER : NdpOptions.SOURCE_LINK_LAYER);
        if (ll >= 0 && ll != mac) {
            return DropReason.SWITCH_SPOOFED_NDP;
        }
        if (advert) {
            long th = frame.getLong(at + 8);
            long tl = frame.getLong(at + 16);
            if ((th >>> 56) != 0xff && !(th == 0 && tl == 0) && !bindable6(in, th, tl, mac, now)) {
                return DropReason.SWITCH_SPOOFED_NDP;
            }
        }
        return null;
    }

    /** False if {@code (hi, lo)} is the network's or another port's; binds it to {@code in} if it is on the link. */
    private boolean bindable6(SwitchPort in, long hi, long lo, long mac, long now) {
        if (config.isOwnAddress(hi, lo)) {
            return false;
        }
        if ((hi >>> 56) == 0xff || IpAddress.isIpv4(hi, lo)) {
            return true;        // the engine drops these sources itself
        }
        boolean onLink = config.inNetwork(hi, lo) || (hi >>> 54) == (0xfe80L >>> 6);
        return !onLink || network.bindNeighbor(hi, lo, mac, in, now, false) != NeighborTable.TAKEN;
    }
}
