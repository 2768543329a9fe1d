package dev.jslirp.nat.udp;

import static dev.jslirp.core.testkit.GuestFrames.GATEWAY_MAC;
import static dev.jslirp.core.testkit.GuestFrames.GUEST_IP;
import static dev.jslirp.core.testkit.GuestFrames.GUEST_MAC;

import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds a UDP datagram from the guest as the IPv4 fragments a guest sends when the
 * datagram exceeds its MTU (RFC 791 section 3.2: offsets in 8-byte units, MF on all but
 * the last). Each frame is a new heap buffer the caller owns.
 */
final class GuestFragments {
    private GuestFragments() {
    }

    /** The datagram {@code srcPort -> dst:dstPort} carrying {@code data}, cut to fit {@code mtu}. */
    static List<ByteBuf> udp(int srcPort, int dst, int dstPort, byte[] data, int mtu, int ipId) {
        int udpLen = UdpPacket.HEADER_LENGTH + data.length;
        ByteBuf whole = Unpooled.buffer(udpLen);
        try {
            whole.setBytes(UdpPacket.HEADER_LENGTH, data);
            UdpPacket.write(whole, 0, srcPort, dstPort, udpLen, GUEST_IP, dst);
            int chunk = (mtu - Ipv4Packet.MIN_HEADER_LENGTH) / 8 * 8;
            List<ByteBuf> frames = new ArrayList<>();
            for (int off = 0; off < udpLen; off += chunk) {
                int len = Math.min(chunk, udpLen - off);
                boolean more = off + len < udpLen;
                int ipOff = EthernetFrame.HEADER_LENGTH;
                ByteBuf f = Unpooled.buffer(ipOff + Ipv4Packet.MIN_HEADER_LENGTH + len);
                EthernetFrame.write(f, 0, GATEWAY_MAC, GUEST_MAC, EthernetFrame.TYPE_IPV4);
                Ipv4Packet.write(f, ipOff, 0, Ipv4Packet.MIN_HEADER_LENGTH + len, ipId,
                        (more ? Ipv4Packet.FLAG_MF : 0) | (off / 8), 64, Ipv4Packet.PROTO_UDP, GUEST_IP, dst);
                f.setBytes(ipOff + Ipv4Packet.MIN_HEADER_LENGTH, whole, off, len);
                f.writerIndex(ipOff + Ipv4Packet.MIN_HEADER_LENGTH + len);
                frames.add(f);
            }
            return frames;
        } finally {
            whole.release();
        }
    }
}
