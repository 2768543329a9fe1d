package dev.jslirp.testkit;

import dev.jslirp.core.wire.ArpPacket;
import dev.jslirp.core.wire.Checksums;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.IcmpPacket;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.Ipv6Packet;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.core.wire.NdpOptions;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Builds the frames a guest sends, with the core's header writers and checksums, in
 * buffers of the network's allocator (so the leak check sees them too). IP packets are of
 * the family of their addresses: IPv4 (mapped {@link IpAddress}es) or IPv6. Each method
 * returns a new frame the caller hands to the network, which releases it.
 */
final class FrameWriter {
    private static final int IP_OFFSET = EthernetFrame.HEADER_LENGTH;
    /** MSS option: kind 2, length 4 (RFC 9293, 3.2). The one option the guest offers. */
    private static final int MSS_OPTION_LENGTH = 4;
    /** Neighbour discovery's hop limit, which receivers check (RFC 4861 sections 6.1, 7.1). */
    private static final int NDP_HOP_LIMIT = 255;
    /** ICMPv6 header, reserved or flags, target address (RFC 4861 sections 4.3, 4.4). */
    private static final int NS_NA_LENGTH = IcmpPacket.HEADER_LENGTH + 16;
    /** A link-layer address option for Ethernet: type, length 1 (in 8 bytes), the MAC (RFC 4861 section 4.6.1). */
    private static final int LINK_LAYER_OPTION_LENGTH = 8;
    /** Neighbour advertisement flags (RFC 4861 section 4.4): an answer, which replaces what the asker knew. */
    private static final int NA_SOLICITED = 0x4000_0000;
    private static final int NA_OVERRIDE = 0x2000_0000;
    /** ff02::2, all routers. */
    static final IpAddress ALL_ROUTERS = IpAddress.parse("ff02::2");
    /** ff02::1, all nodes. */
    static final IpAddress ALL_NODES = IpAddress.parse("ff02::1");

    private final ByteBufAllocator alloc;
    private final long mac;
    private int identification;

    FrameWriter(ByteBufAllocator alloc, long mac) {
        this.alloc = alloc;
        this.mac = mac;
    }

    /** An ARP packet of {@code operation} from this guest. */
    ByteBuf arp(int operation, long ethDestination, int senderIp, long targetMac, int targetIp) {
        ByteBuf b = alloc.buffer(EthernetFrame.HEADER_LENGTH + ArpPacket.LENGTH);
        EthernetFrame.write(b, 0, ethDestination, mac, EthernetFrame.TYPE_ARP);
        ArpPacket.write(b, IP_OFFSET, operation, mac, senderIp, targetMac, targetIp);
        return b.writerIndex(EthernetFrame.HEADER_LENGTH + ArpPacket.LENGTH);
    }

    /** A UDP datagram from {@code src} to {@code dst} (both of one family) in a frame to {@code ethDestination}. */
    ByteBuf udp(long ethDestination, IpAddress src, int srcPort, IpAddress dst, int dstPort, byte[] data) {
        int udpLength = UdpPacket.HEADER_LENGTH + data.length;
        ByteBuf b = ip(ethDestination, src, dst, Ipv4Packet.PROTO_UDP, Ipv6Packet.DEFAULT_HOP_LIMIT, udpLength);
        int l4 = transportOffset(src);
        b.setBytes(l4 + UdpPacket.HEADER_LENGTH, data);
        UdpPacket.writeHeader(b, l4, srcPort, dstPort, udpLength);
        UdpPacket.writeChecksum(b, l4, udpLength, Checksums.pseudoHeader(src, dst, Ipv4Packet.PROTO_UDP, udpLength));
        return b;
    }

    /**
     * A TCP segment from {@code src} to {@code dst} (both of one family); with {@code mss}
     * > 0 it carries the MSS option (a SYN), otherwise no option.
     */
    ByteBuf tcp(long ethDestination, IpAddress src, int srcPort, IpAddress dst, int dstPort, int seq, int ack,
                int flags, int window, int mss, byte[] data, int dataOffset, int dataLength) {
        int headerLength = TcpPacket.MIN_HEADER_LENGTH + (mss > 0 ? MSS_OPTION_LENGTH : 0);
        int segmentLength = headerLength + dataLength;
        ByteBuf b = ip(ethDestination, src, dst, Ipv4Packet.PROTO_TCP, Ipv6Packet.DEFAULT_HOP_LIMIT, segmentLength);
        int l4 = transportOffset(src);
        TcpPacket.writeHeader(b, l4, srcPort, dstPort, seq, ack, headerLength, flags, window);
        if (mss > 0) {
            b.setByte(l4 + TcpPacket.MIN_HEADER_LENGTH, 2);
            b.setByte(l4 + TcpPacket.MIN_HEADER_LENGTH + 1, MSS_OPTION_LENGTH);
            b.setShort(l4 + TcpPacket.MIN_HEADER_LENGTH + 2, mss);
        }
        b.setBytes(l4 + headerLength, data, dataOffset, dataLength);
        TcpPacket.writeChecksum(b, l4, segmentLength,
                Checksums.pseudoHeader(src, dst, Ipv4Packet.PROTO_TCP, segmentLength));
        return b;
    }

    /**
     * A router solicitation from {@code src} (the guest's link-local address) to all routers,
     * with the guest's link-layer address (RFC 4861 section 4.1).
     */
    ByteBuf routerSolicitation(IpAddress src) {
        int len = IcmpPacket.HEADER_LENGTH + LINK_LAYER_OPTION_LENGTH;
        ByteBuf b = ndp(src, ALL_ROUTERS, multicastMac(ALL_ROUTERS), len);
        int l4 = transportOffset(src);
        IcmpPacket.writeHeader(b, l4, NeighborDiscovery.ROUTER_SOLICITATION, 0, 0);
        linkLayerOption(b, l4 + IcmpPacket.HEADER_LENGTH, NdpOptions.SOURCE_LINK_LAYER);
        return icmpv6Checksum(b, src, ALL_ROUTERS, len);
    }

    /**
     * A neighbour solicitation from {@code src} for {@code target}'s MAC, to its
     * solicited-node multicast address (RFC 4861 sections 4.3, 7.2.2).
     */
    ByteBuf neighborSolicitation(IpAddress src, IpAddress target) {
        IpAddress dst = solicitedNode(target);
        int len = NS_NA_LENGTH + LINK_LAYER_OPTION_LENGTH;
        ByteBuf b = ndp(src, dst, multicastMac(dst), len);
        int l4 = transportOffset(src);
        IcmpPacket.writeHeader(b, l4, NeighborDiscovery.NEIGHBOR_SOLICITATION, 0, 0);
        b.setLong(l4 + 8, target.hi()).setLong(l4 + 16, target.lo());
        linkLayerOption(b, l4 + NS_NA_LENGTH, NdpOptions.SOURCE_LINK_LAYER);
        return icmpv6Checksum(b, src, dst, len);
    }

    /**
     * The guest's answer to a solicitation for its {@code target}, with its MAC, to
     * {@code dst} at {@code ethDestination}: override, and solicited unless it answers a
     * duplicate address detection probe (to all nodes; RFC 4861 section 7.2.4).
     */
    ByteBuf neighborAdvertisement(long ethDestination, IpAddress target, IpAddress dst, boolean solicited) {
        int len = NS_NA_LENGTH + LINK_LAYER_OPTION_LENGTH;
        ByteBuf b = ndp(target, dst, ethDestination, len);
        int l4 = transportOffset(target);
        IcmpPacket.writeHeader(b, l4, NeighborDiscovery.NEIGHBOR_ADVERTISEMENT, 0,
                NA_OVERRIDE | (solicited ? NA_SOLICITED : 0));
        b.setLong(l4 + 8, target.hi()).setLong(l4 + 16, target.lo());
        linkLayerOption(b, l4 + NS_NA_LENGTH, NdpOptions.TARGET_LINK_LAYER);
        return icmpv6Checksum(b, target, dst, len);
    }

    private ByteBuf ndp(IpAddress src, IpAddress dst, long ethDestination, int length) {
        return ip(ethDestination, src, dst, Ipv6Packet.NH_ICMPV6, NDP_HOP_LIMIT, length);
    }

    private void linkLayerOption(ByteBuf b, int at, int type) {
        b.setByte(at, type);
        b.setByte(at + 1, LINK_LAYER_OPTION_LENGTH / 8);
        MacAddress.write(b, at + 2, mac);
    }

    private static ByteBuf icmpv6Checksum(ByteBuf b, IpAddress src, IpAddress dst, int length) {
        IcmpPacket.writeChecksum(b, transportOffset(src), length,
                Checksums.pseudoHeader(src, dst, Ipv6Packet.NH_ICMPV6, length));
        return b;
    }

    /** The solicited-node multicast address of {@code a}: ff02::1:ff and its low 24 bits (RFC 4291 section 2.7.1). */
    static IpAddress solicitedNode(IpAddress a) {
        return IpAddress.of(0xff02_0000_0000_0000L, 0x0000_0001_ff00_0000L | (a.lo() & 0xff_ffffL));
    }

    /** The MAC of an IPv6 multicast address: 33:33 and its low 32 bits (RFC 2464 section 7). */
    static long multicastMac(IpAddress group) {
        return 0x3333_0000_0000L | (group.lo() & 0xffff_ffffL);
    }

    /** Where the transport header starts in a frame from {@code src}. */
    private static int transportOffset(IpAddress src) {
        return IP_OFFSET + (src.isIpv4() ? Ipv4Packet.MIN_HEADER_LENGTH : Ipv6Packet.HEADER_LENGTH);
    }

    /** An IP header of {@code src}'s family in a new frame, the transport's bytes still to be written. */
    private ByteBuf ip(long ethDestination, IpAddress src, IpAddress dst, int protocol, int hopLimit,
                       int transportLength) {
        if (src.isIpv4() != dst.isIpv4()) {
            throw new IllegalArgumentException("addresses of two families: " + src + " > " + dst);
        }
        int l4 = transportOffset(src);
        ByteBuf b = alloc.buffer(l4 + transportLength);
        if (src.isIpv4()) {
            EthernetFrame.write(b, 0, ethDestination, mac, EthernetFrame.TYPE_IPV4);
            Ipv4Packet.write(b, IP_OFFSET, 0, Ipv4Packet.MIN_HEADER_LENGTH + transportLength,
                    identification++ & 0xffff, Ipv4Packet.FLAG_DF, Ipv4Packet.DEFAULT_TTL, protocol, src.ipv4(),
                    dst.ipv4());
        } else {
            EthernetFrame.write(b, 0, ethDestination, mac, EthernetFrame.TYPE_IPV6);
            Ipv6Packet.write(b, IP_OFFSET, 0, transportLength, protocol, hopLimit, src.hi(), src.lo(), dst.hi(),
                    dst.lo());
        }
        return b.writerIndex(l4 + transportLength);
    }

    /** The guest's MAC. */
    long mac() {
        return mac;
    }

    /** The allocator frames are built with. */
    ByteBufAllocator alloc() {
        return alloc;
    }
}
