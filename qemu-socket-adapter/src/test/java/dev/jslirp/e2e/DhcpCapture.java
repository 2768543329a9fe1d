package dev.jslirp.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The DHCP messages in a pcap file QEMU's {@code filter-dump} wrote for a guest NIC (both
 * directions), decoded here byte by byte from the libpcap format and RFC 2131's layout, so
 * what jslirp and libslirp put on the wire is compared by code neither of them contains.
 */
public final class DhcpCapture {
    /** Option 53 values, RFC 2132 section 9.6. */
    private static final Map<Integer, String> TYPES = Map.of(1, "DISCOVER", 2, "OFFER", 3, "REQUEST", 4, "DECLINE",
            5, "ACK", 6, "NAK", 7, "RELEASE", 8, "INFORM");
    private static final int PCAP_HEADER = 24;
    private static final int RECORD_HEADER = 16;
    private static final int BOOTP_FIXED = 236;
    private static final int MAGIC_COOKIE = 0x63825363;

    private DhcpCapture() {
    }

    /**
     * One DHCP message as it crossed the link.
     *
     * @param type    option 53 as a name (DISCOVER...), or BOOTP without it
     * @param dstMac  Ethernet destination, {@code ff:ff:ff:ff:ff:ff} for a broadcast
     * @param srcIp   IP source
     * @param dstIp   IP destination
     * @param ttl     IP TTL
     * @param options option code to value bytes, in order of appearance
     */
    public record Message(String type, String dstMac, String srcIp, String dstIp, int ttl,
                          Map<Integer, byte[]> options) {
        /** True if sent to the Ethernet broadcast address. */
        public boolean broadcast() {
            return dstMac.equals("ff:ff:ff:ff:ff:ff");
        }

        /** True for server messages (OFFER, ACK, NAK). */
        public boolean fromServer() {
            return type.equals("OFFER") || type.equals("ACK") || type.equals("NAK");
        }

        @Override
        public String toString() {
            return type + " " + srcIp + "->" + dstIp + " (" + dstMac + ", ttl " + ttl + ", options " + options.keySet() + ")";
        }
    }

    /** The DHCP messages in {@code pcap}, in capture order. */
    public static List<Message> read(Path pcap) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(pcap);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Message> out = new ArrayList<>();
        for (byte[] frame : frames(bytes)) {
            Message m = decode(frame);
            if (m != null) {
                out.add(m);
            }
        }
        return out;
    }

    /** The frames of a libpcap file (either byte order; records possibly truncated at the end). */
    public static List<byte[]> frames(byte[] file) {
        List<byte[]> frames = new ArrayList<>();
        if (file.length < PCAP_HEADER) {
            return frames;
        }
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        if (magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1) {
            b.order(ByteOrder.BIG_ENDIAN);
        } else if (magic != 0xa1b2c3d4 && magic != 0xa1b23c4d) {
            throw new IllegalArgumentException("not a pcap file: magic " + Integer.toHexString(magic));
        }
        int off = PCAP_HEADER;
        while (off + RECORD_HEADER <= file.length) {
            int captured = b.getInt(off + 8);
            if (captured < 0 || off + RECORD_HEADER + captured > file.length) {
                break; // QEMU is still writing the last record
            }
            byte[] f = new byte[captured];
            System.arraycopy(file, off + RECORD_HEADER, f, 0, captured);
            frames.add(f);
            off += RECORD_HEADER + captured;
        }
        return frames;
    }

    /** The DHCP message in an Ethernet frame, or null if it holds none. */
    static Message decode(byte[] f) {
        ByteBuffer b = ByteBuffer.wrap(f);
        if (f.length < 14 + 20 || (b.getShort(12) & 0xffff) != 0x0800) {
            return null;
        }
        int ip = 14;
        int ihl = (f[ip] & 0x0f) * 4;
        if (f[ip + 9] != 17 || (b.getShort(ip + 6) & 0x3fff) != 0) {
            return null; // not UDP, or a fragment
        }
        int udp = ip + ihl;
        int sport = b.getShort(udp) & 0xffff;
        int dport = b.getShort(udp + 2) & 0xffff;
        boolean dhcpPorts = (sport == 67 && dport == 68) || (sport == 68 && dport == 67);
        int bootp = udp + 8;
        if (!dhcpPorts || f.length < bootp + BOOTP_FIXED + 4 || b.getInt(bootp + BOOTP_FIXED) != MAGIC_COOKIE) {
            return null;
        }
        Map<Integer, byte[]> options = new java.util.LinkedHashMap<>();
        int o = bootp + BOOTP_FIXED + 4;
        while (o < f.length) {
            int code = f[o] & 0xff;
            if (code == 255) {
                break;
            }
            if (code == 0) {
                o++;
                continue;
            }
            if (o + 1 >= f.length) {
                break;
            }
            int len = f[o + 1] & 0xff;
            if (o + 2 + len > f.length) {
                break;
            }
            byte[] v = new byte[len];
            System.arraycopy(f, o + 2, v, 0, len);
            options.put(code, v);
            o += 2 + len;
        }
        byte[] t = options.get(53);
        String type = t == null || t.length != 1 ? "BOOTP" : TYPES.getOrDefault(t[0] & 0xff, "TYPE" + (t[0] & 0xff));
        return new Message(type, mac(f, 0), ipv4(f, ip + 12), ipv4(f, ip + 16), f[ip + 8] & 0xff, options);
    }

    private static String mac(byte[] f, int off) {
        return HexFormat.ofDelimiter(":").formatHex(f, off, off + 6);
    }

    private static String ipv4(byte[] f, int off) {
        return (f[off] & 0xff) + "." + (f[off + 1] & 0xff) + "." + (f[off + 2] & 0xff) + "." + (f[off + 3] & 0xff);
    }
}
