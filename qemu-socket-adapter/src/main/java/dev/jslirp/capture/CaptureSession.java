package dev.jslirp.capture;

import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.spi.FrameTap;
import dev.jslirp.core.stats.Counters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocalThread;
import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One capture to one file: the network's {@link FrameTap} on the event loop, and a
 * writer thread of its own.
 *
 * <h2>Theory of operation</h2>
 * <p>Memory is a fixed set of chunks (direct buffers made once, {@link CaptureLimits#maxQueuedBytes()}
 * in all) that travel between the two threads through two lock-free queues: the loop fills
 * its current chunk and passes it on when full ({@code full}); the writer writes each full
 * chunk and hands it back ({@code free}). On the loop a frame costs one copy behind its
 * pcap record header into the current chunk: no allocation, no lock, no wake-up of the
 * writer (which polls). When no free chunk is left (the disk is behind), frames are
 * dropped from the capture and counted ({@link CaptureCounter#FRAMES_DROPPED}): a slow disk
 * costs frames of the capture, never the guest's network, and memory stays bounded.
 * Nothing on the loop touches a file.
 *
 * <p>A chunk partly filled when traffic pauses would wait for the next frame; so a writer
 * that has found nothing for a while asks the loop to pass it on
 * ({@link #publishPartial}), and at the end it does so before the last writes.
 *
 * <p>The writer thread opens the file (see {@link PcapFile} for rotation and what it
 * refuses to replace), then writes each chunk with one write, two where the file must
 * rotate between two of its records (it walks the record headers to find the place). On
 * {@link #finish()} it waits until the tap is gone (the removal ran on the loop before a
 * task it submits), has the current chunk passed on, writes what is left and closes the
 * file. On an error writing (no space left, the directory gone) it logs it, counts it
 * ({@link CaptureCounter#WRITE_ERRORS}), has the tap removed through {@code onFailure}
 * and stops: the network carries on. Either way it releases every chunk at the end.
 *
 * <p>Timestamps: the tap gets times on the network's clock; the session maps them to wall
 * clock time by the offset it saw when it started.
 */
final class CaptureSession implements FrameTap {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureSession.class);
    /** The largest chunk: a write of this size is efficient, and a few fit the default bound. */
    private static final int MAX_CHUNK_BYTES = 256 << 10;
    private static final long SHORT_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long LONG_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
    /** Empty polls after which the writer asks for the partial chunk and parks longer (about 20 ms). */
    private static final int IDLE_POLLS = 20;

    private final GuestNetwork network;
    private final Path path;
    private final CaptureLimits limits;
    private final Counters<CaptureCounter> counters;
    private final int chunkBytes;
    private final int chunkCount;
    /** Every chunk, made by the writer before the file opens (so not on the loop), released by it at the end. */
    private final List<ByteBuf> chunks = new ArrayList<>();
    /** Chunks filled by the loop, for the writer. */
    private final Queue<ByteBuf> full;
    /** Chunks written, back to the loop. */
    private final Queue<ByteBuf> free;
    private final long baseNanos;
    private final long baseEpochMicros;
    private final CompletableFuture<Void> opened = new CompletableFuture<>();
    private final CompletableFuture<String> finished = new CompletableFuture<>();
    private final Thread writer;
    private final Runnable publishTask = this::publishPartial;
    private final AtomicBoolean publishAsked = new AtomicBoolean();
    private volatile boolean finishing;
    /** The chunk the loop fills; loop-confined. */
    private ByteBuf current;
    private long framesWritten;

    /** A session for {@code network} writing to {@code path}; {@link #start} runs it. */
    CaptureSession(GuestNetwork network, Path path, CaptureLimits limits, Counters<CaptureCounter> counters,
                   Consumer<CaptureSession> onFailure) {
        this.network = network;
        this.path = path;
        this.limits = limits;
        this.counters = counters;
        this.chunkBytes = Math.min(MAX_CHUNK_BYTES, Math.max(limits.maxQueuedBytes() / 4, 1));
        this.chunkCount = Math.max(2, limits.maxQueuedBytes() / chunkBytes);
        this.full = PlatformDependent.newFixedMpscQueue(chunkCount);
        this.free = PlatformDependent.newFixedMpscQueue(chunkCount);
        this.baseNanos = network.nanoTime();
        this.baseEpochMicros = System.currentTimeMillis() * 1000;
        // A FastThreadLocalThread, as the loop is, for Netty's thread-local caches.
        this.writer = new FastThreadLocalThread(() -> run(onFailure), "jslirp-pcap");
        writer.setDaemon(true);
    }

    /** Starts the writer; the future completes once the file is open with its header, or fails saying why not. */
    CompletableFuture<Void> start() {
        writer.start();
        return opened;
    }

    /** The file. */
    Path path() {
        return path;
    }

    @Override
    public void fromGuest(ByteBuf frame, long nanoTime) {
        offer(frame, nanoTime);
    }

    @Override
    public void toGuest(ByteBuf frame, long nanoTime) {
        offer(frame, nanoTime);
    }

    /** On the event loop: copies {@code frame} behind its record header into the current chunk, or counts it dropped. */
    private void offer(ByteBuf frame, long nanoTime) {
        int length = frame.readableBytes();
        int record = PcapFormat.RECORD_HEADER_LENGTH + length;
        ByteBuf c = current;
        if (c == null || c.writableBytes() < record) {
            if (c != null) {
                full.offer(c); // never full: it has room for every chunk
            }
            c = free.poll();
            current = c;
            if (c == null || c.writableBytes() < record) {
                counters.increment(CaptureCounter.FRAMES_DROPPED);
                return;
            }
        }
        PcapFormat.writeRecordHeader(c, baseEpochMicros + (nanoTime - baseNanos) / 1000, length);
        c.writeBytes(frame, frame.readerIndex(), length);
        counters.increment(CaptureCounter.FRAMES_QUEUED);
    }

    /** On the event loop: passes a partly filled chunk on to the writer. */
    private void publishPartial() {
        publishAsked.set(false);
        ByteBuf c = current;
        if (c != null && c.isReadable()) {
            current = null;
            full.offer(c);
        }
    }

    /**
     * Asks the writer to write what is captured and close the file. Call after the tap was
     * removed (or its removal submitted to the loop).
     *
     * @return completes with a summary once the file is closed, or with the error that stopped it
     */
    CompletableFuture<String> finish() {
        finishing = true;
        return finished;
    }

    /** The writer thread. */
    private void run(Consumer<CaptureSession> onFailure) {
        for (int i = 0; i < chunkCount; i++) {
            ByteBuf c = Unpooled.directBuffer(chunkBytes, chunkBytes);
            chunks.add(c);
            free.add(c);
        }
        PcapFile file;
        try {
            file = PcapFile.open(path, limits);
        } catch (IOException | RuntimeException e) {
            releaseChunks();
            opened.completeExceptionally(e);
            finished.completeExceptionally(e);
            return;
        }
        opened.complete(null);
        IOException failure = null;
        try {
            int idle = 0;
            while (!finishing) {
                ByteBuf c = full.poll();
                if (c != null) {
                    write(file, c);
                    idle = 0;
                    continue;
                }
                if (++idle == IDLE_POLLS) {
                    askForPartial();
                }
                // The loop never signals (a wake-up per chunk would cost it a system call): the
                // writer looks every millisecond, every 10 ms once idle for a while.
                LockSupport.parkNanos(idle < IDLE_POLLS ? SHORT_PARK_NANOS : LONG_PARK_NANOS);
            }
            // Finishing: once the tap is gone nothing more arrives; write the rest.
            onLoopAndWait(() -> { });
            onLoopAndWait(this::publishPartial);
            for (ByteBuf c = full.poll(); c != null; c = full.poll()) {
                write(file, c);
            }
        } catch (IOException e) {
            failure = e;
        }
        try {
            file.close();
        } catch (IOException e) {
            failure = failure != null ? failure : e;
        }
        if (failure != null) {
            counters.increment(CaptureCounter.WRITE_ERRORS);
            LOG.error("packet capture to {} stopped: {}", path, failure.toString());
            onFailure.accept(this);
            onLoopAndWait(() -> current = null);
            releaseChunks();
            finished.completeExceptionally(failure);
        } else {
            releaseChunks();
            finished.complete("capture to " + path + " stopped: " + framesWritten + " frames written ("
                    + String.join(", ", file.files().stream().map(Path::toString).toList()) + ")");
        }
    }

    /** Writes the records of chunk {@code c}, rotating between two records where the file bound requires, and frees it. */
    private void write(PcapFile file, ByteBuf c) throws IOException {
        int end = c.writerIndex();
        int from = c.readerIndex();
        int frames = 0;
        int rotations = 0;
        try {
            for (int i = from; i < end; frames++) {
                int record = PcapFormat.RECORD_HEADER_LENGTH + c.getIntLE(i + PcapFormat.INCL_LEN_OFFSET);
                if (!file.fits(i + record - from) && !(i == from && file.isEmpty())) {
                    writeRange(file, c, from, i);
                    file.rotate();
                    rotations++;
                    from = i;
                }
                i += record;
            }
            writeRange(file, c, from, end);
        } finally {
            c.clear();
            free.offer(c);
        }
        framesWritten += frames;
        counters.add(CaptureCounter.FRAMES_WRITTEN, frames);
        counters.add(CaptureCounter.BYTES_WRITTEN, end);
        if (rotations > 0) {
            counters.add(CaptureCounter.FILES_ROTATED, rotations);
        }
    }

    private static void writeRange(PcapFile file, ByteBuf c, int from, int to) throws IOException {
        if (to > from) {
            // The chunk's own cached view: no ByteBuffer made per write.
            file.write(c.internalNioBuffer(from, to - from));
        }
    }

    /** Asks the loop, without waiting, to pass on a partly filled chunk. */
    private void askForPartial() {
        EventLoop loop = network.eventLoop();
        // An embedded loop (tests, benchmarks) is not to be fed from another thread.
        if (!loop.inEventLoop() && publishAsked.compareAndSet(false, true)) {
            try {
                loop.execute(publishTask);
            } catch (RejectedExecutionException e) {
                publishAsked.set(false);
            }
        }
    }

    /**
     * Runs {@code task} on the loop and waits for it; also means any task submitted before
     * (a tap removal) has run. An embedded loop runs tasks only when its owner asks and counts
     * every thread as its own: there the task runs here, the tap being removed synchronously.
     */
    private void onLoopAndWait(Runnable task) {
        EventLoop loop = network.eventLoop();
        if (loop.inEventLoop()) {
            task.run();
            return;
        }
        try {
            loop.submit(task).await(5, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            // The loop has shut down: nothing offers frames any more.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void releaseChunks() {
        for (ByteBuf c : chunks) {
            c.release();
        }
    }

    @Override
    public String toString() {
        return "packet capture to " + path;
    }
}
