package dev.jslirp.capture;

import static dev.jslirp.transport.TestNetwork.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.TestNetwork;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Packet capture of a real network on its event loop: the guest side is played with
 * frames, the files are read back by tshark. Both directions, rotation within the bound,
 * drops when the writer falls behind, and files that cannot be written.
 */
class PacketCaptureTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int SMALL_FILE = CaptureLimits.MIN_FILE_BYTES;

    @TempDir
    Path dir;

    private TestNetwork tn;
    private GuestNetwork network;
    private final AtomicLong toGuest = new AtomicLong();

    @BeforeEach
    void network() {
        tn = new TestNetwork(IoTransport.best());
        network = tn.network();
        network.attach(new FrameSink() {
            @Override
            public void send(ByteBuf frame) {
                frame.release();
                toGuest.incrementAndGet();
            }

            @Override
            public void flush() {
            }
        });
    }

    @AfterEach
    void close() {
        tn.close();
    }

    private Counters<CaptureCounter> counters() {
        return network.stats().service(PacketCapture.COUNTER_SET, CaptureCounter.class);
    }

    /** Pings the gateway {@code n} times with {@code size} bytes of data; waits for the replies. */
    private void ping(int n, int size) {
        long before = toGuest.get();
        for (int i = 0; i < n; i++) {
            network.receiveFromGuest(GuestFrames.echoRequest(GuestFrames.GATEWAY, 7, i, new byte[size]));
        }
        await(n + " echo replies", WAIT, () -> toGuest.get() >= before + n);
    }

    /** The gateway answers ARP: the network still works. */
    private void assertNetworkAnswers() {
        long before = toGuest.get();
        network.receiveFromGuest(GuestFrames.arpRequest(GuestFrames.GATEWAY));
        await("an ARP reply", WAIT, () -> toGuest.get() > before);
    }

    @Test
    void framesBothWaysAreReadByTshark() throws Exception {
        Path file = dir.resolve("cap.pcap");
        PacketCapture capture = new PacketCapture(network, CaptureLimits.defaults());
        assertThat(capture.start(file).get(10, TimeUnit.SECONDS)).isEqualTo("capturing to " + file
                + " (at most 2 files of 64 MiB)");
        assertThat(capture.file()).isEqualTo(file);
        assertNetworkAnswers();
        ping(3, 100);
        assertThat(capture.stop().get(10, TimeUnit.SECONDS)).startsWith("capture to " + file + " stopped: 8 frames");
        assertThat(capture.file()).isNull();

        List<String> lines = Tshark.fields(file, null, "eth.src", "eth.dst", "_ws.col.Protocol", "icmp.type",
                "icmp.seq", "frame.len");
        assertThat(lines).containsExactly(
                "52:54:00:12:34:56\tff:ff:ff:ff:ff:ff\tARP\t\t\t42",
                "52:55:0a:00:02:02\t52:54:00:12:34:56\tARP\t\t\t42",
                "52:54:00:12:34:56\t52:55:0a:00:02:02\tICMP\t8\t0\t142",
                "52:55:0a:00:02:02\t52:54:00:12:34:56\tICMP\t0\t0\t142",
                "52:54:00:12:34:56\t52:55:0a:00:02:02\tICMP\t8\t1\t142",
                "52:55:0a:00:02:02\t52:54:00:12:34:56\tICMP\t0\t1\t142",
                "52:54:00:12:34:56\t52:55:0a:00:02:02\tICMP\t8\t2\t142",
                "52:55:0a:00:02:02\t52:54:00:12:34:56\tICMP\t0\t2\t142");
        List<String> times = Tshark.fields(file, null, "frame.time_epoch");
        double first = Double.parseDouble(times.get(0));
        assertThat(first * 1000).as("wall-clock time").isCloseTo(System.currentTimeMillis(),
                org.assertj.core.data.Offset.offset(60_000.0));
        assertThat(counters().get(CaptureCounter.FRAMES_WRITTEN)).isEqualTo(8);
        assertThat(counters().get(CaptureCounter.FRAMES_DROPPED)).isZero();
        assertThat(Files.getPosixFilePermissions(file)).extracting(Object::toString)
                .containsExactlyInAnyOrder("OWNER_READ", "OWNER_WRITE");
    }

    @Test
    void rotationKeepsAtMostTheFilesAskedForEachWithinTheSizeBound() throws Exception {
        Path file = dir.resolve("rot.pcap");
        PacketCapture capture = new PacketCapture(network, new CaptureLimits(SMALL_FILE, 3, 8 << 20));
        capture.start(file).get(10, TimeUnit.SECONDS);
        for (int i = 0; i < 10; i++) {
            ping(40, 1400); // 80 frames of 1442 bytes: ~117 KiB a round
        }
        capture.stop().get(10, TimeUnit.SECONDS);

        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted())
                    .containsExactly("rot.pcap", "rot.pcap.1", "rot.pcap.2");
        }
        long packets = 0;
        for (Path p : List.of(file, dir.resolve("rot.pcap.1"), dir.resolve("rot.pcap.2"))) {
            assertThat(Files.size(p)).as(p.toString()).isLessThanOrEqualTo(SMALL_FILE);
            List<String> lens = Tshark.fields(p, null, "frame.len");
            assertThat(lens).as("tshark reads " + p).isNotEmpty().allMatch("1442"::equals);
            packets += lens.size();
        }
        assertThat(counters().get(CaptureCounter.FRAMES_WRITTEN)).isEqualTo(800);
        assertThat(counters().get(CaptureCounter.FILES_ROTATED)).isGreaterThanOrEqualTo(6);
        assertThat(packets).as("the newest three files' worth").isLessThan(800).isGreaterThan(200);
    }

    @Test
    void aWriterThatFallsBehindCostsCapturedFramesNotTheNetwork() throws Exception {
        // A FIFO whose reader waits: the writer blocks once the pipe is full, as on a stalled disk.
        Path fifo = dir.resolve("stalled");
        assertThat(new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor()).isZero();
        CountDownLatch readNow = new CountDownLatch(1);
        Path copy = dir.resolve("copy.pcap");
        CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> {
            try (InputStream in = Files.newInputStream(fifo)) {
                readNow.await();
                return Files.copy(in, copy);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        PacketCapture capture = new PacketCapture(network, new CaptureLimits(SMALL_FILE, 1, 1 << 20));
        capture.start(fifo).get(10, TimeUnit.SECONDS);
        ping(1000, 1400); // 2,000 frames, 2.9 MB: the pipe (64 KiB) and the chunks (1 MiB) overflow
        Counters<CaptureCounter> c = counters();
        assertThat(c.get(CaptureCounter.FRAMES_DROPPED)).as("frames dropped from the capture").isPositive();
        assertThat(c.get(CaptureCounter.FRAMES_QUEUED) + c.get(CaptureCounter.FRAMES_DROPPED)).isEqualTo(2000);
        assertNetworkAnswers();
        readNow.countDown();
        capture.stop().get(10, TimeUnit.SECONDS);
        reader.get(10, TimeUnit.SECONDS);
        assertThat(c.get(CaptureCounter.FRAMES_WRITTEN)).isEqualTo(c.get(CaptureCounter.FRAMES_QUEUED));
        assertThat(Tshark.fields(copy, null, "frame.len")).hasSize((int) c.get(CaptureCounter.FRAMES_WRITTEN));
        assertThat(Tshark.fields(copy, "icmp", "frame.len")).allMatch("1442"::equals);
    }

    @Test
    void aFileThatCannotBeOpenedIsAnErrorAndTheNetworkRunsOn() throws Exception {
        PacketCapture capture = new PacketCapture(network, CaptureLimits.defaults());
        assertThatThrownBy(() -> capture.start(dir.resolve("no/such/dir/x.pcap")).get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).cause().isInstanceOf(IOException.class)
                .hasMessageContaining("x.pcap");
        assertThatThrownBy(() -> capture.start(Path.of("/dev/full")).get(10, TimeUnit.SECONDS))
                .cause().isInstanceOf(IOException.class).hasMessageContaining("No space left on device");
        Path notACapture = dir.resolve("notes.txt");
        Files.writeString(notACapture, "keep me");
        assertThatThrownBy(() -> capture.start(notACapture).get(10, TimeUnit.SECONDS))
                .cause().hasMessageContaining("is not a pcap capture");
        assertThat(Files.readString(notACapture)).isEqualTo("keep me");
        assertThat(capture.file()).isNull();
        assertNetworkAnswers();
    }

    @Test
    void anErrorWhileWritingStopsTheCaptureAndTheNetworkRunsOn() throws Exception {
        Path sub = Files.createDirectory(dir.resolve("going"));
        Path file = sub.resolve("cap.pcap");
        PacketCapture capture = new PacketCapture(network, new CaptureLimits(SMALL_FILE, 2, 8 << 20));
        capture.start(file).get(10, TimeUnit.SECONDS);
        ping(10, 1400);
        await("written", WAIT, () -> counters().get(CaptureCounter.FRAMES_WRITTEN) == 20);
        Files.delete(file);
        Files.delete(sub); // rotation cannot rename into a directory that is gone
        ping(100, 1400);
        await("the write error", WAIT, () -> counters().get(CaptureCounter.WRITE_ERRORS) == 1);
        await("the capture gone", WAIT, () -> capture.file() == null);
        long queued = counters().get(CaptureCounter.FRAMES_QUEUED);
        ping(10, 1400);
        assertNetworkAnswers();
        assertThat(counters().get(CaptureCounter.FRAMES_QUEUED)).as("no tap any more").isEqualTo(queued);
        assertThatThrownBy(() -> capture.stop().get()).cause().hasMessage("no capture is running");
        // A new capture can start once the failed one is done.
        Path again = dir.resolve("again.pcap");
        await("restartable", WAIT, () -> {
            try {
                capture.start(again).get(10, TimeUnit.SECONDS);
                return true;
            } catch (ExecutionException e) {
                assertThat(e.getCause()).hasMessageContaining("still being written");
                return false;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        ping(1, 10);
        capture.stop().get(10, TimeUnit.SECONDS);
        assertThat(Tshark.fields(again, "icmp", "icmp.type")).containsExactly("8", "0");
    }
}
