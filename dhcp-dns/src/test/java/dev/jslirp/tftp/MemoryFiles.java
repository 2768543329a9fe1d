package dev.jslirp.tftp;

import io.netty.buffer.Unpooled;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Files in memory, answering opens and reads later, when {@link #run} is called, as the real
 * ones answer from another thread. Octet mode only; {@link DirectoryFilesTest} covers netascii.
 */
final class MemoryFiles implements TftpFiles {
    private final Map<String, byte[]> files = new HashMap<>();
    private final Map<String, TftpError> refusals = new HashMap<>();
    private final Deque<Runnable> pending = new ArrayDeque<>();
    final List<String> opened = new ArrayList<>();
    int openSources;

    MemoryFiles put(String name, byte[] content) {
        files.put(name, content);
        return this;
    }

    MemoryFiles refuse(String name, TftpError error) {
        refusals.put(name, error);
        return this;
    }

    /** Answers everything asked so far, and what that asks in turn. */
    void run() {
        Runnable r;
        while ((r = pending.poll()) != null) {
            r.run();
        }
    }

    /** Drops the answers not given yet (a test of answers that never come). */
    void forget() {
        pending.clear();
    }

    @Override
    public void open(String name, TransferMode mode, OpenListener listener) {
        opened.add(name);
        pending.add(() -> {
            byte[] content = files.get(name);
            if (refusals.containsKey(name)) {
                listener.failed(refusals.get(name));
            } else if (content == null) {
                listener.failed(TftpError.FILE_NOT_FOUND);
            } else {
                openSources++;
                listener.opened(new Source(content));
            }
        });
    }

    private final class Source implements TftpSource {
        private final byte[] content;
        private int position;
        private boolean closed;

        Source(byte[] content) {
            this.content = content;
        }

        @Override
        public long size() {
            return content.length;
        }

        @Override
        public void read(int maxBytes, ReadListener listener) {
            if (closed) {
                throw new AssertionError("read after close");
            }
            int n = Math.min(maxBytes, content.length - position);
            int from = position;
            position += n;
            pending.add(() -> listener.read(Unpooled.copiedBuffer(content, from, n), n < maxBytes));
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                openSources--;
            }
        }
    }
}
