package dev.jslirp.core.testkit;

import static dev.jslirp.core.testkit.GuestFrames.GATEWAY_MAC;
import static dev.jslirp.core.testkit.GuestFrames.GUEST_MAC;

import dev.jslirp.core.wire.Checksums;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.IcmpPacket;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv6Packet;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * IPv6 frames as a guest on QEMU's default network sends them (the counterpart of
 * {@link GuestFrames}): its SLAAC address in fec0::/64 made from its MAC (EUI-64), its
 * link-local address, and the network's addresses fec0::2 (host), fec0::3 (DNS) and
 * fe80::2 (router). Every builder returns a new heap buffer the caller owns.
 */
public final class GuestFrames6 {
    /** The guest's SLAAC address from {@link GuestFrames#GUEST_MAC} 52:54:00:12:34:56. */
    public static final IpAddress GUEST6 = IpAddress.parse("fec0::5054:ff:fe12:3456");
    /** The guest's link-local address. */
    public static final IpAddress GUEST6_LL = IpAddress.parse("fe80::5054:ff:fe12:3456");
    /** The host (gateway) address, the host's ::1. */
    public static final IpAddress HOST6 = IpAddress.parse("fec0::2");
    /** The DNS address. */
    public static final IpAddress DNS6 = IpAddress.parse("fec0::3");
    /** The router's link-local address. */
    public static final IpAddress ROUTER_LL = IpAddress.parse("fe80::2");
    /** ff02::1. */
    public static final IpAddress ALL_NODES = IpAddress.parse("ff02::1");
    /** ff02::2. */
    public static final IpAddress ALL_ROUTERS = IpAddress.parse("ff02::2");

    private GuestFrames6() {
    }

    /** The solicited-node multicast address of {@code a} (RFC 4291 section 2.7.1). */
    public static IpAddress solicitedNode(IpAddress a) {
        return IpAddress.of(0xff02_0000_0000_0000L, 0x0000_0001_ff00_0000L | (a.lo() & 0xff_ffffL));
    }

    /** The Ethernet destination of an IPv6 address: 33:33 + low 32 bits for multicast, else the gateway's MAC. */
    private static long macFor(IpAddress dst) {
        return dst.isMulticast() ? 0x3333_0000_0000L | (dst.lo() & 0xffff_ffffL) : GATEWAY_MAC;
    }

    /** An IPv6 frame from the guest; {@code extensions} (whole extension headers, may be empty) go before {@code l4}. */
    public static ByteBuf ipv6(IpAddress src, IpAddress dst, int firstNextHeader, int hopLimit, byte[] extensions,
                               ByteBuf l4) {
        try {
            int len = extensions.length + l4.readableBytes();
            ByteBuf b = Unpooled.buffer(EthernetFrame.HEADER_LENGTH + Ipv6Packet.HEADER_LENGTH + len);
            EthernetFrame.write(b, 0, macFor(dst), GUEST_MAC, EthernetFrame.TYPE_IPV6);
            Ipv6Packet.write(b, EthernetFrame.HEADER_LENGTH, 0, len, firstNextHeader, hopLimit, src.hi(), src.lo(),
                    dst.hi(), dst.lo());
            int at = EthernetFrame.HEADER_LENGTH + Ipv6Packet.HEADER_LENGTH;
            b.setBytes(at, extensions);
            b.setBytes(at + extensions.length, l4, l4.readerIndex(), l4.readableBytes());
            b.writerIndex(at + len);
            return b;
        } finally {
            l4.release();
        }
    }

    /** An IPv6 frame without extension headers. */
    public static ByteBuf ipv6(IpAddress src, IpAddress dst, int nextHeader, int hopLimit, ByteBuf l4) {
        return ipv6(src, dst, nextHeader, hopLimit, new byte[0], l4);
    }

    /** An ICMPv6 message with a correct checksum; {@code body} follows the 4-byte type/code/checksum header. */
    public static ByteBuf icmpv6(IpAddress src, IpAddress dst, int hopLimit, int type, int code, byte[] body) {
        int len = 4 + body.length;
        ByteBuf m = Unpooled.buffer(len);
        m.setByte(0, type);
        m.setByte(1, code);
        m.setShort(2, 0);
        m.setBytes(4, body);
        m.writerIndex(len);
        m.setShort(2, Checksums.transportChecksumOf(m, 0, len, Checksums.pseudoHeader(src, dst, 58, len)));
        return ipv6(src, dst, Ipv6Packet.NH_ICMPV6, hopLimit, m);
    }

    /** An echo request from the guest's global address. */
    public static ByteBuf echoRequest(IpAddress dst, int id, int seq, byte[] data) {
        return echoRequest(GUEST6, dst, id, seq, data);
    }

    /** An echo request from {@code src}. */
    public static ByteBuf echoRequest(IpAddress src, IpAddress dst, int id, int seq, byte[] data) {
        byte[] body = new byte[4 + data.length];
        body[0] = (byte) (id >> 8);
        body[1] = (byte) id;
        body[2] = (byte) (seq >> 8);
        body[3] = (byte) seq;
        System.arraycopy(data, 0, body, 4, data.length);
        return icmpv6(src, dst, 64, 128, 0, body);
    }

    /**
     * A neighbour solicitation for {@code target} from {@code src} (:: for a DAD probe,
     * then without a source link-layer option) to {@code target}'s solicited-node address.
     */
    public static ByteBuf neighborSolicitation(IpAddress src, IpAddress target) {
        boolean probe = src.isUnspecified();
        byte[] body = new byte[4 + 16 + (probe ? 0 : 8)];
        System.arraycopy(target.toIpv6Bytes(), 0, body, 4, 16);
        if (!probe) {
            body[20] = 1;
            body[21] = 1;
            macInto(body, 22, GUEST_MAC);
        }
        return icmpv6(src, solicitedNode(target), 255, 135, 0, body);
    }

    /** A solicited neighbour advertisement for the guest's {@code target}, to {@code dst}. */
    public static ByteBuf neighborAdvertisement(IpAddress target, IpAddress dst, int hopLimit) {
        byte[] body = new byte[4 + 16 + 8];
        body[0] = 0x60;   // solicited, override
        System.arraycopy(target.toIpv6Bytes(), 0, body, 4, 16);
        body[20] = 2;
        body[21] = 1;
        macInto(body, 22, GUEST_MAC);
        return icmpv6(target, dst, hopLimit, 136, 0, body);
    }

    /** A router solicitation from the guest's link-local address to all routers, with its link-layer address. */
    public static ByteBuf routerSolicitation() {
        byte[] body = new byte[4 + 8];
        body[4] = 1;
        body[5] = 1;
        macInto(body, 6, GUEST_MAC);
        return icmpv6(GUEST6_LL, ALL_ROUTERS, 255, 133, 0, body);
    }

    private static void macInto(byte[] b, int at, long mac) {
        for (int i = 0; i < 6; i++) {
            b[at + i] = (byte) (mac >>> (40 - 8 * i));
        }
    }

    /** A UDP datagram over IPv6 with its (mandatory) checksum. */
    public static ByteBuf udp(IpAddress src, int srcPort, IpAddress dst, int dstPort, byte[] data) {
        int len = UdpPacket.HEADER_LENGTH + data.length;
        ByteBuf udp = Unpooled.buffer(len);
        udp.setBytes(UdpPacket.HEADER_LENGTH, data);
        UdpPacket.writeHeader(udp, 0, srcPort, dstPort, len);
        udp.writerIndex(len);
        UdpPacket.writeChecksum(udp, 0, len, Checksums.pseudoHeader(src, dst, 17, len));
        return ipv6(src, dst, Ipv6Packet.NH_UDP, 64, udp);
    }

    /** A UDP datagram from the guest's global address. */
    public static ByteBuf udp(int srcPort, IpAddress dst, int dstPort, byte[] data) {
        return udp(GUEST6, srcPort, dst, dstPort, data);
    }

    /** A TCP segment over IPv6 from the guest's global address to {@code dst}, described by {@code spec}. */
    public static ByteBuf tcp(IpAddress dst, Consumer<GuestFrames.Tcp> spec) {
        return tcp(GUEST6, dst, spec);
    }

    /** A TCP segment over IPv6 from {@code src} to {@code dst}, described by {@code spec}. */
    public static ByteBuf tcp(IpAddress src, IpAddress dst, Consumer<GuestFrames.Tcp> spec) {
        ByteBuf seg = GuestFrames.tcpSegment(spec, Checksums.pseudoHeader(src.hi(), src.lo(), dst.hi(), dst.lo(), 6, 0));
        return ipv6(src, dst, Ipv6Packet.NH_TCP, 64, seg);
    }

    /**
     * Splits an IPv6 frame without extension headers (as built by this class) into
     * fragments with fragment headers carrying at most {@code chunk} bytes each (a
     * multiple of 8 but the last), in order. Releases {@code frame}.
     */
    public static List<ByteBuf> fragment(ByteBuf frame, int chunk, int id) {
        try {
            int ipOff = frame.readerIndex() + EthernetFrame.HEADER_LENGTH;
            int nh = frame.getUnsignedByte(ipOff + 6);
            int payloadLen = frame.getUnsignedShort(ipOff + 4);
            int step = chunk / 8 * 8;
            List<ByteBuf> out = new ArrayList<>();
            for (int off = 0; off < payloadLen; off += step) {
                int len = Math.min(step, payloadLen - off);
                boolean more = off + len < payloadLen;
                int hdr = EthernetFrame.HEADER_LENGTH + Ipv6Packet.HEADER_LENGTH;
                ByteBuf f = Unpooled.buffer(hdr + Ipv6Packet.FRAGMENT_HEADER_LENGTH + len);
                f.setBytes(0, frame, frame.readerIndex(), hdr);
                f.setShort(EthernetFrame.HEADER_LENGTH + 4, Ipv6Packet.FRAGMENT_HEADER_LENGTH + len);
                f.setByte(EthernetFrame.HEADER_LENGTH + 6, Ipv6Packet.NH_FRAGMENT);
                Ipv6Packet.writeFragmentHeader(f, hdr, nh, off, more, id);
                f.setBytes(hdr + Ipv6Packet.FRAGMENT_HEADER_LENGTH, frame, ipOff + Ipv6Packet.HEADER_LENGTH + off, len);
                f.writerIndex(hdr + Ipv6Packet.FRAGMENT_HEADER_LENGTH + len);
                out.add(f);
            }
            return out;
        } finally {
            frame.release();
        }
    }

    /** The MAC a frame to the guest's global or link-local address goes to. */
    public static long guestMac() {
        return GUEST_MAC;
    }

    /** Formats a MAC for messages. */
    public static String mac(long m) {
        return MacAddress.toString(m);
    }

    /** The ICMP header size, for readers of replies. */
    public static final int ICMP_HEADER = IcmpPacket.HEADER_LENGTH;

    /** The TCP header size without options. */
    public static final int TCP_HEADER = TcpPacket.MIN_HEADER_LENGTH;
}
