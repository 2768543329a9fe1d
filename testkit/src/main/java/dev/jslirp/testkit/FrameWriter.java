package dev.jslirp.testkit;

import dev.jslirp.core.wire.ArpPacket;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Builds the frames a guest sends, with the core's header writers, in buffers of the
 * network's allocator (so the leak check sees them too). Each method returns a new
 * frame the caller hands to the network, which releases it.
 */
final class FrameWriter {
    private static final int IP_OFFSET = EthernetFrame.HEADER_LENGTH;
    private static final int L4_OFFSET = IP_OFFSET + Ipv4Packet.MIN_HEADER_LENGTH;
    /** MSS option: kind 2, length 4 (RFC 9293, 3.2). The one option the guest offers. */
    private static final int MSS_OPTION_LENGTH = 4;

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

    /** A UDP datagram in an IPv4 frame to {@code ethDestination}. */
    ByteBuf udp(long ethDestination, int src, int srcPort, int dst, int dstPort, byte[] data) {
        int udpLength = UdpPacket.HEADER_LENGTH + data.length;
        ByteBuf b = ipv4(ethDestination, src, dst, Ipv4Packet.PROTO_UDP, udpLength);
        b.setBytes(L4_OFFSET + UdpPacket.HEADER_LENGTH, data);
        UdpPacket.write(b, L4_OFFSET, srcPort, dstPort, udpLength, src, dst);
        return b;
    }

    /**
     * A TCP segment in an IPv4 frame; with {@code mss} > 0 it carries the MSS option (a
     * SYN), otherwise no option.
     */
    ByteBuf tcp(long ethDestination, int src, int srcPort, int dst, int dstPort, int seq, int ack, int flags,
                int window, int mss, byte[] data, int dataOffset, int dataLength) {
        int headerLength = TcpPacket.MIN_HEADER_LENGTH + (mss > 0 ? MSS_OPTION_LENGTH : 0);
        int segmentLength = headerLength + dataLength;
        ByteBuf b = ipv4(ethDestination, src, dst, Ipv4Packet.PROTO_TCP, segmentLength);
        TcpPacket.writeHeader(b, L4_OFFSET, srcPort, dstPort, seq, ack, headerLength, flags, window);
        if (mss > 0) {
            b.setByte(L4_OFFSET + TcpPacket.MIN_HEADER_LENGTH, 2);
            b.setByte(L4_OFFSET + TcpPacket.MIN_HEADER_LENGTH + 1, MSS_OPTION_LENGTH);
            b.setShort(L4_OFFSET + TcpPacket.MIN_HEADER_LENGTH + 2, mss);
        }
        b.setBytes(L4_OFFSET + headerLength, data, dataOffset, dataLength);
        TcpPacket.writeChecksum(b, L4_OFFSET, segmentLength, src, dst);
        return b;
    }

    private ByteBuf ipv4(long ethDestination, int src, int dst, int protocol, int transportLength) {
        int total = Ipv4Packet.MIN_HEADER_LENGTH + transportLength;
        ByteBuf b = alloc.buffer(IP_OFFSET + total);
        EthernetFrame.write(b, 0, ethDestination, mac, EthernetFrame.TYPE_IPV4);
        Ipv4Packet.write(b, IP_OFFSET, 0, total, identification++ & 0xffff, Ipv4Packet.FLAG_DF,
                Ipv4Packet.DEFAULT_TTL, protocol, src, dst);
        return b.writerIndex(IP_OFFSET + total);
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
