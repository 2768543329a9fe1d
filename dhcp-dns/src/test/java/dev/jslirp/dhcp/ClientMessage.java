package dev.jslirp.dhcp;

import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;

/**
 * A DHCP/BOOTP message as a client sends it, built byte by byte from RFC 2131's
 * layout (not with the server's own writer), then wrapped in UDP/IPv4/Ethernet from
 * the client's MAC. Every field can be set wrong on purpose for malformed-input tests.
 */
final class ClientMessage {
    static final int BROADCAST_FLAG = 0x8000;

    long mac = GuestFrames.GUEST_MAC;
    int op = 1;
    int htype = 1;
    int hlen = 6;
    int xid = 0x2a2b2c2d;
    int secs;
    int flags;
    int ciaddr;
    int giaddr;
    boolean cookie = true;
    int cookieValue = 0x63825363;
    final ByteArrayOutputStream options = new ByteArrayOutputStream();
    boolean end = true;
    int padTo = 300;
    int truncateTo = -1;
    int srcIp = Ipv4Address.ANY;
    int dstIp = Ipv4Address.BROADCAST;
    int srcPort = 68;
    int dstPort = 67;

    static ClientMessage of(int messageType) {
        ClientMessage m = new ClientMessage();
        if (messageType > 0) {
            m.option(53, messageType);
        }
        return m;
    }

    static ClientMessage discover() {
        return of(1);
    }

    static ClientMessage request() {
        return of(3);
    }

    ClientMessage mac(long m) {
        mac = m;
        return this;
    }

    ClientMessage xid(int x) {
        xid = x;
        return this;
    }

    ClientMessage ciaddr(int a) {
        ciaddr = a;
        return this;
    }

    ClientMessage broadcastFlag() {
        flags |= BROADCAST_FLAG;
        return this;
    }

    /** The IP addresses of the datagram (default 0.0.0.0 -> 255.255.255.255). */
    ClientMessage ip(int src, int dst) {
        srcIp = src;
        dstIp = dst;
        return this;
    }

    /** Option 50. */
    ClientMessage requested(int address) {
        return option(50, ByteBuffer.allocate(4).putInt(address).array());
    }

    /** Option 54. */
    ClientMessage serverId(int address) {
        return option(54, ByteBuffer.allocate(4).putInt(address).array());
    }

    /** Option 57. */
    ClientMessage maxSize(int size) {
        return option(57, new byte[] {(byte) (size >> 8), (byte) size});
    }

    /** Option 61. */
    ClientMessage clientId(byte[] id) {
        return option(61, id);
    }

    ClientMessage option(int code, int oneByte) {
        return option(code, new byte[] {(byte) oneByte});
    }

    ClientMessage option(int code, byte[] value) {
        options.write(code);
        options.write(value.length);
        options.write(value, 0, value.length);
        return this;
    }

    /** Raw bytes in the options area, for malformed shapes. */
    ClientMessage raw(byte... bytes) {
        options.write(bytes, 0, bytes.length);
        return this;
    }

    ClientMessage noEnd() {
        end = false;
        padTo = 0;
        return this;
    }

    /** The BOOTP message bytes (the UDP payload). */
    byte[] bootp() {
        ByteBuffer b = ByteBuffer.allocate(4096);
        b.put((byte) op).put((byte) htype).put((byte) hlen).put((byte) 0);
        b.putInt(xid).putShort((short) secs).putShort((short) flags);
        b.putInt(ciaddr).putInt(0).putInt(0).putInt(giaddr);
        byte[] chaddr = new byte[16];
        for (int i = 0; i < 6; i++) {
            chaddr[i] = (byte) (mac >>> (40 - 8 * i));
        }
        b.put(chaddr).put(new byte[64]).put(new byte[128]);
        if (cookie) {
            b.putInt(cookieValue);
        }
        b.put(options.toByteArray());
        if (end) {
            b.put((byte) 255);
        }
        while (b.position() < padTo) {
            b.put((byte) 0);
        }
        int len = truncateTo >= 0 ? Math.min(truncateTo, b.position()) : b.position();
        byte[] out = new byte[len];
        b.flip();
        b.get(out);
        return out;
    }

    /** The whole Ethernet frame from the client's MAC, ready for the network (the caller owns it). */
    ByteBuf frame() {
        return frameOf(bootp());
    }

    ByteBuf frameOf(byte[] payload) {
        int udpLen = UdpPacket.HEADER_LENGTH + payload.length;
        int ipLen = Ipv4Packet.MIN_HEADER_LENGTH + udpLen;
        ByteBuf b = Unpooled.buffer(EthernetFrame.HEADER_LENGTH + ipLen);
        long dstMac = dstIp == Ipv4Address.BROADCAST ? MacAddress.BROADCAST : GuestFrames.GATEWAY_MAC;
        EthernetFrame.write(b, 0, dstMac, mac, EthernetFrame.TYPE_IPV4);
        int udpOff = EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH;
        b.setBytes(udpOff + UdpPacket.HEADER_LENGTH, payload);
        UdpPacket.write(b, udpOff, srcPort, dstPort, udpLen, srcIp, dstIp);
        Ipv4Packet.write(b, EthernetFrame.HEADER_LENGTH, 0, ipLen, 1, 0, 64, Ipv4Packet.PROTO_UDP, srcIp, dstIp);
        b.writerIndex(EthernetFrame.HEADER_LENGTH + ipLen);
        return b;
    }
}
