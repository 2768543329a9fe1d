package dev.jslirp.core.testkit.fuzz;

import dev.jslirp.core.wire.Checksums;
import dev.jslirp.core.wire.Ipv6Packet;
import io.netty.buffer.ByteBuf;

/**
 * What every frame the network sends the guest must be, whatever the guest sent: within
 * the MTU, an IPv4 header whose lengths and checksum hold, an IPv6 packet whose lengths
 * and extension headers hold, and, for an unfragmented packet, a valid TCP, UDP, ICMP or
 * ICMPv6 checksum. Written from RFC 791, 8200, 768, 9293, 792 and 4443 with the
 * network's checksum arithmetic only, so a wrong length or sum the network writes shows.
 */
public final class OutboundFrames {
    private OutboundFrames() {
    }

    /** Null if {@code f} (its readable bytes) is well-formed for a link of {@code mtu}, else what is wrong. */
    public static String problem(ByteBuf f, int mtu) {
        int start = f.readerIndex();
        int len = f.readableBytes();
        if (len < 14) {
            return "frame of " + len + " bytes";
        }
        if (len > mtu + 14) {
            return "frame of " + len + " bytes above the MTU " + mtu;
        }
        int type = f.getUnsignedShort(start + 12);
        int ip = start + 14;
        int end = start + len;
        switch (type) {
            case 0x0806:
                return len >= 42 ? null : "ARP of " + len + " bytes";
            case 0x0800:
                return ipv4(f, ip, end);
            case 0x86dd:
                return ipv6(f, ip, end);
            default:
                return "ethertype " + Integer.toHexString(type);
        }
    }

    private static String ipv4(ByteBuf f, int off, int end) {
        if (end - off < 20 || (f.getUnsignedByte(off) >>> 4) != 4) {
            return "not an IPv4 header";
        }
        int ihl = (f.getUnsignedByte(off) & 0x0f) * 4;
        int total = f.getUnsignedShort(off + 2);
        if (ihl < 20 || total < ihl || off + total > end) {
            return "IPv4 header length " + ihl + ", total length " + total + ", " + (end - off) + " bytes";
        }
        if (Checksums.fold(Checksums.add(0, f, off, ihl)) != 0xffff) {
            return "IPv4 header checksum";
        }
        if ((f.getUnsignedShort(off + 6) & 0x3fff) != 0) {
            return null;       // a fragment: its transport checksum covers the whole datagram
        }
        int proto = f.getUnsignedByte(off + 9);
        int tLen = total - ihl;
        long pseudo = proto == 1 ? 0 : Checksums.pseudoHeader(f.getInt(off + 12), f.getInt(off + 16), proto, tLen);
        return transport(f, proto, off + ihl, tLen, pseudo, true);
    }

    private static String ipv6(ByteBuf f, int off, int end) {
        Ipv6Packet ip = new Ipv6Packet();
        Object bad = ip.wrap(f, off, end);
        if (bad != null) {
            return "IPv6 packet: " + bad;
        }
        if (ip.isFragment()) {
            return null;
        }
        int proto = ip.upperProtocol();
        long pseudo = Checksums.pseudoHeader(ip.sourceHi(), ip.sourceLo(), ip.destinationHi(), ip.destinationLo(),
                proto, ip.upperLength());
        return transport(f, proto, ip.upperOffset(), ip.upperLength(), pseudo, false);
    }

    private static String transport(ByteBuf f, int proto, int off, int len, long pseudo, boolean v4) {
        int min = proto == 6 ? 20 : proto == 17 ? 8 : 4;
        if (proto != 1 && proto != 6 && proto != 17 && proto != 58) {
            return null;
        }
        if (len < min) {
            return "transport " + proto + " of " + len + " bytes";
        }
        if (proto == 17) {
            int udpLen = f.getUnsignedShort(off + 4);
            if (udpLen != len) {
                return "UDP length " + udpLen + " in " + len + " bytes";
            }
            if (v4 && f.getUnsignedShort(off + 6) == 0) {
                return null;   // no checksum (RFC 768)
            }
        }
        if (Checksums.fold(Checksums.add(pseudo, f, off, len)) != 0xffff) {
            return "checksum of protocol " + proto;
        }
        return null;
    }
}
