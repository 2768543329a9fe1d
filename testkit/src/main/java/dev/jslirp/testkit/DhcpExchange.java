package dev.jslirp.testkit;

import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.dhcp.DhcpOption;
import dev.jslirp.dhcp.DhcpOptionIterator;
import dev.jslirp.dhcp.DhcpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;

/**
 * The client's half of a DHCP exchange (RFC 2131, 3.1): the DISCOVER and REQUEST a guest
 * broadcasts, and the reading of the server's OFFER and ACK. Field offsets are RFC 2131's
 * (figure 1); option codes and the cookie come from the server's own constants, its code
 * is not used. {@link Guest#lease()} runs it; benchmarks and raw-frame tests can send its
 * messages themselves (as the UDP payload from 0.0.0.0:68 to 255.255.255.255:67).
 */
public final class DhcpExchange {
    /** BOOTP's fixed part up to {@code yiaddr}. */
    private static final int YIADDR = 16;
    private static final int XID = 4;
    private static final int CHADDR = 28;
    /** The client's UDP port (RFC 2131, 4.1). */
    public static final int CLIENT_PORT = 68;
    /** The server's UDP port. */
    public static final int SERVER_PORT = 67;
    /** DHCP message types (RFC 2132, 9.6). */
    public static final int DISCOVER = 1;
    /** DHCPOFFER. */
    public static final int OFFER = 2;
    /** DHCPREQUEST. */
    public static final int REQUEST = 3;
    /** DHCPACK. */
    public static final int ACK = 5;
    /** DHCPNAK. */
    public static final int NAK = 6;

    private final long mac;
    private final int xid;

    /** The exchange of the client with MAC {@code mac}, its messages carrying transaction id {@code xid}. */
    public DhcpExchange(long mac, int xid) {
        this.mac = mac;
        this.xid = xid;
    }

    /** The BOOTP payload of a DISCOVER, padded to 300 bytes. */
    public byte[] discover() {
        return message(DISCOVER, 0, 0);
    }

    /** The BOOTP payload of a REQUEST for {@code address} from {@code server} (SELECTING state), padded to 300 bytes. */
    public byte[] request(int address, int server) {
        return message(REQUEST, address, server);
    }

    private byte[] message(int type, int requested, int server) {
        ByteBuffer b = ByteBuffer.allocate(DhcpPacket.OPTIONS_OFFSET + 64);
        b.put((byte) DhcpPacket.OP_BOOTREQUEST).put((byte) DhcpPacket.HTYPE_ETHERNET)
                .put((byte) DhcpPacket.HLEN_ETHERNET).put((byte) 0);
        b.putInt(xid);
        b.position(CHADDR);
        b.putShort((short) (mac >>> 32)).putInt((int) mac);
        b.position(DhcpPacket.FIXED_LENGTH);
        b.putInt(DhcpPacket.MAGIC_COOKIE);
        b.put((byte) DhcpOption.MESSAGE_TYPE).put((byte) 1).put((byte) type);
        if (requested != 0) {
            b.put((byte) DhcpOption.REQUESTED_ADDRESS).put((byte) 4).putInt(requested);
            b.put((byte) DhcpOption.SERVER_ID).put((byte) 4).putInt(server);
        }
        b.put((byte) DhcpOption.END);
        // Padded to BOOTP's 300 bytes as real clients do (RFC 1542, 2.1).
        byte[] out = new byte[Math.max(b.position(), 300)];
        System.arraycopy(b.array(), 0, out, 0, b.position());
        return out;
    }

    /** A server's reply to this client (its BOOTP payload), or null if {@code payload} is not one. */
    public Reply read(byte[] payload) {
        ByteBuf b = Unpooled.wrappedBuffer(payload);
        if (payload.length < DhcpPacket.OPTIONS_OFFSET || b.getUnsignedByte(0) != DhcpPacket.OP_BOOTREPLY
                || b.getInt(XID) != xid || b.getInt(DhcpPacket.FIXED_LENGTH) != DhcpPacket.MAGIC_COOKIE) {
            return null;
        }
        int type = 0;
        int server = 0;
        int router = 0;
        int mask = 0;
        DhcpOptionIterator it = new DhcpOptionIterator().reset(b, DhcpPacket.OPTIONS_OFFSET, payload.length);
        for (int code = it.next(); code >= 0; code = it.next()) {
            if (code == DhcpOption.MESSAGE_TYPE && it.length() == 1) {
                type = b.getUnsignedByte(it.valueOffset());
            } else if (code == DhcpOption.SERVER_ID && it.length() == 4) {
                server = b.getInt(it.valueOffset());
            } else if (code == DhcpOption.ROUTER && it.length() >= 4) {
                router = b.getInt(it.valueOffset());
            } else if (code == DhcpOption.SUBNET_MASK && it.length() == 4) {
                mask = b.getInt(it.valueOffset());
            }
        }
        return new Reply(type, b.getInt(YIADDR), server, router, mask);
    }

    /** What the client keeps of a reply: its type, the address offered, the server, router and netmask. */
    public record Reply(int type, int yourAddress, int server, int router, int mask) {
        @Override
        public String toString() {
            return "DHCP type " + type + " " + Ipv4Address.toString(yourAddress) + " from "
                    + Ipv4Address.toString(server);
        }
    }
}
