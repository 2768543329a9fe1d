package dev.jslirp.dns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.testkit.PcapFrames;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsSection;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * The guest's side of DNS in tests: queries built by hand (so malformed ones can be
 * built too), sent from the guest as UDP frames, and the answers read back out of the
 * frames to the guest (reassembling IPv4 fragments, checking the UDP checksum) and
 * decoded with Netty's codec-dns, a decoder the service does not use.
 */
public final class GuestDns {
    /** The guest's source port for queries. */
    static final int GUEST_PORT = 33333;
    public static final int TYPE_A = 1;
    public static final int TYPE_AAAA = 28;
    /** PTR (RFC 1035 section 3.3.12). */
    public static final int TYPE_PTR = 12;

    private GuestDns() {
    }

    /** A decoded answer. */
    public record Reply(int id, int rcode, boolean truncated, boolean authoritative, boolean recursionDesired,
                 String questionName, int questionType, int answerCount, List<String> addresses, boolean hasOpt,
                 List<String> pointers) {
    }

    /** A UDP datagram to the guest, reassembled if it came in fragments. */
    record Datagram(int srcIp, int srcPort, int dstIp, int dstPort, byte[] payload, int fragments) {
    }

    /** A query with RD set for {@code name} of {@code type}, without EDNS. */
    public static byte[] query(int id, String name, int type) {
        return message(id, 0x0100, name, type, 0);
    }

    /** A query with RD set and an EDNS OPT record advertising {@code udpPayloadSize} (RFC 6891). */
    static byte[] queryWithEdns(int id, String name, int type, int udpPayloadSize) {
        return message(id, 0x0100, name, type, udpPayloadSize);
    }

    /** A message with {@code flags}, one question, and an OPT record unless {@code ednsSize} is 0. */
    static byte[] message(int id, int flags, String name, int type, int ednsSize) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeShort(out, id);
        writeShort(out, flags);
        writeShort(out, 1);
        writeShort(out, 0);
        writeShort(out, 0);
        writeShort(out, ednsSize == 0 ? 0 : 1);
        out.writeBytes(wireName(name));
        writeShort(out, type);
        writeShort(out, 1);
        if (ednsSize != 0) {
            out.write(0);                 // root name
            writeShort(out, 41);          // OPT
            writeShort(out, ednsSize);    // class = UDP payload size
            writeShort(out, 0);           // TTL: extended RCODE, version
            writeShort(out, 0);           // TTL: flags
            writeShort(out, 0);           // RDLENGTH
        }
        return out.toByteArray();
    }

    /** {@code name} in wire form, labels as given (no case change). */
    static byte[] wireName(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String label : name.split("\\.")) {
            if (!label.isEmpty()) {
                byte[] b = label.getBytes(StandardCharsets.US_ASCII);
                out.write(b.length);
                out.writeBytes(b);
            }
        }
        out.write(0);
        return out.toByteArray();
    }

    private static void writeShort(ByteArrayOutputStream out, int v) {
        out.write(v >>> 8);
        out.write(v);
    }

    /** Sends {@code message} from the guest's port {@link #GUEST_PORT} to 10.0.2.3:53. */
    public static void send(VirtualGuest g, byte[] message) {
        send(g, GUEST_PORT, message);
    }

    /** Sends {@code message} from the guest's {@code port} to 10.0.2.3:53. */
    static void send(VirtualGuest g, int port, byte[] message) {
        g.send(GuestFrames.udp(port, GuestFrames.DNS, 53, message));
    }

    /** Sends {@code message} over IPv6 from the guest's {@code src}, port {@link #GUEST_PORT}, to {@code server} port 53. */
    static void send6(VirtualGuest g, IpAddress src, IpAddress server, byte[] message) {
        g.send(GuestFrames6.udp(src, GUEST_PORT, server, 53, message));
    }

    /**
     * The next DNS answer to the guest over IPv6, decoded: it must come from
     * {@code server} port 53 to {@code guest} port {@link #GUEST_PORT}, with a valid UDP
     * checksum (pcap4j checks it with the IPv6 pseudo-header).
     */
    static Reply expectReply6(VirtualGuest g, IpAddress server, IpAddress guest) {
        try {
            org.pcap4j.packet.EthernetPacket eth = PcapFrames.decode(g.expectFrame());
            org.pcap4j.packet.IpV6Packet ip = eth.get(org.pcap4j.packet.IpV6Packet.class);
            org.pcap4j.packet.UdpPacket udp = eth.get(org.pcap4j.packet.UdpPacket.class);
            assertThat(ip).as("an IPv6 datagram: %s", eth).isNotNull();
            assertThat(IpAddress.of(ip.getHeader().getSrcAddr())).isEqualTo(server);
            assertThat(IpAddress.of(ip.getHeader().getDstAddr())).isEqualTo(guest);
            assertThat(udp.getHeader().getSrcPort().valueAsInt()).isEqualTo(53);
            assertThat(udp.getHeader().getDstPort().valueAsInt()).isEqualTo(GUEST_PORT);
            assertThat(udp.hasValidChecksum(ip.getHeader().getSrcAddr(), ip.getHeader().getDstAddr(), false)).isTrue();
            return decode(udp.getPayload().getRawData());
        } catch (org.pcap4j.packet.IllegalRawDataException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The next UDP datagram to the guest, reassembled from fragments if need be; checks
     * IP and UDP checksums and that it comes from 10.0.2.3:53.
     */
    static Datagram expectDatagram(VirtualGuest g) {
        TreeMap<Integer, byte[]> pieces = new TreeMap<>();
        int fragments = 0;
        while (true) {
            ByteBuf f = g.expectFrame();
            try {
                EthernetFrame eth = new EthernetFrame();
                assertThat(eth.wrap(f)).isTrue();
                assertThat(eth.etherType()).isEqualTo(EthernetFrame.TYPE_IPV4);
                assertThat(eth.destination()).isEqualTo(GuestFrames.GUEST_MAC);
                Ipv4Packet ip = new Ipv4Packet();
                assertThat(ip.wrap(f, eth.payloadOffset(), f.writerIndex())).isNull();
                assertThat(ip.verifyChecksum()).isTrue();
                assertThat(ip.protocol()).isEqualTo(Ipv4Packet.PROTO_UDP);
                assertThat(ip.source()).isEqualTo(GuestFrames.DNS);
                assertThat(ip.destination()).isEqualTo(GuestFrames.GUEST_IP);
                fragments++;
                pieces.put(ip.fragmentOffset(), ByteBufUtil.getBytes(f, ip.payloadOffset(), ip.payloadLength()));
                if (ip.moreFragments()) {
                    continue;
                }
                ByteBuf whole = Unpooled.buffer();
                try {
                    for (var e : pieces.entrySet()) {
                        assertThat(e.getKey()).as("fragments contiguous").isEqualTo(whole.writerIndex());
                        whole.writeBytes(e.getValue());
                    }
                    UdpPacket udp = new UdpPacket();
                    assertThat(udp.wrap(whole, 0, whole.writerIndex())).isTrue();
                    assertThat(udp.checksum()).isNotZero();
                    assertThat(udp.verifyChecksum(ip.source(), ip.destination())).isTrue();
                    return new Datagram(ip.source(), udp.sourcePort(), ip.destination(), udp.destinationPort(),
                            ByteBufUtil.getBytes(whole, udp.payloadOffset(), udp.payloadLength()), fragments);
                } finally {
                    whole.release();
                }
            } finally {
                f.release();
            }
        }
    }

    /** The next DNS answer to the guest's {@link #GUEST_PORT}, decoded. */
    public static Reply expectReply(VirtualGuest g) {
        return expectReply(g, GUEST_PORT);
    }

    /** The next DNS answer to the guest, which must go to {@code port}, decoded. */
    static Reply expectReply(VirtualGuest g, int port) {
        Datagram d = expectDatagram(g);
        assertThat(d.srcPort()).isEqualTo(53);
        assertThat(d.dstPort()).isEqualTo(port);
        return decode(d.payload());
    }

    /** Decodes a DNS response with codec-dns. */
    static Reply decode(byte[] message) {
        EmbeddedChannel ch = new EmbeddedChannel(new DatagramDnsResponseDecoder());
        try {
            InetSocketAddress any = new InetSocketAddress(Ipv4Address.toInetAddress(GuestFrames.DNS), 53);
            ch.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(message), any, any));
            DatagramDnsResponse r = ch.readInbound();
            try {
                DnsQuestion q = r.recordAt(DnsSection.QUESTION);
                List<String> addresses = new ArrayList<>();
                List<String> pointers = new ArrayList<>();
                for (int i = 0; i < r.count(DnsSection.ANSWER); i++) {
                    DnsRecord rec = r.recordAt(DnsSection.ANSWER, i);
                    if (rec.type() == DnsRecordType.A) {
                        ByteBuf c = ((DnsRawRecord) rec).content();
                        addresses.add(Ipv4Address.toString(c.getInt(c.readerIndex())));
                    } else if (rec.type() == DnsRecordType.AAAA) {
                        ByteBuf c = ((DnsRawRecord) rec).content();
                        addresses.add(IpAddress.of(c.getLong(c.readerIndex()), c.getLong(c.readerIndex() + 8)).toString());
                    } else if (rec.type() == DnsRecordType.PTR) {
                        pointers.add(((io.netty.handler.codec.dns.DnsPtrRecord) rec).hostname());
                    }
                }
                boolean opt = false;
                for (int i = 0; i < r.count(DnsSection.ADDITIONAL); i++) {
                    opt |= r.recordAt(DnsSection.ADDITIONAL, i).type() == DnsRecordType.OPT;
                }
                return new Reply(r.id(), r.code().intValue(), r.isTruncated(), r.isAuthoritativeAnswer(),
                        r.isRecursionDesired(), q == null ? null : q.name(), q == null ? -1 : q.type().intValue(),
                        r.count(DnsSection.ANSWER), addresses, opt, pointers);
            } finally {
                r.release();
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }
}
