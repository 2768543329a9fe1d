package dev.jslirp.capture;

import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.spi.FrameTap;
import dev.jslirp.core.stats.Counters;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One capture to one file: the network's {@link FrameTap} on the event loop, and a
 * writer thread of its own.
 *
 * <h2>Theory of operation</h2>
 * <p>On the event loop, each frame is copied once, behind a pcap record header, into a
 * pooled direct buffer, and offered to a bounded queue; if the queue holds
 * {@link CaptureLimits#maxQueuedBytes()} already, or is full, the frame is counted as
 * dropped ({@link CaptureCounter#FRAMES_DROPPED}) instead: a slow disk costs frames of the
 * capture, never the guest's network, and memory stays bounded. Nothing on the loop
 * touches a file or blocks.
 *
 * <p>The writer thread opens the file (see {@link PcapFile} for rotation and what it
 * refuses to replace), then takes batches of records from the queue and writes each batch
 * with one gathering write, releasing the buffers. On {@link #finish()} it writes what is
 * queued and closes the file. On an error writing (no space left, the directory gone) it
 * logs it, counts it ({@link CaptureCounter#WRITE_ERRORS}), has the tap removed through
 * {@code onFailure}, and stops: the network carries on.
 *
 * <p>Before ending, the writer waits for one task to pass through the event loop: the tap
 * was removed on the loop before that task ran, so no frame is offered after the last
 * drain, and every buffer copied is written or released.
 *
 * <p>Timestamps: the tap gets times on the network's clock; the session maps them to wall
 * clock time by the offset it saw when it started.
 */
final class CaptureSession implements FrameTap {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureSession.class);
    /** Records per gathering write. */
    private static final int BATCH = 64;
    private static final long POLL_MS = 50;

    private final GuestNetwork network;
    private final Path path;
    private final CaptureLimits limits;
    private final Counters<CaptureCounter> counters;
    private final ArrayBlockingQueue<ByteBuf> queue;
    /** Bytes of records queued; added on the loop, subtracted by the writer. */
    private final AtomicLong queuedBytes = new AtomicLong();
    private final long baseNanos;
    private final long baseEpochMicros;
    private final CompletableFuture<Void> opened = new CompletableFuture<>();
    private final CompletableFuture<String> finished = new CompletableFuture<>();
    private final Thread writer;
    private volatile boolean finishing;
    /** Writer-thread state. */
    private final List<ByteBuf> batch = new ArrayList<>(BATCH);
    private final ByteBuffer[] views = new ByteBuffer[BATCH];
    private long framesWritten;

    /** A session for {@code network} writing to {@code path}; {@link #start} runs it. */
    CaptureSession(GuestNetwork network, Path path, CaptureLimits limits, Counters<CaptureCounter> counters,
                   Consumer<CaptureSession> onFailure) {
        this.network = network;
        this.path = path;
        this.limits = limits;
        this.counters = counters;
        this.queue = new ArrayBlockingQueue<>(Math.max(1024, limits.maxQueuedBytes() / 128));
        this.baseNanos = network.nanoTime();
        long nowMillis = System.currentTimeMillis();
        this.baseEpochMicros = nowMillis * 1000;
        this.writer = new Thread(() -> run(onFailure), "jslirp-pcap");
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

    /** On the event loop: copies {@code frame} behind its record header, or counts it dropped. */
    private void offer(ByteBuf frame, long nanoTime) {
        int length = frame.readableBytes();
        int record = PcapFormat.RECORD_HEADER_LENGTH + length;
        if (queuedBytes.get() + record > limits.maxQueuedBytes()) {
            counters.increment(CaptureCounter.FRAMES_DROPPED);
            return;
        }
        ByteBuf copy = network.alloc().directBuffer(record);
        PcapFormat.writeRecordHeader(copy, baseEpochMicros + (nanoTime - baseNanos) / 1000, length);
        copy.writeBytes(frame, frame.readerIndex(), length);
        if (!queue.offer(copy)) {
            copy.release();
            counters.increment(CaptureCounter.FRAMES_DROPPED);
            return;
        }
        queuedBytes.addAndGet(record);
        counters.increment(CaptureCounter.FRAMES_QUEUED);
    }

    /**
     * Asks the writer to write what is queued and close the file. Call after the tap was
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
        PcapFile file;
        try {
            file = PcapFile.open(path, limits);
        } catch (IOException | RuntimeException e) {
            opened.completeExceptionally(e);
            finished.completeExceptionally(e);
            return;
        }
        opened.complete(null);
        IOException failure = null;
        try {
            while (!finishing) {
                ByteBuf first = queue.poll(POLL_MS, TimeUnit.MILLISECONDS);
                if (first != null) {
                    writeBatch(file, first);
                }
            }
            // Finishing: once the tap is gone nothing more arrives; write the rest.
            awaitTapGone();
            for (ByteBuf next = queue.poll(); next != null; next = queue.poll()) {
                writeBatch(file, next);
            }
        } catch (IOException e) {
            failure = e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
            awaitTapGone();
            finished.completeExceptionally(failure);
        } else {
            finished.complete("capture to " + path + " stopped: " + framesWritten + " frames written ("
                    + String.join(", ", file.files().stream().map(Path::toString).toList()) + ")");
        }
        release(drainAll());
    }

    /** Writes {@code first} and whatever else is queued, up to a batch, with one gathering write. */
    private void writeBatch(PcapFile file, ByteBuf first) throws IOException {
        batch.add(first);
        queue.drainTo(batch, BATCH - 1);
        try {
            write(file, batch, views);
        } finally {
            release(batch);
        }
    }

    private void write(PcapFile file, List<ByteBuf> batch, ByteBuffer[] views) throws IOException {
        long bytes = 0;
        int n = batch.size();
        for (int i = 0; i < n; i++) {
            ByteBuf b = batch.get(i);
            views[i] = b.nioBuffer();
            bytes += b.readableBytes();
        }
        int rotations;
        try {
            rotations = file.write(views, n);
        } finally {
            for (int i = 0; i < n; i++) {
                views[i] = null;
            }
        }
        queuedBytes.addAndGet(-bytes);
        framesWritten += n;
        counters.add(CaptureCounter.FRAMES_WRITTEN, n);
        counters.add(CaptureCounter.BYTES_WRITTEN, bytes);
        if (rotations > 0) {
            counters.add(CaptureCounter.FILES_ROTATED, rotations);
        }
    }

    private static void release(List<ByteBuf> bufs) {
        for (ByteBuf b : bufs) {
            b.release();
        }
        bufs.clear();
    }

    private List<ByteBuf> drainAll() {
        List<ByteBuf> rest = new ArrayList<>();
        queue.drainTo(rest);
        return rest;
    }

    /** Waits until a task submitted now has run on the loop: any tap removal submitted before has run. */
    private void awaitTapGone() {
        try {
            network.eventLoop().submit(() -> { }).await(5, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            // The loop has shut down: nothing offers frames any more.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "packet capture to " + path;
    }
}
