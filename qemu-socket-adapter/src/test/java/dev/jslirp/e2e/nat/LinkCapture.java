package dev.jslirp.e2e.nat;

import dev.jslirp.e2e.DhcpCapture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The IPv4 packets in a pcap QEMU's {@code filter-dump} wrote for a guest card (both
 * directions, possibly cut to a snap length: headers suffice), decoded here from RFC 791's and
 * RFC 9293's layouts: evidence from the wire, read by code neither network contains.
 */
final class LinkCapture {
    private static final int ETHERNET_HEADER = 14;
    private static final int ETHERTYPE_IPV4 = 0x0800;
    static final int PROTO_TCP = 6;
    static final int PROTO_UDP = 17;
    /** TCP's FIN flag (RFC 9293 section 3.1). */
    static final int TCP_FIN = 0x01;
    /** TCP's RST flag (RFC 9293 section 3.1). */
    static final int TCP_RST = 0x04;
    /** IPv4 flags and fragment offset: MF and the 13-bit offset (RFC 791 section 3.1). */
    private static final int MF_OR_OFFSET = 0x3fff;
    private static final int OFFSET = 0x1fff;

    private LinkCapture() {
    }

    /**
     * One IPv4 packet.
     *
     * @param src      source address
     * @param dst      destination address
     * @param protocol IP protocol number
     * @param fragment true for a fragment (MF set or a non-zero offset)
     * @param srcPort  TCP/UDP source port, 0 if not in this packet (a later fragment) or cut off
     * @param dstPort  TCP/UDP destination port, likewise
     * @param tcpFlags TCP flags, 0 if not TCP or cut off
     */
    record Packet(int src, int dst, int protocol, boolean fragment, int srcPort, int dstPort, int tcpFlags) {
    }

    /** The IPv4 packets in {@code pcap}, in capture order. */
    static List<Packet> read(Path pcap) {
        byte[] file;
        try {
            file = Files.readAllBytes(pcap);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Packet> out = new ArrayList<>();
        for (byte[] f : DhcpCapture.frames(file)) {
            ByteBuffer b = ByteBuffer.wrap(f);
            if (f.length < ETHERNET_HEADER + 20 || (b.getShort(12) & 0xffff) != ETHERTYPE_IPV4) {
                continue;
            }
            int ip = ETHERNET_HEADER;
            int l4 = ip + (f[ip] & 0x0f) * 4;
            int protocol = f[ip + 9] & 0xff;
            int fragField = b.getShort(ip + 6) & 0xffff;
            boolean first = (fragField & OFFSET) == 0;
            boolean ports = first && (protocol == PROTO_TCP || protocol == PROTO_UDP) && f.length >= l4 + 4;
            int flags = first && protocol == PROTO_TCP && f.length >= l4 + 14 ? f[l4 + 13] & 0xff : 0;
            out.add(new Packet(b.getInt(ip + 12), b.getInt(ip + 16), protocol, (fragField & MF_OR_OFFSET) != 0,
                    ports ? b.getShort(l4) & 0xffff : 0, ports ? b.getShort(l4 + 2) & 0xffff : 0, flags));
        }
        return out;
    }
}
