package dev.jslirp.core.testkit;

import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.wire.ArpPacket;
import dev.jslirp.core.wire.Checksums;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.IcmpPacket;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.core.wire.TcpOptions;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.function.Consumer;

/**
 * Builds frames as a guest would send them, for tests. Each returns a new heap buffer
 * the caller owns (handing it to the network passes ownership). The frames are built
 * with the same writers the network uses; tests that check those writers decode with
 * pcap4j instead.
 */
public final class GuestFrames {
    /** The test guest's MAC, QEMU's default for the first NIC. */
    public static final long GUEST_MAC = MacAddress.parse("52:54:00:12:34:56");
    /** The test guest's address, QEMU's first DHCP address. */
    public static final int GUEST_IP = Ipv4Address.parse("10.0.2.15");
    /** The gateway. */
    public static final int GATEWAY = Ipv4Address.parse("10.0.2.2");
    /** The DNS address. */
    public static final int DNS = Ipv4Address.parse("10.0.2.3");
    /** The gateway's MAC as jslirp and libslirp use it. */
    public static final long GATEWAY_MAC = MacAddress.parse("52:55:0a:00:02:02");

    private GuestFrames() {
    }

    /** An ARP request from the guest for {@code target}. */
    public static ByteBuf arpRequest(int target) {
        return arpRequest(GUEST_MAC, GUEST_IP, target);
    }

    /** An ARP request for {@code target} from another guest, at {@code mac} with address {@code ip}. */
    public static ByteBuf arpRequest(long mac, int ip, int target) {
        return arp(ArpPacket.OP_REQUEST, mac, MacAddress.BROADCAST, mac, ip, 0, target);
    }

    /**
     * An ARP packet of {@code operation} in a frame from {@code ethSource} to {@code ethDestination},
     * its sender and target fields as given (a lie, if a test wants one).
     */
    public static ByteBuf arp(int operation, long ethSource, long ethDestination, long senderMac, int senderIp,
                              long targetMac, int targetIp) {
        ByteBuf b = Unpooled.buffer(EthernetFrame.HEADER_LENGTH + ArpPacket.LENGTH);
        EthernetFrame.write(b, 0, ethDestination, ethSource, EthernetFrame.TYPE_ARP);
        ArpPacket.write(b, EthernetFrame.HEADER_LENGTH, operation, senderMac, senderIp, targetMac, targetIp);
        b.writerIndex(EthernetFrame.HEADER_LENGTH + ArpPacket.LENGTH);
        return b;
    }

    /**
     * {@code frame} as another guest sends it: its Ethernet source is {@code mac} and its
     * destination {@code destination} (for a frame the network builds to the gateway,
     * pass {@link #GATEWAY_MAC}). Returns {@code frame}, changed in place.
     */
    public static ByteBuf from(long mac, long destination, ByteBuf frame) {
        MacAddress.write(frame, frame.readerIndex(), destination);
        MacAddress.write(frame, frame.readerIndex() + 6, mac);
        return frame;
    }

    /** An IPv4 frame from the guest, carrying {@code l4} as given. */
    public static ByteBuf ipv4(int src, int dst, int protocol, ByteBuf l4) {
        try {
            int len = l4.readableBytes();
            ByteBuf b = Unpooled.buffer(EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH + len);
            EthernetFrame.write(b, 0, GATEWAY_MAC, GUEST_MAC, EthernetFrame.TYPE_IPV4);
            Ipv4Packet.write(b, EthernetFrame.HEADER_LENGTH, 0, Ipv4Packet.MIN_HEADER_LENGTH + len, 0x1234,
                    Ipv4Packet.FLAG_DF, 64, protocol, src, dst);
            b.setBytes(EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH, l4, l4.readerIndex(), len);
            b.writerIndex(EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH + len);
            return b;
        } finally {
            l4.release();
        }
    }

    /** An ICMP echo request from the guest to {@code dst}. */
    public static ByteBuf echoRequest(int dst, int id, int seq, byte[] data) {
        ByteBuf icmp = Unpooled.buffer(IcmpPacket.HEADER_LENGTH + data.length);
        icmp.setBytes(IcmpPacket.HEADER_LENGTH, data);
        IcmpPacket.write(icmp, 0, IcmpPacket.HEADER_LENGTH + data.length, IcmpPacket.TYPE_ECHO_REQUEST, 0, (id << 16) | seq);
        icmp.writerIndex(IcmpPacket.HEADER_LENGTH + data.length);
        return ipv4(GUEST_IP, dst, Ipv4Packet.PROTO_ICMP, icmp);
    }

    /** A UDP datagram from {@code src:srcPort} to {@code dst:dstPort}. */
    public static ByteBuf udp(int src, int srcPort, int dst, int dstPort, byte[] data) {
        int len = UdpPacket.HEADER_LENGTH + data.length;
        ByteBuf udp = Unpooled.buffer(len);
        udp.setBytes(UdpPacket.HEADER_LENGTH, data);
        UdpPacket.write(udp, 0, srcPort, dstPort, len, src, dst);
        udp.writerIndex(len);
        return ipv4(src, dst, Ipv4Packet.PROTO_UDP, udp);
    }

    /** A UDP datagram from the guest's address. */
    public static ByteBuf udp(int srcPort, int dst, int dstPort, byte[] data) {
        return udp(GUEST_IP, srcPort, dst, dstPort, data);
    }

    /** Describes one TCP segment for {@link #tcp}. */
    public static final class Tcp {
        int srcPort = 40000;
        int dstPort = 80;
        int seq;
        int ack;
        int flags;
        int window = 65535;
        byte[] data = new byte[0];
        final TcpOptions options = new TcpOptions().clear();

        /** Source port. */
        public Tcp from(int port) {
            srcPort = port;
            return this;
        }

        /** Destination port. */
        public Tcp to(int port) {
            dstPort = port;
            return this;
        }

        /** Sequence number. */
        public Tcp seq(int s) {
            seq = s;
            return this;
        }

        /** Acknowledgment number (sets ACK). */
        public Tcp ack(int a) {
            ack = a;
            flags |= TcpPacket.ACK;
            return this;
        }

        /** Adds flags. */
        public Tcp flags(int f) {
            flags |= f;
            return this;
        }

        /** Raw window field. */
        public Tcp window(int w) {
            window = w;
            return this;
        }

        /** Payload. */
        public Tcp data(byte[] d) {
            data = d;
            return this;
        }

        /** MSS option. */
        public Tcp mss(int m) {
            options.mss = m;
            return this;
        }

        /** Window scale option. */
        public Tcp windowScale(int s) {
            options.windowScale = s;
            return this;
        }

        /** SACK-permitted option. */
        public Tcp sackPermitted() {
            options.sackPermitted = true;
            return this;
        }

        /** Timestamp option. */
        public Tcp timestamp(int val, int ecr) {
            options.hasTimestamp = true;
            options.tsVal = val;
            options.tsEcr = ecr;
            return this;
        }
    }

    /** A TCP segment from the guest to {@code dst}, described by {@code spec}. */
    public static ByteBuf tcp(int dst, Consumer<Tcp> spec) {
        return tcp(GUEST_IP, dst, spec);
    }

    /** A TCP segment from {@code src} to {@code dst}, described by {@code spec}. */
    public static ByteBuf tcp(int src, int dst, Consumer<Tcp> spec) {
        ByteBuf seg = tcpSegment(spec, Checksums.pseudoHeader(src, dst, Ipv4Packet.PROTO_TCP, 0));
        return ipv4(src, dst, Ipv4Packet.PROTO_TCP, seg);
    }

    /**
     * The TCP segment {@code spec} describes, its checksum over the pseudo-header whose
     * sum without the length is {@code pseudoWithoutLength} (either family).
     */
    static ByteBuf tcpSegment(Consumer<Tcp> spec, long pseudoWithoutLength) {
        Tcp t = new Tcp();
        spec.accept(t);
        int optLen = t.options.writtenLength();
        int hdr = TcpPacket.MIN_HEADER_LENGTH + optLen;
        int len = hdr + t.data.length;
        ByteBuf seg = Unpooled.buffer(len);
        TcpPacket.writeHeader(seg, 0, t.srcPort, t.dstPort, t.seq, t.ack, hdr, t.flags, t.window);
        t.options.write(seg, TcpPacket.MIN_HEADER_LENGTH);
        seg.setBytes(hdr, t.data);
        TcpPacket.writeChecksum(seg, 0, len, pseudoWithoutLength + len);
        seg.writerIndex(len);
        return seg;
    }

    /**
     * Splits an IPv4 frame (as built by this class) into fragments carrying at most
     * {@code chunk} payload bytes each (rounded down to a multiple of 8), in order.
     * Releases {@code frame}; the caller owns the fragments.
     */
    public static java.util.List<ByteBuf> fragment(ByteBuf frame, int chunk) {
        try {
            int ipOff = frame.readerIndex() + EthernetFrame.HEADER_LENGTH;
            int hl = (frame.getUnsignedByte(ipOff) & 0x0f) * 4;
            int total = frame.getUnsignedShort(ipOff + 2);
            int payloadLen = total - hl;
            int step = chunk / 8 * 8;
            java.util.List<ByteBuf> out = new java.util.ArrayList<>();
            for (int off = 0; off < payloadLen; off += step) {
                int len = Math.min(step, payloadLen - off);
                boolean more = off + len < payloadLen;
                ByteBuf f = Unpooled.buffer(EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH + len);
                f.setBytes(0, frame, frame.readerIndex(), EthernetFrame.HEADER_LENGTH);
                Ipv4Packet.write(f, EthernetFrame.HEADER_LENGTH, 0, Ipv4Packet.MIN_HEADER_LENGTH + len,
                        frame.getUnsignedShort(ipOff + 4), (more ? Ipv4Packet.FLAG_MF : 0) | (off / 8),
                        64, frame.getUnsignedByte(ipOff + 9), frame.getInt(ipOff + 12), frame.getInt(ipOff + 16));
                f.setBytes(EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH, frame, ipOff + hl + off, len);
                f.writerIndex(EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH + len);
                out.add(f);
            }
            return out;
        } finally {
            frame.release();
        }
    }

    /**
     * Copies a frame into a buffer with {@link FrameSink#HEADROOM} in front, as frames
     * arriving from a transport may have none: for tests that feed recorded bytes.
     */
    public static ByteBuf of(byte[] frame) {
        return Unpooled.wrappedBuffer(frame);
    }
}
