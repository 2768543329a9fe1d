package dev.jslirp.transport.tap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.wire.Checksums;
import dev.jslirp.core.wire.TcpPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.internal.PlatformDependent;
import org.junit.jupiter.api.Test;

/**
 * The virtio-net header's layout ({@code struct virtio_net_hdr} of
 * {@code <linux/virtio_net.h>}, fields in the host's byte order) with GSO fields, and the
 * completion of a partial checksum as the kernel hands it over with NEEDS_CSUM.
 */
class VirtioNetHeaderTest {
    /**
     * A GSO TCPV4 header as the kernel writes one for a super-frame of a TCP segment with
     * timestamps at MTU 1500: NEEDS_CSUM, hdr_len 66, gso_size 1448, csum_start 34,
     * csum_offset 16, here on a little-endian host.
     */
    private static final byte[] GSO_TCPV4_LE = {1, 1, 66, 0, (byte) 0xa8, 5, 34, 0, 16, 0};

    @Test
    void writesEveryFieldAtItsOffsetInTheHostsByteOrder() {
        ByteBuf b = Unpooled.buffer(12).writeZero(12);
        VirtioNetHeader.write(b, 2, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, 66, 1448, 34, 16);
        byte[] got = new byte[VirtioNetHeader.LENGTH];
        b.getBytes(2, got);
        if (!PlatformDependent.BIG_ENDIAN_NATIVE_ORDER) {
            assertThat(got).isEqualTo(GSO_TCPV4_LE);
        }
        assertThat(b.getByte(0)).as("before the header").isZero();
        assertThat(b.getByte(1)).isZero();
    }

    @Test
    void readsBackWhatItWrote() {
        ByteBuf b = Unpooled.buffer(VirtioNetHeader.LENGTH).writeZero(VirtioNetHeader.LENGTH);
        VirtioNetHeader.write(b, 0, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV6, 86, 1428, 54, 16);
        assertThat(VirtioNetHeader.flags(b, 0)).isEqualTo(VirtioNetHeader.F_NEEDS_CSUM);
        assertThat(VirtioNetHeader.gsoType(b, 0)).isEqualTo(VirtioNetHeader.GSO_TCPV6);
        assertThat(VirtioNetHeader.hdrLen(b, 0)).isEqualTo(86);
        assertThat(VirtioNetHeader.gsoSize(b, 0)).isEqualTo(1428);
        assertThat(VirtioNetHeader.csumStart(b, 0)).isEqualTo(54);
        assertThat(VirtioNetHeader.csumOffset(b, 0)).isEqualTo(16);
    }

    @Test
    void parsesAHeaderAsTheKernelLaysItOut() {
        if (PlatformDependent.BIG_ENDIAN_NATIVE_ORDER) {
            return;     // the fixture is little-endian; the round trip above covers big-endian hosts
        }
        ByteBuf b = Unpooled.wrappedBuffer(GSO_TCPV4_LE);
        assertThat(VirtioNetHeader.gsoType(b, 0)).isEqualTo(VirtioNetHeader.GSO_TCPV4);
        assertThat(VirtioNetHeader.hdrLen(b, 0)).isEqualTo(66);
        assertThat(VirtioNetHeader.gsoSize(b, 0)).isEqualTo(1448);
        assertThat(VirtioNetHeader.csumStart(b, 0)).isEqualTo(34);
    }

    @Test
    void onlyTcpSuperFramesOfEitherFamilyCountAsTcpGso() {
        assertThat(VirtioNetHeader.isTcpGso(VirtioNetHeader.GSO_TCPV4)).isTrue();
        assertThat(VirtioNetHeader.isTcpGso(VirtioNetHeader.GSO_TCPV6 | VirtioNetHeader.GSO_ECN)).isTrue();
        assertThat(VirtioNetHeader.isTcpGso(VirtioNetHeader.GSO_NONE)).isFalse();
        assertThat(VirtioNetHeader.isTcpGso(3)).as("UDP (UFO)").isFalse();
        assertThat(VirtioNetHeader.isTcpGso(5)).as("UDP_L4 (USO)").isFalse();
    }

    /** A super-frame's TCP checksum holds the pseudo-header sum; completed, the segment verifies. */
    @Test
    void completesAPartialTcpChecksumSoThatTheSegmentVerifies() {
        byte[] data = new byte[5000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 31);
        }
        ByteBuf frame = GuestFrames.tcp(GuestFrames.GATEWAY, t -> t.seq(1).ack(1).data(data));
        int tcp = 14 + 20;
        int tcpLen = frame.readableBytes() - tcp;
        long pseudo = Checksums.pseudoHeader(GuestFrames.GUEST_IP, GuestFrames.GATEWAY, 6, tcpLen);
        frame.setShort(tcp + TcpPacket.CHECKSUM, Checksums.fold(pseudo));
        ByteBuf withHeader = Unpooled.buffer().writeZero(VirtioNetHeader.LENGTH).writeBytes(frame);
        frame.release();
        VirtioNetHeader.write(withHeader, 0, VirtioNetHeader.F_NEEDS_CSUM, VirtioNetHeader.GSO_TCPV4, tcp + 20,
                1460, tcp, TcpPacket.CHECKSUM);

        assertThat(VirtioNetHeader.completeChecksum(withHeader, 0, VirtioNetHeader.LENGTH,
                withHeader.readableBytes() - VirtioNetHeader.LENGTH)).as("the field's offset")
                .isEqualTo(tcp + TcpPacket.CHECKSUM);
        int l4 = VirtioNetHeader.LENGTH + tcp;
        long sum = Checksums.add(pseudo, withHeader, l4, tcpLen);
        assertThat(Checksums.fold(sum)).as("the one's complement sum of a valid segment").isEqualTo(0xffff);
    }

    @Test
    void refusesAChecksumPositionOutsideTheFrame() {
        ByteBuf b = Unpooled.buffer().writeZero(VirtioNetHeader.LENGTH + 60);
        VirtioNetHeader.write(b, 0, VirtioNetHeader.F_NEEDS_CSUM, 0, 0, 0, 50, 16);
        assertThat(VirtioNetHeader.completeChecksum(b, 0, VirtioNetHeader.LENGTH, 60)).isEqualTo(-1);
        assertThat(b.getShort(VirtioNetHeader.LENGTH + 58)).as("nothing written").isZero();
    }
}
