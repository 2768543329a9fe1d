package dev.jslirp.bench;

import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.wire.Ipv4Address;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * The DHCP and DNS messages the benchmarks' guest sends, written from the RFC layouts
 * (not with the servers' own code) and wrapped by {@link GuestFrames}.
 */
final class ClientMessages {
    /** DHCP message types (RFC 2132 section 9.6). */
    static final int DISCOVER = 1;
    static final int REQUEST = 3;

    private ClientMessages() {
    }

    /**
     * A DHCP message from the guest's MAC, 0.0.0.0:68 to 255.255.255.255:67, padded to
     * 300 bytes (RFC 1542): option 53 {@code type}, then option 54 (server identifier)
     * and 50 (requested address) if {@code server} is not 0. The caller owns the frame.
     */
    static ByteBuf dhcp(int type, int server, int requested) {
        ByteBuf m = Unpooled.buffer(300);
        m.writeByte(1).writeByte(1).writeByte(6).writeByte(0);      // BOOTREQUEST, Ethernet, hlen 6, hops
        m.writeInt(0x6a736c70).writeShort(0).writeShort(0);         // xid, secs, flags
        m.writeZero(16);                                            // ciaddr, yiaddr, siaddr, giaddr
        m.writeShort((int) (GuestFrames.GUEST_MAC >>> 32)).writeInt((int) GuestFrames.GUEST_MAC);
        m.writeZero(10 + 64 + 128);                                 // chaddr padding, sname, file
        m.writeInt(0x63825363);                                     // magic cookie (RFC 2131 section 3)
        m.writeByte(53).writeByte(1).writeByte(type);
        if (server != 0) {
            m.writeByte(54).writeByte(4).writeInt(server);
            m.writeByte(50).writeByte(4).writeInt(requested);
        }
        m.writeByte(255);
        m.writeZero(Math.max(0, 300 - m.readableBytes()));
        byte[] payload = new byte[m.readableBytes()];
        m.readBytes(payload).release();
        return GuestFrames.udp(Ipv4Address.ANY, 68, Ipv4Address.BROADCAST, 67, payload);
    }

    /** A standard recursive query (RFC 1035 section 4.1) for {@code name}, type A, class IN, to the DNS address. */
    static ByteBuf dnsQuery(int id, String name) {
        ByteBuf m = Unpooled.buffer();
        m.writeShort(id).writeShort(0x0100).writeShort(1).writeShort(0).writeShort(0).writeShort(0);   // RD, QDCOUNT 1
        for (String label : name.split("\\.")) {
            byte[] l = label.getBytes(StandardCharsets.US_ASCII);
            m.writeByte(l.length).writeBytes(l);
        }
        m.writeByte(0).writeShort(1).writeShort(1);
        byte[] payload = new byte[m.readableBytes()];
        m.readBytes(payload).release();
        return GuestFrames.udp(40053, GuestFrames.DNS, 53, payload);
    }
}
