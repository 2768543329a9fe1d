package dev.jslirp.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.stats.DropReason;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.pcap4j.packet.IpV4Packet;

class Ipv4PacketTest {
    private static final int ETH = EthernetFrame.HEADER_LENGTH;

    @Test
    void deconstructsACapturedEchoRequest() {
        ByteBuf f = CapturedFrames.frame(CapturedFrames.ECHO_REQUEST);
        Ipv4Packet ip = new Ipv4Packet();
        assertThat(ip.wrap(f, ETH, f.writerIndex())).isNull();
        assertThat(ip.verifyChecksum()).isTrue();
        assertThat(ip.headerLength()).isEqualTo(20);
        assertThat(ip.totalLength()).isEqualTo(84);
        assertThat(ip.identification()).isEqualTo(0x1586);
        assertThat(ip.dontFragment()).isTrue();
        assertThat(ip.isFragment()).isFalse();
        assertThat(ip.ttl()).isEqualTo(64);
        assertThat(ip.protocol()).isEqualTo(Ipv4Packet.PROTO_ICMP);
        assertThat(Ipv4Address.toString(ip.source())).isEqualTo("10.0.2.15");
        assertThat(Ipv4Address.toString(ip.destination())).isEqualTo("10.0.2.2");
        assertThat(ip.payloadOffset()).isEqualTo(ETH + 20);
        assertThat(ip.payloadLength()).isEqualTo(64);
    }

    @Test
    void constructsAHeaderThatPcap4jAccepts() throws Exception {
        ByteBuf b = Unpooled.buffer(28);
        Ipv4Packet.write(b, 0, 0x10, 28, 0xbeef, Ipv4Packet.FLAG_DF, 64, Ipv4Packet.PROTO_UDP,
                Ipv4Address.parse("10.0.2.2"), Ipv4Address.parse("10.0.2.15"));
        b.writerIndex(28);
        byte[] bytes = ByteBufUtil.getBytes(b);
        IpV4Packet p = IpV4Packet.newPacket(bytes, 0, bytes.length);
        assertThat(p.getHeader().hasValidChecksum(false)).isTrue();
        assertThat(p.getHeader().getIdentificationAsInt()).isEqualTo(0xbeef);
        assertThat(p.getHeader().getDontFragmentFlag()).isTrue();
        assertThat(p.getHeader().getTtlAsInt()).isEqualTo(64);
        assertThat(p.getHeader().getTos().value()).isEqualTo((byte) 0x10);
        assertThat(p.getHeader().getSrcAddr().getHostAddress()).isEqualTo("10.0.2.2");
        assertThat(p.getHeader().getDstAddr().getHostAddress()).isEqualTo("10.0.2.15");
    }

    @Test
    void fragmentFieldsAreDecoded() {
        ByteBuf b = Unpooled.buffer(40);
        Ipv4Packet.write(b, 0, 0, 40, 1, Ipv4Packet.FLAG_MF | 185, 64, 1, 1, 2);
        Ipv4Packet ip = new Ipv4Packet();
        assertThat(ip.wrap(b, 0, 40)).isNull();
        assertThat(ip.moreFragments()).isTrue();
        assertThat(ip.fragmentOffset()).isEqualTo(1480);
        assertThat(ip.isFragment()).isTrue();
    }

    @Test
    void ethernetPaddingAfterTheDatagramIsIgnored() {
        ByteBuf b = Unpooled.buffer(60);
        Ipv4Packet.write(b, 0, 0, 28, 1, 0, 64, 17, 1, 2);
        Ipv4Packet ip = new Ipv4Packet();
        assertThat(ip.wrap(b, 0, 46)).isNull();
        assertThat(ip.payloadLength()).isEqualTo(8);
    }

    @Test
    void optionsAreToleratedWhenWellFormed() {
        ByteBuf b = valid(24);
        b.setByte(0, 0x46);
        b.setBytes(20, new byte[] {1, 1, 1, 0}); // NOP NOP NOP EOL
        fixChecksum(b, 24);
        Ipv4Packet ip = new Ipv4Packet();
        assertThat(ip.wrap(b, 0, b.writerIndex())).isNull();
        assertThat(ip.verifyChecksum()).isTrue();
        assertThat(ip.headerLength()).isEqualTo(24);
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("truncated header", (Consumer<ByteBuf>) b -> b.writerIndex(19), DropReason.IPV4_TRUNCATED),
                Arguments.of("version 6", (Consumer<ByteBuf>) b -> b.setByte(0, 0x65), DropReason.IPV4_BAD_VERSION),
                Arguments.of("IHL below 5", (Consumer<ByteBuf>) b -> b.setByte(0, 0x44), DropReason.IPV4_BAD_HEADER_LENGTH),
                Arguments.of("IHL beyond frame", (Consumer<ByteBuf>) b -> b.setByte(0, 0x4f), DropReason.IPV4_BAD_HEADER_LENGTH),
                Arguments.of("total length below header", (Consumer<ByteBuf>) b -> b.setShort(2, 19), DropReason.IPV4_BAD_HEADER_LENGTH),
                Arguments.of("total length beyond frame", (Consumer<ByteBuf>) b -> b.setShort(2, 1000), DropReason.IPV4_BAD_TOTAL_LENGTH),
                Arguments.of("option length zero", (Consumer<ByteBuf>) b -> {
                    b.setByte(0, 0x46);
                    b.setBytes(20, new byte[] {7, 0, 0, 0});
                }, DropReason.IPV4_BAD_OPTIONS),
                Arguments.of("option runs past header", (Consumer<ByteBuf>) b -> {
                    b.setByte(0, 0x46);
                    b.setBytes(20, new byte[] {1, 7, 9, 0});
                }, DropReason.IPV4_BAD_OPTIONS),
                Arguments.of("option kind without length byte", (Consumer<ByteBuf>) b -> {
                    b.setByte(0, 0x46);
                    b.setBytes(20, new byte[] {1, 1, 1, 7});
                }, DropReason.IPV4_BAD_OPTIONS));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void malformedHeadersAreRejectedWithTheirReason(String name, Consumer<ByteBuf> damage, DropReason reason) {
        ByteBuf b = valid(40);
        damage.accept(b);
        assertThat(new Ipv4Packet().wrap(b, 0, b.writerIndex())).isEqualTo(reason);
    }

    @Test
    void aFlippedBitFailsTheChecksum() {
        ByteBuf b = valid(40);
        b.setByte(8, b.getByte(8) ^ 0x01);
        Ipv4Packet ip = new Ipv4Packet();
        assertThat(ip.wrap(b, 0, 40)).isNull();
        assertThat(ip.verifyChecksum()).isFalse();
    }

    private static ByteBuf valid(int total) {
        ByteBuf b = Unpooled.buffer(total);
        Ipv4Packet.write(b, 0, 0, total, 1, 0, 64, 17, Ipv4Address.parse("10.0.2.15"), Ipv4Address.parse("10.0.2.2"));
        b.writerIndex(total);
        return b;
    }

    private static void fixChecksum(ByteBuf b, int hl) {
        b.setShort(10, 0);
        b.setShort(10, Checksums.checksum(b, 0, hl));
    }
}
