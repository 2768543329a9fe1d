package dev.jslirp.autoconf;

import static dev.jslirp.core.testkit.GuestFrames6.GUEST6_LL;

import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.PcapFrames;
import dev.jslirp.core.wire.IpAddress;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import org.pcap4j.packet.EthernetPacket;
import org.pcap4j.packet.IllegalRawDataException;
import org.pcap4j.packet.IpV6Packet;
import org.pcap4j.packet.UdpPacket;

/** DHCPv6 messages a client sends, and the server's replies taken apart. */
final class Dhcpv6Frames {
    static final IpAddress ALL_SERVERS = IpAddress.parse("ff02::1:2");
    /** A DUID-LLT as dhclient makes them: type 1, Ethernet, time, MAC. */
    static final byte[] CLIENT_DUID = {0, 1, 0, 1, 0x2c, 0x1d, 0x3f, 0x10, 0x52, 0x54, 0, 0x12, 0x34, 0x56};

    private Dhcpv6Frames() {
    }

    /** A message builder: type, transaction ID, then options appended. */
    static final class Message {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Message(int type, int xid) {
            out.write(type);
            out.write(xid >>> 16);
            out.write(xid >>> 8);
            out.write(xid);
        }

        Message option(int code, byte[] data) {
            return raw(code, data.length, data);
        }

        /** An option whose length field says {@code length}, whatever {@code data} holds. */
        Message raw(int code, int length, byte[] data) {
            out.write(code >>> 8);
            out.write(code);
            out.write(length >>> 8);
            out.write(length);
            out.writeBytes(data);
            return this;
        }

        Message clientId() {
            return option(1, CLIENT_DUID);
        }

        Message oro(int... codes) {
            byte[] d = new byte[codes.length * 2];
            for (int i = 0; i < codes.length; i++) {
                d[2 * i] = (byte) (codes[i] >>> 8);
                d[2 * i + 1] = (byte) codes[i];
            }
            return option(6, d);
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        /** The message with {@code extra} bytes after it. */
        byte[] write(int... extra) {
            byte[] m = bytes();
            byte[] b = java.util.Arrays.copyOf(m, m.length + extra.length);
            for (int i = 0; i < extra.length; i++) {
                b[m.length + i] = (byte) extra[i];
            }
            return b;
        }

        /** The message from the guest's link-local address, port 546, to ff02::1:2 port 547. */
        ByteBuf frame() {
            return frame(GUEST6_LL, ALL_SERVERS);
        }

        ByteBuf frame(IpAddress src, IpAddress dst) {
            return GuestFrames6.udp(src, 546, dst, 547, bytes());
        }
    }

    static Message informationRequest(int xid) {
        return new Message(11, xid);
    }

    /** A reply, decoded: addresses and ports by pcap4j, the DHCPv6 message here. */
    record Reply(String ipSource, String ipDestination, int sourcePort, int destinationPort, int type, int xid,
                 Map<Integer, byte[]> options) {
        static Reply decode(ByteBuf frame) throws IllegalRawDataException {
            EthernetPacket eth = PcapFrames.decode(frame);
            IpV6Packet ip = eth.get(IpV6Packet.class);
            UdpPacket udp = eth.get(UdpPacket.class);
            byte[] m = udp.getPayload().getRawData();
            Map<Integer, byte[]> options = new LinkedHashMap<>();
            for (int i = 4; i < m.length; ) {
                int code = ((m[i] & 0xff) << 8) | (m[i + 1] & 0xff);
                int len = ((m[i + 2] & 0xff) << 8) | (m[i + 3] & 0xff);
                if (options.put(code, java.util.Arrays.copyOfRange(m, i + 4, i + 4 + len)) != null) {
                    throw new AssertionError("option " + code + " twice");
                }
                i += 4 + len;
            }
            return new Reply(ip.getHeader().getSrcAddr().getHostAddress(), ip.getHeader().getDstAddr().getHostAddress(),
                    udp.getHeader().getSrcPort().valueAsInt(), udp.getHeader().getDstPort().valueAsInt(), m[0] & 0xff,
                    ((m[1] & 0xff) << 16) | ((m[2] & 0xff) << 8) | (m[3] & 0xff), options);
        }
    }
}
