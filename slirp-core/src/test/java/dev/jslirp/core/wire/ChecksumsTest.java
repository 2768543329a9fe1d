package dev.jslirp.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.IllegalReferenceCountException;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ChecksumsTest {
    /** The straightforward RFC 1071 loop, to compare the 8-bytes-at-a-time one against. */
    private static int reference(byte[] data, int off, int len, long initial) {
        long sum = initial;
        for (int i = 0; i + 1 < len; i += 2) {
            sum += ((data[off + i] & 0xff) << 8) | (data[off + i + 1] & 0xff);
        }
        if ((len & 1) != 0) {
            sum += (data[off + len - 1] & 0xff) << 8;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return (int) (~sum & 0xffff);
    }

    @Test
    void rfc1071ExampleSumsTo0xddf2() {
        // RFC 1071 section 3: 00 01 f2 03 f4 f5 f6 f7 sums (one's complement) to 0xddf2.
        ByteBuf b = Unpooled.wrappedBuffer(new byte[] {0x00, 0x01, (byte) 0xf2, 0x03, (byte) 0xf4, (byte) 0xf5, (byte) 0xf6, (byte) 0xf7});
        assertThat(Checksums.fold(Checksums.add(0, b, 0, 8))).isEqualTo(0xddf2);
        assertThat(Checksums.checksum(b, 0, 8)).isEqualTo(~0xddf2 & 0xffff);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1499, 1500, 9001, 65535})
    void matchesTheReferenceLoopForEveryLengthAndOffset(int len) {
        Random r = new Random(len);
        byte[] data = new byte[len + 3];
        r.nextBytes(data);
        for (int off = 0; off < 3; off++) {
            ByteBuf b = Unpooled.wrappedBuffer(data);
            assertThat(Checksums.checksum(b, off, len)).as("len %d off %d", len, off).isEqualTo(reference(data, off, len, 0));
        }
    }

    /**
     * Direct buffers take the memory-address path (native byte order); every length and
     * start offset, whole buffers and slices, pooled and not, must agree with the
     * reference as heap buffers do.
     */
    @Test
    void directBuffersAndSlicesMatchTheReferenceForEveryLengthAndOffset() {
        Random r = new Random(5);
        byte[] data = new byte[1600];
        r.nextBytes(data);
        ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(data.length).writeBytes(data);
        ByteBuf unpooled = Unpooled.directBuffer(data.length).writeBytes(data);
        ByteBuf slice = pooled.retainedSlice(3, data.length - 3);
        try {
            assertThat(pooled.hasMemoryAddress()).isTrue();
            for (int off = 0; off < 10; off++) {
                for (int len = 0; off + len <= 1590; len += len < 200 ? 1 : 37) {
                    int expected = reference(data, off, len, 0);
                    assertThat(Checksums.checksum(pooled, off, len)).as("pooled len %d off %d", len, off)
                            .isEqualTo(expected);
                    assertThat(Checksums.checksum(unpooled, off, len)).as("unpooled len %d off %d", len, off)
                            .isEqualTo(expected);
                    assertThat(Checksums.checksum(slice, off, len)).as("slice len %d off %d", len, off)
                            .isEqualTo(reference(data, off + 3, len, 0));
                }
            }
            long pseudo = Checksums.pseudoHeader(0x0a00020f, 0x0a000202, 6, 1460);
            assertThat(Checksums.fold(Checksums.add(pseudo, pooled, 54, 1460)))
                    .isEqualTo(~reference(data, 54, 1460, pseudo) & 0xffff);
        } finally {
            pooled.release();
            unpooled.release();
            slice.release();
        }
    }

    @Test
    void aRangeOutsideADirectBufferIsRefused() {
        ByteBuf b = Unpooled.directBuffer(64).writeZero(64);
        try {
            assertThatThrownBy(() -> Checksums.checksum(b, 40, 40)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> Checksums.checksum(b, -8, 40)).isInstanceOf(IndexOutOfBoundsException.class);
        } finally {
            b.release();
        }
    }

    @Test
    void aReleasedDirectBufferIsRefused() {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.directBuffer(64).writeZero(64);
        b.release();
        assertThatThrownBy(() -> Checksums.checksum(b, 0, 64)).isInstanceOf(IllegalReferenceCountException.class);
    }

    @Test
    void allOnesDataDoesNotOverflowTheAccumulator() {
        byte[] data = new byte[65535];
        java.util.Arrays.fill(data, (byte) 0xff);
        assertThat(Checksums.checksum(Unpooled.wrappedBuffer(data), 0, data.length)).isEqualTo(reference(data, 0, data.length, 0));
        ByteBuf direct = Unpooled.directBuffer(data.length).writeBytes(data);
        try {
            assertThat(Checksums.checksum(direct, 0, data.length)).isEqualTo(reference(data, 0, data.length, 0));
        } finally {
            direct.release();
        }
    }

    @Test
    void pseudoHeaderChecksumMatchesReference() {
        Random r = new Random(7);
        for (int i = 0; i < 200; i++) {
            int src = r.nextInt();
            int dst = r.nextInt();
            byte[] seg = new byte[r.nextInt(200)];
            r.nextBytes(seg);
            long pseudo = (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + 6 + seg.length;
            assertThat(Checksums.transportChecksum(Unpooled.wrappedBuffer(seg), 0, seg.length, src, dst, 6))
                    .isEqualTo(reference(seg, 0, seg.length, pseudo));
        }
    }

    @Test
    void incrementalUpdateEqualsRecomputation() {
        Random r = new Random(11);
        for (int i = 0; i < 500; i++) {
            byte[] data = new byte[40];
            r.nextBytes(data);
            ByteBuf b = Unpooled.wrappedBuffer(data);
            int before = Checksums.checksum(b, 0, 40);
            int oldAddr = b.getInt(12);
            int newAddr = r.nextInt();
            b.setInt(12, newAddr);
            assertThat(Checksums.update32(before, oldAddr, newAddr)).isEqualTo(Checksums.checksum(b, 0, 40));
            int oldWord = b.getUnsignedShort(20);
            int newWord = r.nextInt(0x10000);
            int mid = Checksums.checksum(b, 0, 40);
            b.setShort(20, newWord);
            // RFC 1624: results may differ only in the representation of zero.
            int expect = Checksums.checksum(b, 0, 40);
            int got = Checksums.update16(mid, oldWord, newWord);
            assertThat(got == expect || (got == 0xffff && expect == 0) || (got == 0 && expect == 0xffff)).isTrue();
        }
    }
}
