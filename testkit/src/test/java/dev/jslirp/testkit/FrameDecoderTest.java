package dev.jslirp.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.wire.ArpPacket;
import dev.jslirp.core.wire.Checksums;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv6Packet;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.core.wire.TcpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Frames decode into records with readable addresses, and malformed ones say why. */
class FrameDecoderTest {
    private static final long MAC = MacAddress.parse("52:54:00:12:34:56");
    private final FrameWriter writer = new FrameWriter(UnpooledByteBufAllocator.DEFAULT, MAC);
    private final FrameDecoder decoder = new FrameDecoder();

    @Test
    void arpShowsMacsAndAddressesAsText() {
        Frame f = decode(writer.arp(ArpPacket.OP_REQUEST, MacAddress.BROADCAST, Ipv4Address.parse("10.0.2.15"), 0,
                Ipv4Address.parse("10.0.2.2")));
        assertThat(f.sourceMac()).isEqualTo("52:54:00:12:34:56");
        assertThat(f.destinationMac()).isEqualTo("ff:ff:ff:ff:ff:ff");
        assertThat(f.packet()).isEqualTo(new Frame.Arp(1, "52:54:00:12:34:56", "10.0.2.15", "00:00:00:00:00:00",
                "10.0.2.2"));
    }

    @Test
    void tcpShowsFlagsAndUnsignedSequenceNumbers() {
        byte[] data = "GET /".getBytes(StandardCharsets.US_ASCII);
        Frame f = decode(writer.tcp(0, IpAddress.parse("10.0.2.15"), 40000, IpAddress.parse("10.0.2.2"), 80,
                0xfffffff0, 7, TcpPacket.SYN | TcpPacket.ACK, 1000, 1460, data, 0, data.length));
        Frame.Tcp t = (Frame.Tcp) f.packet();
        assertThat(t.source()).isEqualTo("10.0.2.15");
        assertThat(t.destination()).isEqualTo("10.0.2.2");
        assertThat(t.seq()).isEqualTo(0xfffffff0L);
        assertThat(t.flags()).isEqualTo("SYN|ACK");
        assertThat(t.has("SYN")).isTrue();
        assertThat(t.has("FIN")).isFalse();
        assertThat(t.payload()).isEqualTo(data);
        assertThat(t.toString()).contains("10.0.2.15:40000 > 10.0.2.2:80 [SYN|ACK]").contains("\"GET /\"");
    }

    @Test
    void ipv6AddressesPrintInRfc5952FormAndInBracketsBeforeAPort() {
        byte[] data = "hi".getBytes(StandardCharsets.US_ASCII);
        Frame tcp = decode(writer.tcp(0, IpAddress.parse("FEC0:0:0:0:5054:FF:FE12:3456"), 40000,
                IpAddress.parse("[fec0::2]"), 80, 1, 2, TcpPacket.ACK, 1000, 0, data, 0, data.length));
        assertThat(tcp.etherType()).isEqualTo(0x86dd);
        Frame.Tcp t = (Frame.Tcp) tcp.packet();
        assertThat(t.source()).isEqualTo("fec0::5054:ff:fe12:3456");
        assertThat(t.destination()).isEqualTo("fec0::2");
        assertThat(t.payload()).isEqualTo(data);
        assertThat(t.toString()).contains("[fec0::5054:ff:fe12:3456]:40000 > [fec0::2]:80 [ACK]");
        Frame udp = decode(writer.udp(0, IpAddress.parse("fe80::5054:ff:fe12:3456"), 5000,
                IpAddress.parse("fe80::2"), 53, data));
        assertThat(udp.packet().toString()).startsWith("UDP [fe80::5054:ff:fe12:3456]:5000 > [fe80::2]:53 ");
    }

    @Test
    void neighbourDiscoveryMessagesCarryAValidChecksumAndDecodeAsIcmpv6() {
        IpAddress guest = IpAddress.parse("fec0::5054:ff:fe12:3456");
        ByteBuf ns = writer.neighborSolicitation(guest, IpAddress.parse("fec0::2"));
        Frame f = decode(ns.retain());
        try {
            assertThat(f.destinationMac()).isEqualTo("33:33:ff:00:00:02");
            assertThat(f.packet()).isInstanceOfSatisfying(Frame.Icmp.class, m -> {
                assertThat(m.ipv6()).isTrue();
                assertThat(m.type()).isEqualTo(135);
                assertThat(m.destination()).isEqualTo("ff02::1:ff00:2");
                assertThat(NeighborDiscovery.target(m)).isEqualTo(IpAddress.parse("fec0::2"));
                assertThat(NeighborDiscovery.linkLayer(m)).isEqualTo(MAC);
            });
            Ipv6Packet ip = new Ipv6Packet();
            assertThat(ip.wrap(ns, 14, ns.writerIndex())).isNull();
            assertThat(ip.hopLimit()).as("RFC 4861 7.1.1").isEqualTo(255);
            assertThat(Checksums.transportChecksumOf(ns, ip.upperOffset(), ip.upperLength(),
                    Checksums.pseudoHeader(guest, IpAddress.parse("ff02::1:ff00:2"), 58, ip.upperLength())))
                    .as("a valid checksum sums to zero").isZero();
        } finally {
            ns.release();
        }
    }

    @Test
    void aTruncatedFrameIsUndecodedNotAnException() {
        ByteBuf udp = writer.udp(0, IpAddress.parse("10.0.2.15"), 5000, IpAddress.parse("10.0.2.2"), 53,
                new byte[8]);
        udp.writerIndex(30);   // cut inside the IPv4 header
        assertThat(decode(udp).packet()).isEqualTo(new Frame.Undecoded("malformed IPv4"));
        ByteBuf runt = UnpooledByteBufAllocator.DEFAULT.buffer(6).writeZero(6);
        assertThat(decode(runt).packet()).isInstanceOf(Frame.Undecoded.class);
    }

    private Frame decode(ByteBuf b) {
        try {
            return decoder.decode(b);
        } finally {
            b.release();
        }
    }
}
