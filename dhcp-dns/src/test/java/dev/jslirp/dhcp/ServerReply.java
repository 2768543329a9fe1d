package dev.jslirp.dhcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IpV4Packet;
import org.pcap4j.packet.UdpPacket;

/**
 * A reply frame decoded without the server's code: Ethernet, IPv4 and UDP by pcap4j
 * (checksums verified there), the BOOTP message by hand from RFC 2131's layout.
 * Repeated options are concatenated (RFC 3396).
 */
final class ServerReply {
    final long ethDst;
    final long ethSrc;
    final int ipSrc;
    final int ipDst;
    final int tos;
    final int srcPort;
    final int dstPort;
    final int length;
    final int op;
    final int htype;
    final int hlen;
    final int xid;
    final int secs;
    final int flags;
    final int ciaddr;
    final int yiaddr;
    final int siaddr;
    final int giaddr;
    final long chaddr;
    final String file;
    final int cookie;
    final List<Integer> optionOrder = new ArrayList<>();
    final Map<Integer, byte[]> options = new LinkedHashMap<>();
    final boolean endSeen;

    /** Decodes and releases {@code frame}. */
    static ServerReply decode(ByteBuf frame) {
        try {
            return new ServerReply(ByteBufUtil.getBytes(frame));
        } catch (Exception e) {
            throw new AssertionError("undecodable reply", e);
        } finally {
            frame.release();
        }
    }

    private ServerReply(byte[] bytes) throws Exception {
        EthernetPacket eth = EthernetPacket.newPacket(bytes, 0, bytes.length);
        ethDst = MacAddress.parse(eth.getHeader().getDstAddr().toString());
        ethSrc = MacAddress.parse(eth.getHeader().getSrcAddr().toString());
        IpV4Packet ip = eth.get(IpV4Packet.class);
        assertThat(ip).as("IPv4 packet").isNotNull();
        assertThat(ip.getHeader().hasValidChecksum(false)).as("IPv4 header checksum").isTrue();
        ipSrc = Ipv4Address.fromInetAddress(ip.getHeader().getSrcAddr());
        ipDst = Ipv4Address.fromInetAddress(ip.getHeader().getDstAddr());
        tos = ip.getHeader().getTos().value() & 0xff;
        UdpPacket udp = eth.get(UdpPacket.class);
        assertThat(udp).as("UDP datagram").isNotNull();
        assertThat(udp.hasValidChecksum(ip.getHeader().getSrcAddr(), ip.getHeader().getDstAddr(), false))
                .as("UDP checksum").isTrue();
        srcPort = udp.getHeader().getSrcPort().valueAsInt();
        dstPort = udp.getHeader().getDstPort().valueAsInt();
        byte[] m = udp.getPayload().getRawData();
        length = m.length;
        ByteBuffer b = ByteBuffer.wrap(m);
        op = b.get() & 0xff;
        htype = b.get() & 0xff;
        hlen = b.get() & 0xff;
        b.get();
        xid = b.getInt();
        secs = b.getShort() & 0xffff;
        flags = b.getShort() & 0xffff;
        ciaddr = b.getInt();
        yiaddr = b.getInt();
        siaddr = b.getInt();
        giaddr = b.getInt();
        chaddr = ((long) (b.getShort() & 0xffff) << 32) | (b.getInt() & 0xffffffffL);
        b.position(108);
        byte[] f = new byte[128];
        b.get(f);
        int nul = 0;
        while (nul < f.length && f[nul] != 0) {
            nul++;
        }
        file = new String(f, 0, nul, StandardCharsets.US_ASCII);
        cookie = b.getInt();
        boolean end = false;
        Map<Integer, ByteArrayOutputStream> acc = new LinkedHashMap<>();
        while (b.hasRemaining()) {
            int code = b.get() & 0xff;
            if (code == 0) {
                continue;
            }
            if (code == 255) {
                end = true;
                while (b.hasRemaining()) {
                    assertThat(b.get()).as("padding after END").isZero();
                }
                break;
            }
            int len = b.get() & 0xff;
            byte[] v = new byte[len];
            b.get(v);
            optionOrder.add(code);
            acc.computeIfAbsent(code, k -> new ByteArrayOutputStream()).write(v, 0, len);
        }
        acc.forEach((k, v) -> options.put(k, v.toByteArray()));
        endSeen = end;
    }

    /** Option 53, or 0 for a BOOTREPLY without it. */
    int messageType() {
        byte[] v = options.get(53);
        return v == null ? 0 : v[0];
    }

    int int32(int code) {
        byte[] v = options.get(code);
        assertThat(v).as("option %d", code).isNotNull().hasSize(4);
        return ByteBuffer.wrap(v).getInt();
    }

    int int16(int code) {
        byte[] v = options.get(code);
        assertThat(v).as("option %d", code).isNotNull().hasSize(2);
        return ByteBuffer.wrap(v).getShort() & 0xffff;
    }

    String text(int code) {
        byte[] v = options.get(code);
        assertThat(v).as("option %d", code).isNotNull();
        return new String(v, StandardCharsets.US_ASCII);
    }

    boolean has(int code) {
        return options.containsKey(code);
    }

    @Override
    public String toString() {
        return "reply type " + messageType() + " to " + Ipv4Address.toString(ipDst) + "/" + MacAddress.toString(ethDst)
                + " yiaddr " + Ipv4Address.toString(yiaddr) + " options " + optionOrder;
    }
}
