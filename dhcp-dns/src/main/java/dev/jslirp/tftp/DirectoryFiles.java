package dev.jslirp.tftp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files below one directory, opened and read on a blocking executor, with results handed
 * back to the event loop: the loop itself never touches the file system.
 *
 * <p><b>Staying inside the directory.</b> The name has passed {@link TftpNames} (no
 * {@code ..}, relative). Opening resolves it with every symbolic link followed
 * ({@link Path#toRealPath}) and refuses, as an access violation, a result outside the
 * directory's own real path: a link inside the directory may point elsewhere inside it, never
 * out (libslirp follows any link). Only regular files are served: a directory, a FIFO (whose
 * open would block) or a device is "File not found", checked before the file is opened. The
 * real path is opened without following links. Between the check and the open, only the
 * host's own users could swap a path component, never the guest: the server never writes.
 *
 * <p><b>Errors.</b> Missing files and paths through non-directories are "File not found"
 * (error 1), as from libslirp; a file the host user may not read is an access violation
 * (error 2), where libslirp says "File not found"; any other failure is "File not found".
 *
 * <p><b>Threads.</b> Each open, read and close is one task on {@code blocking}; results go to
 * {@code loop}. A result the loop no longer takes (it shut down) is released and the file
 * closed here.
 */
final class DirectoryFiles implements TftpFiles {
    private static final Logger LOG = LoggerFactory.getLogger(DirectoryFiles.class);

    private final Path root;
    private final Executor blocking;
    private final Executor loop;
    private final ByteBufAllocator alloc;

    /**
     * @param root     the served directory's real path ({@link TftpConfig#root()})
     * @param blocking where file system calls run
     * @param loop     the event loop, where listeners are called
     * @param alloc    allocates the buffers reads fill
     */
    DirectoryFiles(Path root, Executor blocking, Executor loop, ByteBufAllocator alloc) {
        this.root = root;
        this.blocking = blocking;
        this.loop = loop;
        this.alloc = alloc;
    }

    @Override
    public void open(String name, TransferMode mode, OpenListener listener) {
        try {
            blocking.execute(() -> {
                Opened o = openBelowRoot(name);
                if (o.error() != null) {
                    toLoop(() -> listener.failed(o.error()), null);
                    return;
                }
                Source source = new Source(o.channel(), o.size(), mode);
                toLoop(() -> listener.opened(source), o.channel());
            });
        } catch (RejectedExecutionException e) {
            // The server is stopping: nobody waits for the answer.
        }
    }

    /** An open file and its size, or why there is none. */
    private record Opened(FileChannel channel, long size, TftpError error) {
        static Opened refused(TftpError error) {
            return new Opened(null, 0, error);
        }
    }

    /** Blocking: resolves, checks and opens {@code name} below the root. */
    private Opened openBelowRoot(String name) {
        FileChannel channel = null;
        try {
            Path real = root.resolve(name).toRealPath();
            if (!real.startsWith(root)) {
                return Opened.refused(TftpError.ACCESS_VIOLATION);
            }
            BasicFileAttributes attrs = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!attrs.isRegularFile()) {
                return Opened.refused(TftpError.FILE_NOT_FOUND);
            }
            channel = FileChannel.open(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            return new Opened(channel, channel.size(), null);
        } catch (AccessDeniedException e) {
            return Opened.refused(TftpError.ACCESS_VIOLATION);
        } catch (IOException | InvalidPathException | SecurityException e) {
            if (channel != null) {
                closeQuietly(channel);
            }
            return Opened.refused(TftpError.FILE_NOT_FOUND);
        }
    }

    /** Runs {@code task} on the loop; if the loop refuses, closes {@code orphan} (if any). */
    private void toLoop(Runnable task, FileChannel orphan) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            if (orphan != null) {
                closeQuietly(orphan);
            }
        }
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing a served file failed", e);
        }
    }

    /** One open file, read from the start to the end in order. */
    private final class Source implements TftpSource {
        private final FileChannel channel;
        private final long size;
        private final TransferMode mode;
        /** File position of the next read; touched by one read task at a time. */
        private long position;
        private boolean closed;

        Source(FileChannel channel, long size, TransferMode mode) {
            this.channel = channel;
            this.size = size;
            this.mode = mode;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void read(int maxBytes, ReadListener listener) {
            // Netascii may double every byte: read half as much.
            int rawBytes = mode == TransferMode.NETASCII ? Math.max(1, maxBytes / 2) : maxBytes;
            try {
                blocking.execute(() -> {
                    ByteBuf raw = alloc.buffer(rawBytes);
                    ByteBuf result = null;
                    boolean end;
                    try {
                        int n;
                        while (raw.isWritable() && (n = raw.writeBytes(channel, position, raw.writableBytes())) >= 0) {
                            position += n;
                        }
                        end = raw.isWritable();
                        if (mode == TransferMode.NETASCII) {
                            result = alloc.buffer(2 * raw.readableBytes());
                            Netascii.encode(raw, result);
                            raw.release();
                        } else {
                            result = raw;
                        }
                    } catch (IOException | RuntimeException e) {
                        raw.release();
                        if (result != null && result != raw) {
                            result.release();
                        }
                        LOG.debug("reading a served file failed", e);
                        toLoop(listener::failed, null);
                        return;
                    }
                    ByteBuf data = result;
                    boolean atEnd = end;
                    try {
                        loop.execute(() -> listener.read(data, atEnd));
                    } catch (RejectedExecutionException e) {
                        data.release();
                    }
                });
            } catch (RejectedExecutionException e) {
                // Stopping: the session goes with the server.
            }
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            try {
                blocking.execute(() -> closeQuietly(channel));
            } catch (RejectedExecutionException e) {
                closeQuietly(channel);
            }
        }
    }
}
