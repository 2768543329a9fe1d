package dev.jslirp.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Timestamp;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;

/**
 * The capture writer's side, per record of a {@code frameSize}-byte frame written to
 * {@code /dev/null} (the CPU cost, not the disk's), two ways:
 *
 * <ul>
 *   <li>{@link #direct}: as jslirp's writer does ({@code dev.jslirp.capture.PcapFile}): the
 *       16-byte record header in front of the frame's bytes in a direct buffer, 64 records per
 *       gathering {@code FileChannel.write};</li>
 *   <li>{@link #pcap4jDumper}: pcap4j's {@code PcapDumper.dumpRaw}, one native
 *       {@code pcap_dump} call through JNA per record (the frame as a {@code byte[]}, which a
 *       Netty buffer would first have to be copied into). Needs the native libpcap; the
 *       benchmark looks for Debian's {@code libpcap.so.0.8} (package libpcap0.8, which tshark
 *       brings).</li>
 * </ul>
 * The numbers decide why jslirp writes pcap itself (benchmarks/README.md).
 */
public class PcapWriteBenchmark extends BenchmarkDefaults {
    private static final int BATCH = 64;
    private static final List<String> LIBPCAP = List.of("/usr/lib/x86_64-linux-gnu/libpcap.so.0.8",
            "/usr/lib/aarch64-linux-gnu/libpcap.so.0.8", "/usr/lib/libpcap.so.0.8");

    /** Frame bytes: a small frame and a full one at MTU 1500. */
    @Param({"60", "1514"})
    public int frameSize;

    private FileChannel devNull;
    private ByteBuffer[] records;
    private byte[] frame;
    private PcapHandle handle;
    private PcapDumper dumper;
    private Timestamp when;

    /** Opens /dev/null both ways and builds the records. */
    @Setup
    public void setUp() throws Exception {
        devNull = FileChannel.open(Path.of("/dev/null"), StandardOpenOption.WRITE);
        records = new ByteBuffer[BATCH];
        frame = Templates.payload(frameSize);
        for (int i = 0; i < BATCH; i++) {
            records[i] = ByteBuffer.allocateDirect(16 + frameSize).order(ByteOrder.LITTLE_ENDIAN);
        }
        String lib = LIBPCAP.stream().filter(p -> Files.exists(Path.of(p))).findFirst()
                .orElseThrow(() -> new IllegalStateException("no libpcap in " + LIBPCAP + " (apt-get install libpcap0.8)"));
        System.setProperty("org.pcap4j.core.pcapLibName", lib);
        handle = Pcaps.openDead(DataLinkType.EN10MB, 262_144);
        dumper = handle.dumpOpen("/dev/null");
        when = new Timestamp(System.currentTimeMillis());
    }

    /** 64 records, each header and frame copied into a direct buffer, in one gathering write. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long direct() throws IOException {
        long micros = System.currentTimeMillis() * 1000;
        for (ByteBuffer r : records) {
            r.clear();
            r.putInt((int) (micros / 1_000_000)).putInt((int) (micros % 1_000_000)).putInt(frameSize).putInt(frameSize);
            r.put(frame);
            r.flip();
        }
        long n = 0;
        while (records[BATCH - 1].hasRemaining()) {
            n += devNull.write(records);
        }
        return n;
    }

    /** 64 records through pcap4j's dumper, one JNA call each. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public void pcap4jDumper() throws Exception {
        for (int i = 0; i < BATCH; i++) {
            dumper.dumpRaw(frame, when);
        }
    }

    /** Closes everything. */
    @TearDown
    public void tearDown() throws IOException {
        dumper.close();
        handle.close();
        devNull.close();
    }
}
