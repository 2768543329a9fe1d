package dev.jslirp.bench;

import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.wire.Checksums;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The Internet checksum ({@link Checksums#add} then {@link Checksums#fold}) over a
 * range of a pooled buffer, heap or direct: what every frame from the guest costs per
 * byte (IPv4 header, then the whole UDP/TCP/ICMP message) and every frame to it.
 *
 * <p>The range starts at byte 34 of the buffer, where a transport header starts in a
 * frame (14 bytes of Ethernet, 20 of IPv4), so the 8-byte reads are unaligned as they
 * are on the real path. Sizes: 20 (an IPv4 or bare TCP header), 1460 (a full TCP
 * segment at MTU 1500), 9000 (a jumbo frame), 65535 (the largest datagram).
 */
public class ChecksumBenchmark extends BenchmarkDefaults {
    /** Where the summed range starts: a transport header's offset in a frame. */
    static final int OFFSET = (EthernetFrame.HEADER_LENGTH + Ipv4Packet.MIN_HEADER_LENGTH);

    /** Bytes summed. */
    @Param({"20", "1460", "9000", "65535"})
    public int size;

    /** {@code heap} or {@code direct} (pooled either way). */
    @Param({"heap", "direct"})
    public String buffer;

    private ByteBuf buf;

    /** Fills a buffer with fixed pseudo-random bytes. */
    @Setup
    public void setUp() {
        buf = "direct".equals(buffer)
                ? PooledByteBufAllocator.DEFAULT.directBuffer(OFFSET + size)
                : PooledByteBufAllocator.DEFAULT.heapBuffer(OFFSET + size);
        buf.writeZero(OFFSET);
        buf.writeBytes(Templates.payload(size));
    }

    /** Releases the buffer. */
    @TearDown
    public void tearDown() {
        buf.release();
    }

    /** The folded one's-complement sum of {@code size} bytes. */
    @Benchmark
    public int addAndFold() {
        return Checksums.fold(Checksums.add(0, buf, OFFSET, size));
    }
}
