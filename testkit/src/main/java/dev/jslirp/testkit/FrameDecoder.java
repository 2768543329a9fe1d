package dev.jslirp.testkit;

import dev.jslirp.core.wire.ArpPacket;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.IcmpPacket;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.Ipv6Packet;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

/**
 * Decodes a frame with the core's own views ({@link EthernetFrame}, {@link Ipv4Packet}...),
 * whose {@code wrap} holds every length check, into a {@link Frame} of copies. Not
 * thread-safe (one per guest, used on the network's event loop).
 */
final class FrameDecoder {
    private final EthernetFrame eth = new EthernetFrame();
    private final ArpPacket arp = new ArpPacket();
    private final Ipv4Packet ip4 = new Ipv4Packet();
    private final Ipv6Packet ip6 = new Ipv6Packet();
    private final TcpPacket tcp = new TcpPacket();
    private final UdpPacket udp = new UdpPacket();
    private final IcmpPacket icmp = new IcmpPacket();

    /** Decodes {@code frame}, which stays the caller's. */
    Frame decode(ByteBuf frame) {
        byte[] bytes = ByteBufUtil.getBytes(frame);
        if (!eth.wrap(frame)) {
            return new Frame("?", "?", -1, new Frame.Undecoded("shorter than an Ethernet header"), bytes);
        }
        return new Frame(MacAddress.toString(eth.source()), MacAddress.toString(eth.destination()),
                eth.etherType(), packet(frame), bytes);
    }

    private Frame.Packet packet(ByteBuf frame) {
        int off = eth.payloadOffset();
        int end = off + eth.payloadLength();
        switch (eth.etherType()) {
            case EthernetFrame.TYPE_ARP:
                if (!arp.wrap(frame, off, end)) {
                    return new Frame.Undecoded("malformed ARP");
                }
                return new Frame.Arp(arp.operation(), MacAddress.toString(arp.senderMac()),
                        Ipv4Address.toString(arp.senderIp()), MacAddress.toString(arp.targetMac()),
                        Ipv4Address.toString(arp.targetIp()));
            case EthernetFrame.TYPE_IPV4:
                if (ip4.wrap(frame, off, end) != null) {
                    return new Frame.Undecoded("malformed IPv4");
                }
                String s4 = Ipv4Address.toString(ip4.source());
                String d4 = Ipv4Address.toString(ip4.destination());
                if (ip4.isFragment()) {
                    return new Frame.OtherIp(s4, d4, ip4.protocol());
                }
                return transport(frame, s4, d4, false, ip4.protocol(), ip4.payloadOffset(), ip4.payloadLength());
            case EthernetFrame.TYPE_IPV6:
                if (ip6.wrap(frame, off, end) != null) {
                    return new Frame.Undecoded("malformed IPv6");
                }
                String s6 = IpAddress.of(ip6.sourceHi(), ip6.sourceLo()).toString();
                String d6 = IpAddress.of(ip6.destinationHi(), ip6.destinationLo()).toString();
                if (ip6.isFragment()) {
                    return new Frame.OtherIp(s6, d6, ip6.upperProtocol());
                }
                return transport(frame, s6, d6, true, ip6.upperProtocol(), ip6.upperOffset(), ip6.upperLength());
            default:
                return new Frame.Undecoded(String.format("EtherType 0x%04x", eth.etherType()));
        }
    }

    private Frame.Packet transport(ByteBuf frame, String src, String dst, boolean ipv6, int protocol,
                                   int off, int len) {
        if (protocol == Ipv4Packet.PROTO_TCP && tcp.wrap(frame, off, len)) {
            return new Frame.Tcp(src, tcp.sourcePort(), dst, tcp.destinationPort(),
                    tcp.seq() & 0xffffffffL, tcp.ack() & 0xffffffffL, TcpPacket.flagsToString(tcp.flags()),
                    tcp.window(), ByteBufUtil.getBytes(frame, tcp.payloadOffset(), tcp.payloadLength()));
        }
        if (protocol == Ipv4Packet.PROTO_UDP && udp.wrap(frame, off, len)) {
            return new Frame.Udp(src, udp.sourcePort(), dst, udp.destinationPort(),
                    ByteBufUtil.getBytes(frame, udp.payloadOffset(), udp.payloadLength()));
        }
        boolean isIcmp = ipv6 ? protocol == Ipv6Packet.NH_ICMPV6 : protocol == Ipv4Packet.PROTO_ICMP;
        if (isIcmp && icmp.wrap(frame, off, len)) {
            return new Frame.Icmp(src, dst, ipv6, icmp.type(), icmp.code(),
                    ByteBufUtil.getBytes(frame, off + 4, len - 4));
        }
        return new Frame.OtherIp(src, dst, protocol);
    }
}
