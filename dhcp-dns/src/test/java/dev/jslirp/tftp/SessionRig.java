package dev.jslirp.tftp;

import dev.jslirp.core.stats.Counters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One {@link TftpSession} under test with a manual clock, an in-memory file and a link that
 * records what the session sends. File reads are answered when the test says
 * ({@link #answerReads}), or at once after each step in {@link #autoRead} mode.
 */
final class SessionRig implements TftpSession.Link {
    static final long START = 1_000_000_000L;

    final Counters<TftpCounter> counters = new Counters<>(TftpCounter.class);
    final TftpSession session;
    private final Outbox<TftpWire.Message> sent = new Outbox<>();
    final Deque<Integer> reads = new ArrayDeque<>();
    final List<Integer> readSizes = new ArrayList<>();
    private final byte[] file;
    private int filePosition;
    private boolean autoRead = true;
    long now = START;
    TftpSession.Outcome outcome;
    int endedCalls;

    SessionRig(ReadRequest request, byte[] file) {
        this(request, file, new TransferParameters.Limits(1468, 65536, TimeUnit.SECONDS.toNanos(1)), 5);
    }

    SessionRig(ReadRequest request, byte[] file, TransferParameters.Limits limits, int maxRetransmissions) {
        this.file = file;
        this.session = new TftpSession(request, limits, maxRetransmissions, this, counters,
                PooledByteBufAllocator.DEFAULT, now);
    }

    /** A request for "f" in octet mode with the given options (ABSENT where -1). */
    static ReadRequest request(long blksize, long tsize, long timeout, long windowsize) {
        return new ReadRequest("f", TransferMode.OCTET, blksize, tsize, timeout, windowsize);
    }

    /** Reads are left outstanding until {@link #answerReads}. */
    SessionRig manualReads() {
        autoRead = false;
        return this;
    }

    /** The file opens now. */
    SessionRig open() {
        session.opened(file.length, now);
        settle();
        return this;
    }

    void ack(long block) {
        receive(TftpWire.ack(block));
    }

    void receive(byte[] message) {
        TftpPacket p = new TftpPacket();
        ByteBuf b = Unpooled.wrappedBuffer(message);
        try {
            if (!p.wrap(b, 0, message.length)) {
                throw new AssertionError("test sent a malformed message");
            }
            session.receive(p, now);
        } finally {
            b.release();
        }
        settle();
    }

    void advance(Duration d) {
        now += d.toNanos();
        session.timer(now);
        settle();
    }

    /** Answers every outstanding read from the file, as the file system would. */
    void answerReads() {
        while (!reads.isEmpty()) {
            int max = reads.poll();
            int n = Math.min(max, file.length - filePosition);
            ByteBuf data = Unpooled.copiedBuffer(file, filePosition, n);
            filePosition += n;
            session.bytesRead(data, n < max, now);
        }
    }

    private void settle() {
        if (autoRead) {
            answerReads();
        }
    }


    List<TftpWire.Message> drain() {
        return sent.drain();
    }

    TftpWire.Message one() {
        return sent.one();
    }

    @Override
    public ByteBuf allocate(int length) {
        // Capacity exactly the announced length: writing more fails the test.
        return Unpooled.buffer(length, length);
    }

    @Override
    public void send(ByteBuf message) {
        sent.add(TftpWire.decode(TftpWire.take(message)));
    }

    @Override
    public void read(int maxBytes) {
        if (!reads.isEmpty()) {
            throw new AssertionError("a second read while one is outstanding");
        }
        reads.add(maxBytes);
        readSizes.add(maxBytes);
    }

    @Override
    public void ended(TftpSession s, TftpSession.Outcome o) {
        outcome = o;
        endedCalls++;
    }
}
