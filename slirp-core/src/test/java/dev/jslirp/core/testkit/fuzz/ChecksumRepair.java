package dev.jslirp.core.testkit.fuzz;

import dev.jslirp.core.wire.Checksums;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.Ipv6Packet;
import io.netty.buffer.ByteBuf;

/**
 * Makes the checksums of a (possibly mangled) frame valid where its structure lets one
 * say where they are: the IPv4 header checksum, and the TCP, UDP, ICMP or ICMPv6
 * checksum of an unfragmented packet over the transport bytes its IP header claims.
 * A fuzzer cannot guess a 16-bit checksum; without this, every mutation of a header
 * would stop at the checksum check. Frames with bad checksums are still fuzzed (the
 * script's raw frames).
 */
public final class ChecksumRepair {
    private static final int PROTO_ICMP = 1;
    private static final int PROTO_TCP = 6;
    private static final int PROTO_UDP = 17;
    private static final int PROTO_ICMPV6 = 58;

    private ChecksumRepair() {
    }

    /** Repairs {@code frame}, {@code [readerIndex, writerIndex)}, in place. */
    public static void repair(ByteBuf frame) {
        int start = frame.readerIndex();
        int end = frame.writerIndex();
        if (end - start < EthernetFrame.HEADER_LENGTH) {
            return;
        }
        int type = frame.getUnsignedShort(start + 12);
        int ip = start + EthernetFrame.HEADER_LENGTH;
        if (type == EthernetFrame.TYPE_IPV4) {
            repairIpv4(frame, ip, end);
        } else if (type == EthernetFrame.TYPE_IPV6) {
            repairIpv6(frame, ip, end);
        }
    }

    private static void repairIpv4(ByteBuf f, int off, int end) {
        if (end - off < 20) {
            return;
        }
        int ihl = (f.getUnsignedByte(off) & 0x0f) * 4;
        if (ihl < 20 || off + ihl > end) {
            return;
        }
        f.setShort(off + 10, 0);
        f.setShort(off + 10, Checksums.checksum(f, off, ihl));
        int total = f.getUnsignedShort(off + 2);
        if (total < ihl || (f.getUnsignedShort(off + 6) & 0x3fff) != 0) {
            return;       // a fragment's transport checksum covers the whole datagram
        }
        int tOff = off + ihl;
        int tLen = Math.min(off + total, end) - tOff;
        int proto = f.getUnsignedByte(off + 9);
        long pseudo = proto == PROTO_ICMP ? 0
                : Checksums.pseudoHeader(f.getInt(off + 12), f.getInt(off + 16), proto, tLen);
        repairTransport(f, proto, tOff, tLen, pseudo);
    }

    private static void repairIpv6(ByteBuf f, int off, int end) {
        Ipv6Packet ip = new Ipv6Packet();
        if (ip.wrap(f, off, end) != null || ip.isFragment()) {
            return;
        }
        int proto = ip.upperProtocol();
        int len = ip.upperLength();
        long pseudo = Checksums.pseudoHeader(ip.sourceHi(), ip.sourceLo(), ip.destinationHi(), ip.destinationLo(),
                proto, len);
        repairTransport(f, proto, ip.upperOffset(), len, pseudo);
    }

    private static void repairTransport(ByteBuf f, int proto, int off, int len, long pseudo) {
        int field;
        switch (proto) {
            case PROTO_TCP:
                field = 16;
                break;
            case PROTO_UDP:
                field = 6;
                break;
            case PROTO_ICMP:
            case PROTO_ICMPV6:
                field = 2;
                break;
            default:
                return;
        }
        if (len < field + 2) {
            return;
        }
        f.setShort(off + field, 0);
        int sum = Checksums.transportChecksumOf(f, off, len, pseudo);
        f.setShort(off + field, proto == PROTO_UDP && sum == 0 ? 0xffff : sum);
    }
}
