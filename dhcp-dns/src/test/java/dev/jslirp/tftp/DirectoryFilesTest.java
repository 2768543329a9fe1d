package dev.jslirp.tftp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real file access on a temporary directory: what is served, what is refused and why,
 * and that the event loop (here a single thread standing for it) gets every answer.
 */
class DirectoryFilesTest {
    @TempDir
    Path tmp;
    Path root;
    Path outside;
    ExecutorService blocking;
    ExecutorService loop;
    DirectoryFiles files;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectory(tmp.resolve("tftp"));
        outside = Files.createDirectory(tmp.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "not for the guest");
        blocking = Executors.newFixedThreadPool(2);
        loop = Executors.newSingleThreadExecutor();
        files = new DirectoryFiles(TftpConfig.builder().root(root).build().root(), blocking, loop,
                PooledByteBufAllocator.DEFAULT);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        blocking.shutdown();
        loop.shutdown();
        assertThat(blocking.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        assertThat(loop.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }

    /** What an open answered: a source or an error; and on which thread. */
    record Answer(TftpSource source, TftpError error, Thread thread) {
    }

    private Answer open(String name, TransferMode mode) throws Exception {
        return open(files, name, mode);
    }

    private static Answer open(DirectoryFiles files, String name, TransferMode mode) throws Exception {
        CompletableFuture<Answer> f = new CompletableFuture<>();
        files.open(name, mode, new TftpFiles.OpenListener() {
            @Override
            public void opened(TftpSource source) {
                f.complete(new Answer(source, null, Thread.currentThread()));
            }

            @Override
            public void failed(TftpError error) {
                f.complete(new Answer(null, error, Thread.currentThread()));
            }
        });
        return f.get(5, TimeUnit.SECONDS);
    }

    private TftpError refusal(String name) throws Exception {
        Answer a = open(name, TransferMode.OCTET);
        if (a.source() != null) {
            a.source().close();
        }
        return a.error();
    }

    /** One read's bytes and end flag. */
    record Chunk(byte[] bytes, boolean end) {
    }

    private static Chunk read(TftpSource source, int max) throws Exception {
        CompletableFuture<Chunk> f = new CompletableFuture<>();
        source.read(max, new TftpSource.ReadListener() {
            @Override
            public void read(ByteBuf data, boolean end) {
                f.complete(new Chunk(ByteBufUtil.getBytes(data), end));
                data.release();
            }

            @Override
            public void failed() {
                f.completeExceptionally(new IOException("read failed"));
            }
        });
        return f.get(5, TimeUnit.SECONDS);
    }

    private static byte[] readAll(TftpSource source, int chunk) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            Chunk c = read(source, chunk);
            out.writeBytes(c.bytes());
            if (c.end()) {
                return out.toByteArray();
            }
            assertThat(c.bytes()).isNotEmpty();
        }
    }

    @Test
    void regularFileIsReadInOrderToItsEndOnTheLoop() throws Exception {
        byte[] content = TftpSessionTest.file(10_000);
        Files.createDirectories(root.resolve("boot"));
        Files.write(root.resolve("boot/kernel"), content);
        Thread loopThread = loop.submit(Thread::currentThread).get();
        Answer a = open("boot/kernel", TransferMode.OCTET);
        assertThat(a.thread()).isSameAs(loopThread);
        assertThat(a.source().size()).isEqualTo(10_000);
        assertThat(readAll(a.source(), 3000)).isEqualTo(content);
        a.source().close();
        a.source().close();
    }

    @Test
    void fileOfWholeChunksEndsWithAnEmptyRead() throws Exception {
        Files.write(root.resolve("f"), new byte[4096]);
        TftpSource s = open("f", TransferMode.OCTET).source();
        assertThat(read(s, 2048)).satisfies(c -> assertThat(c.end()).isFalse());
        assertThat(read(s, 2048)).satisfies(c -> assertThat(c.end()).isFalse());
        Chunk last = read(s, 2048);
        assertThat(last.bytes()).isEmpty();
        assertThat(last.end()).isTrue();
        s.close();
    }

    @Test
    void netasciiSendsLineEndsAsCrLfAndBareCrAsCrNul() throws Exception {
        Files.writeString(root.resolve("text"), "one\ntwo\rthree\r\n");
        TftpSource s = open("text", TransferMode.NETASCII).source();
        assertThat(new String(readAll(s, 4), StandardCharsets.ISO_8859_1))
                .isEqualTo("one\r\ntwo\r\0three\r\0\r\n");
        s.close();
    }

    @Test
    void missingFilesAndNonRegularFilesAreNotFound() throws Exception {
        Files.createDirectory(root.resolve("dir"));
        Files.writeString(root.resolve("file"), "x");
        Files.createSymbolicLink(root.resolve("dangling"), root.resolve("nowhere"));
        assertThat(refusal("missing")).isEqualTo(TftpError.FILE_NOT_FOUND);
        assertThat(refusal("dir")).isEqualTo(TftpError.FILE_NOT_FOUND);
        assertThat(refusal("file/below")).isEqualTo(TftpError.FILE_NOT_FOUND);
        assertThat(refusal("dangling")).isEqualTo(TftpError.FILE_NOT_FOUND);
        assertThat(refusal("dev/null")).isEqualTo(TftpError.FILE_NOT_FOUND);
    }

    @Test
    void fifoIsRefusedWithoutBlocking() throws Exception {
        Path fifo = root.resolve("fifo");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertThat(p.waitFor()).isZero();
        // An open(2) of a FIFO without a writer would block forever; the answer comes at once.
        assertThat(refusal("fifo")).isEqualTo(TftpError.FILE_NOT_FOUND);
    }

    @Test
    void symbolicLinksAreFollowedInsideTheDirectoryOnly() throws Exception {
        Files.writeString(root.resolve("real"), "inside");
        Files.createDirectory(root.resolve("sub"));
        Files.createSymbolicLink(root.resolve("sub/alias"), root.resolve("real"));
        Files.createSymbolicLink(root.resolve("relative"), Path.of("sub/alias"));
        Files.createSymbolicLink(root.resolve("escape"), outside.resolve("secret"));
        Files.createSymbolicLink(root.resolve("up"), Path.of("../outside/secret"));
        Files.createSymbolicLink(root.resolve("outdir"), outside);
        Files.createSymbolicLink(root.resolve("rootlink"), Path.of("/"));

        TftpSource s = open("sub/alias", TransferMode.OCTET).source();
        assertThat(readAll(s, 100)).isEqualTo("inside".getBytes(StandardCharsets.US_ASCII));
        s.close();
        s = open("relative", TransferMode.OCTET).source();
        assertThat(readAll(s, 100)).isEqualTo("inside".getBytes(StandardCharsets.US_ASCII));
        s.close();

        assertThat(refusal("escape")).isEqualTo(TftpError.ACCESS_VIOLATION);
        assertThat(refusal("up")).isEqualTo(TftpError.ACCESS_VIOLATION);
        assertThat(refusal("outdir/secret")).isEqualTo(TftpError.ACCESS_VIOLATION);
        assertThat(refusal("rootlink/etc/hostname")).isEqualTo(TftpError.ACCESS_VIOLATION);
    }

    @Test
    void directoryServedThroughASymbolicLinkServesItsFiles() throws Exception {
        Files.writeString(root.resolve("f"), "x");
        Path link = Files.createSymbolicLink(tmp.resolve("link-to-tftp"), root);
        DirectoryFiles viaLink = new DirectoryFiles(TftpConfig.builder().root(link).build().root(), blocking, loop,
                PooledByteBufAllocator.DEFAULT);
        TftpSource s = open(viaLink, "f", TransferMode.OCTET).source();
        assertThat(s.size()).isEqualTo(1);
        s.close();
    }

    @Test
    void dataTheLoopRefusesIsReleased() throws Exception {
        Files.write(root.resolve("f"), new byte[100_000]);
        TftpSource s = open("f", TransferMode.OCTET).source();
        // The loop shuts down while the read runs: the read's buffer must not leak.
        loop.shutdown();
        assertThat(loop.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        s.read(65536, new TftpSource.ReadListener() {
            @Override
            public void read(ByteBuf data, boolean end) {
                data.release();
                throw new AssertionError("the loop is gone");
            }

            @Override
            public void failed() {
                throw new AssertionError("the loop is gone");
            }
        });
        s.close();
        blocking.shutdown();
        assertThat(blocking.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        // Nothing runs a task any more: both executors refuse, and open answers nobody.
        files.open("f", TransferMode.OCTET, null);
        assertThat(loop.isShutdown()).isTrue();
    }

    @Test
    void rejectedReadOfAStoppingServerIsSilent() throws Exception {
        Files.write(root.resolve("f"), new byte[10]);
        TftpSource s = open("f", TransferMode.OCTET).source();
        blocking.shutdown();
        s.read(10, null);
        s.close();
        assertThat(blocking.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
        try {
            blocking.execute(() -> { });
            throw new AssertionError("executor still takes tasks");
        } catch (RejectedExecutionException expected) {
            // as the server's own executor after stop()
        }
    }
}
