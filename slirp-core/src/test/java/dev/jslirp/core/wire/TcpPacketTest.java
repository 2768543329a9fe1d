package dev.jslirp.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.pcap4j.packet.TcpPacket.TcpHeader;
import org.pcap4j.packet.TcpMaximumSegmentSizeOption;
import org.pcap4j.packet.TcpSackOption;
import org.pcap4j.packet.TcpTimestampsOption;
import org.pcap4j.packet.TcpWindowScaleOption;

class TcpPacketTest {
    private static final int L4 = 14 + 20;

    @Test
    void deconstructsACapturedLinuxSyn() {
        ByteBuf f = CapturedFrames.frame(CapturedFrames.TCP_SYN);
        TcpPacket tcp = new TcpPacket();
        assertThat(tcp.wrap(f, L4, f.writerIndex() - L4)).isTrue();
        assertThat(tcp.verifyChecksum(Ipv4Address.parse("10.0.2.15"), Ipv4Address.parse("10.0.2.2"))).isTrue();
        assertThat(tcp.sourcePort()).isEqualTo(34526);
        assertThat(tcp.destinationPort()).isEqualTo(1);
        assertThat(tcp.seq()).isEqualTo(0x6342be86);
        assertThat(tcp.flags()).isEqualTo(TcpPacket.SYN);
        assertThat(tcp.window()).isEqualTo(64240);
        assertThat(tcp.urgentPointer()).isZero();
        assertThat(tcp.headerLength()).isEqualTo(40);
        assertThat(tcp.payloadLength()).isZero();
        assertThat(tcp.sequenceLength()).isEqualTo(1);
        TcpOptions o = new TcpOptions();
        assertThat(tcp.parseOptions(o)).isTrue();
        assertThat(o.mss).isEqualTo(1460);
        assertThat(o.sackPermitted).isTrue();
        assertThat(o.hasTimestamp).isTrue();
        assertThat(o.tsVal).isEqualTo(0xf7800447);
        assertThat(o.tsEcr).isZero();
        assertThat(o.windowScale).isEqualTo(5);
    }

    @Test
    void constructsASegmentWithOptionsThatPcap4jDecodes() throws Exception {
        TcpOptions o = new TcpOptions().clear();
        o.mss = 1460;
        o.windowScale = 7;
        o.sackPermitted = true;
        o.hasTimestamp = true;
        o.tsVal = 123456;
        o.tsEcr = 654321;
        o.sackBlocks = 1;
        o.sackLeft[0] = 1000;
        o.sackRight[0] = 2000;
        int hl = TcpPacket.MIN_HEADER_LENGTH + o.writtenLength();
        assertThat(hl % 4).isZero();
        byte[] data = "hello".getBytes();
        ByteBuf b = Unpooled.buffer(hl + data.length);
        TcpPacket.writeHeader(b, 0, 80, 40000, 7, 9, hl, TcpPacket.SYN | TcpPacket.ACK, 29200);
        assertThat(o.write(b, TcpPacket.MIN_HEADER_LENGTH)).isEqualTo(o.writtenLength());
        b.setBytes(hl, data);
        int src = Ipv4Address.parse("10.0.2.2");
        int dst = Ipv4Address.parse("10.0.2.15");
        TcpPacket.writeChecksum(b, 0, hl + data.length, src, dst);
        b.writerIndex(hl + data.length);

        byte[] bytes = ByteBufUtil.getBytes(b);
        org.pcap4j.packet.TcpPacket p = org.pcap4j.packet.TcpPacket.newPacket(bytes, 0, bytes.length);
        TcpHeader h = p.getHeader();
        assertThat(h.getSrcPort().valueAsInt()).isEqualTo(80);
        assertThat(h.getSequenceNumber()).isEqualTo(7);
        assertThat(h.getAcknowledgmentNumber()).isEqualTo(9);
        assertThat(h.getSyn() && h.getAck()).isTrue();
        assertThat(h.getWindowAsInt()).isEqualTo(29200);
        assertThat(p.hasValidChecksum(Ipv4Address.toInetAddress(src), Ipv4Address.toInetAddress(dst), false)).isTrue();
        assertThat(h.getOptions()).anySatisfy(opt -> assertThat(opt).isInstanceOfSatisfying(TcpMaximumSegmentSizeOption.class,
                m -> assertThat(m.getMaxSegSizeAsInt()).isEqualTo(1460)));
        assertThat(h.getOptions()).anySatisfy(opt -> assertThat(opt).isInstanceOfSatisfying(TcpWindowScaleOption.class,
                w -> assertThat(w.getShiftCountAsInt()).isEqualTo(7)));
        assertThat(h.getOptions()).anySatisfy(opt -> assertThat(opt).isInstanceOfSatisfying(TcpTimestampsOption.class,
                t -> assertThat(t.getTsValue()).isEqualTo(123456)));
        assertThat(h.getOptions()).anySatisfy(opt -> assertThat(opt).isInstanceOfSatisfying(TcpSackOption.class,
                s -> assertThat(s.getLengthAsInt()).isEqualTo(10)));
        assertThat(p.getPayload().getRawData()).isEqualTo(data);

        // and our own parser reads back what it wrote
        TcpPacket view = new TcpPacket();
        assertThat(view.wrap(b, 0, b.writerIndex())).isTrue();
        TcpOptions back = new TcpOptions();
        assertThat(view.parseOptions(back)).isTrue();
        assertThat(back.mss).isEqualTo(1460);
        assertThat(back.windowScale).isEqualTo(7);
        assertThat(back.sackPermitted).isTrue();
        assertThat(back.tsEcr).isEqualTo(654321);
        assertThat(back.sackBlocks).isEqualTo(1);
        assertThat(back.sackRight[0]).isEqualTo(2000);
    }

    @Test
    void windowScaleAbove14IsCappedAsRfc7323Says() {
        TcpOptions o = parse(new byte[] {3, 3, 20, 0});
        assertThat(o.windowScale).isEqualTo(14);
    }

    @Test
    void unknownOptionsAreSkippedByLength() {
        TcpOptions o = parse(new byte[] {30, 4, 0, 0, 2, 4, 5, (byte) 0xb4});
        assertThat(o.mss).isEqualTo(1460);
    }

    static Stream<byte[]> bogusOptions() {
        return Stream.of(
                new byte[] {2, 0, 0, 0},              // length 0
                new byte[] {2, 1, 0, 0},              // length 1
                new byte[] {1, 1, 1, 2},              // kind without its length byte
                new byte[] {2, 8, 5, (byte) 0xb4},    // runs past the header
                new byte[] {2, 3, 5, 0},              // MSS of the wrong length
                new byte[] {3, 4, 7, 0},              // window scale of the wrong length
                new byte[] {4, 3, 0, 0},              // SACK-permitted of the wrong length
                new byte[] {5, 7, 0, 0, 0, 0, 0, 0},  // SACK not a multiple of 8
                new byte[] {8, 6, 0, 0, 0, 0, 0, 0}); // timestamps of the wrong length
    }

    @ParameterizedTest
    @MethodSource("bogusOptions")
    void bogusOptionsAreRejected(byte[] options) {
        ByteBuf b = segmentWithOptions(options);
        TcpPacket tcp = new TcpPacket();
        assertThat(tcp.wrap(b, 0, b.writerIndex())).isTrue();
        assertThat(tcp.parseOptions(new TcpOptions())).isFalse();
    }

    @Test
    void dataOffsetOutOfRangeIsRejected() {
        ByteBuf b = segmentWithOptions(new byte[0]);
        b.setByte(12, 4 << 4);
        assertThat(new TcpPacket().wrap(b, 0, b.writerIndex())).isFalse();
        b.setByte(12, 6 << 4);
        assertThat(new TcpPacket().wrap(b, 0, b.writerIndex())).isFalse();
        assertThat(new TcpPacket().wrap(b, 0, 19)).isFalse();
    }

    private static TcpOptions parse(byte[] options) {
        ByteBuf b = segmentWithOptions(options);
        TcpPacket tcp = new TcpPacket();
        assertThat(tcp.wrap(b, 0, b.writerIndex())).isTrue();
        TcpOptions o = new TcpOptions();
        assertThat(tcp.parseOptions(o)).isTrue();
        return o;
    }

    private static ByteBuf segmentWithOptions(byte[] options) {
        int hl = 20 + options.length;
        ByteBuf b = Unpooled.buffer(hl);
        TcpPacket.writeHeader(b, 0, 1, 2, 0, 0, hl, TcpPacket.SYN, 1000);
        b.setBytes(20, options);
        b.writerIndex(hl);
        return b;
    }
}
