package dev.jslirp.dhcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** The request view and its option iterator, on bytes. */
class DhcpPacketTest {
    @Test
    void deconstructsRealUdhcpcDiscover() {
        ByteBuf b = Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(Captures.UDHCPC_DISCOVER));
        try {
            DhcpPacket p = new DhcpPacket();
            int bootp = 14 + 20 + 8;
            assertThat(p.wrap(b, bootp, b.readableBytes() - bootp, 1472)).isNull();
            assertThat(p.messageType()).isEqualTo(1);
            assertThat(p.chaddr()).isEqualTo(0x5254_0012_3456L);
            assertThat(p.ciaddr()).isZero();
            assertThat(p.hasServerId()).isFalse();
            assertThat(p.maxMessageSize()).isEqualTo(576);
            assertThat(p.clientIdLength()).isEqualTo(7);
            assertThat(b.getByte(p.clientIdOffset())).isEqualTo((byte) 1);   // htype, then the MAC
            assertThat(p.xid()).isEqualTo(0xb3003d56);
            DhcpOptionIterator it = p.options();
            StringBuilder codes = new StringBuilder();
            int c;
            while ((c = it.next()) >= 0) {
                codes.append(c).append(' ');
            }
            assertThat(c).isEqualTo(DhcpOptionIterator.DONE);
            assertThat(codes.toString()).isEqualTo("53 57 55 12 60 61 ");
        } finally {
            b.release();
        }
    }

    @Test
    void iteratorSkipsPadAndStopsAtEnd() {
        ByteBuf b = Unpooled.wrappedBuffer(new byte[] {0, 0, 53, 1, 3, 0, 12, 2, 'h', 'i', (byte) 255, 12, 9});
        try {
            DhcpOptionIterator it = new DhcpOptionIterator().reset(b, 0, b.readableBytes());
            assertThat(it.next()).isEqualTo(53);
            assertThat(it.length()).isEqualTo(1);
            assertThat(b.getByte(it.valueOffset())).isEqualTo((byte) 3);
            assertThat(it.next()).isEqualTo(12);
            assertThat(it.length()).isEqualTo(2);
            assertThat(it.next()).isEqualTo(DhcpOptionIterator.DONE);
            assertThat(it.next()).isEqualTo(DhcpOptionIterator.DONE);
        } finally {
            b.release();
        }
    }

    @Test
    void iteratorReportsValueRunningPastTheEndOnceThenStops() {
        ByteBuf b = Unpooled.wrappedBuffer(new byte[] {53, 1, 1, 12, 5, 'a', 'b'});
        try {
            DhcpOptionIterator it = new DhcpOptionIterator().reset(b, 0, b.readableBytes());
            assertThat(it.next()).isEqualTo(53);
            assertThat(it.next()).isEqualTo(DhcpOptionIterator.MALFORMED);
            assertThat(it.next()).isEqualTo(DhcpOptionIterator.DONE);
        } finally {
            b.release();
        }
    }

    @Test
    void iteratorAcceptsMissingEndAndEmptyRange() {
        ByteBuf b = Unpooled.wrappedBuffer(new byte[] {53, 1, 1});
        try {
            DhcpOptionIterator it = new DhcpOptionIterator().reset(b, 0, 3);
            assertThat(it.next()).isEqualTo(53);
            assertThat(it.next()).isEqualTo(DhcpOptionIterator.DONE);
            assertThat(new DhcpOptionIterator().reset(b, 3, 3).next()).isEqualTo(DhcpOptionIterator.DONE);
        } finally {
            b.release();
        }
    }

    @Test
    void viewHonoursItsOffsetInsideALargerBuffer() {
        ClientMessage m = ClientMessage.request().serverId(0x0a000202).requested(0x0a00020f).xid(0x01020304);
        m.flags = 0x8000;
        m.ciaddr = 0x0a000210;
        byte[] msg = m.bootp();
        ByteBuf b = Unpooled.buffer(msg.length + 50);
        b.writeZero(20).writeBytes(msg).writeBytes(new byte[] {(byte) 0xde, (byte) 0xad});
        try {
            DhcpPacket p = new DhcpPacket();
            assertThat(p.wrap(b, 20, msg.length, 1472)).isNull();
            assertThat(p.offset()).isEqualTo(20);
            assertThat(p.length()).isEqualTo(msg.length);
            assertThat(p.xid()).isEqualTo(0x01020304);
            assertThat(p.broadcastFlag()).isTrue();
            assertThat(p.ciaddr()).isEqualTo(0x0a000210);
            assertThat(p.messageType()).isEqualTo(3);
            assertThat(p.serverId()).isEqualTo(0x0a000202);
            assertThat(p.requestedAddress()).isEqualTo(0x0a00020f);
            assertThat(p.wrap(b, 20, msg.length, msg.length - 1)).isEqualTo(DhcpCounter.OVERSIZED);
        } finally {
            b.release();
        }
    }

    @Test
    void firstInstanceOfARepeatedOptionWins() {
        byte[] msg = ClientMessage.discover().requested(0x0a000214).requested(0x0a000215).bootp();
        ByteBuf b = Unpooled.wrappedBuffer(msg);
        try {
            DhcpPacket p = new DhcpPacket();
            assertThat(p.wrap(b, 0, msg.length, 1472)).isNull();
            assertThat(p.requestedAddress()).isEqualTo(0x0a000214);
        } finally {
            b.release();
        }
    }
}
