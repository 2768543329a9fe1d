package dev.jslirp.bench;

import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.testkit.DhcpExchange;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * The DHCP and DNS messages the benchmarks' guest sends, written from the RFC layouts
 * (not with the servers' own code; DHCP's by the test kit's client) and wrapped by
 * {@link GuestFrames}.
 */
final class ClientMessages {
    /** DHCP message types (RFC 2132 section 9.6). */
    static final int DISCOVER = DhcpExchange.DISCOVER;
    static final int REQUEST = DhcpExchange.REQUEST;

    private ClientMessages() {
    }

    /**
     * A DHCP message from the guest's MAC, 0.0.0.0:68 to 255.255.255.255:67, padded to
     * 300 bytes (RFC 1542): a DISCOVER, or a REQUEST of {@code requested} from
     * {@code server}, as the test kit's client writes them. The caller owns the frame.
     */
    static ByteBuf dhcp(int type, int server, int requested) {
        DhcpExchange client = new DhcpExchange(GuestFrames.GUEST_MAC, 0x6a736c70);
        byte[] payload = type == DISCOVER ? client.discover() : client.request(requested, server);
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
