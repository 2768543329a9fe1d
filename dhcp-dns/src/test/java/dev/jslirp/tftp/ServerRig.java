package dev.jslirp.tftp;

import dev.jslirp.core.stats.Counters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;

/** A {@link TftpServer} over {@link MemoryFiles}, clients named by strings, and a manual clock. */
final class ServerRig implements TftpServer.Transport<String>, AutoCloseable {
    /** One message the server sent. */
    record Sent(int fromPort, String peer, int peerPort, TftpWire.Message message) {
    }

    final Counters<TftpCounter> counters = new Counters<>(TftpCounter.class);
    final MemoryFiles files = new MemoryFiles();
    final TftpServer<String> server;
    private final Outbox<Sent> sent = new Outbox<>();
    long now = 5_000_000_000L;

    ServerRig() {
        this(TftpConfig.builder().root(System.getProperty("java.io.tmpdir")).build());
    }

    ServerRig(TftpConfig config) {
        this(config, PooledByteBufAllocator.DEFAULT);
    }

    /** A rig whose server allocates from {@code alloc} (a fuzz target's tracking allocator). */
    ServerRig(TftpConfig config, ByteBufAllocator alloc) {
        server = new TftpServer<>(config, 1468, files, this, counters, alloc, () -> now, new SplittableRandom(42));
    }

    /** Delivers {@code message} from {@code peer:peerPort} to {@code port}, then lets the files answer. */
    boolean deliver(String peer, int peerPort, int port, byte[] message) {
        ByteBuf b = Unpooled.buffer(message.length + 10);
        b.writeZero(3).writeBytes(message).writeZero(7);
        try {
            return server.receive(peer, peerPort, port, b, 3, message.length, now);
        } finally {
            b.release();
            files.run();
        }
    }

    void advance(Duration d) {
        now += d.toNanos();
        server.timer(now);
        files.run();
    }


    List<Sent> drain() {
        return sent.drain();
    }

    Sent one() {
        return sent.one();
    }

    @Override
    public ByteBuf allocate(int length) {
        return Unpooled.buffer(length, length);
    }

    @Override
    public void send(ByteBuf message, int serverPort, String peer, int peerPort) {
        sent.add(new Sent(serverPort, peer, peerPort, TftpWire.decode(TftpWire.take(message))));
    }

    @Override
    public void close() {
        server.abortAll();
        files.run();
    }
}
