package dev.jslirp.capture;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The file a capture writes, with its size bound and rotation; used by the capture's
 * writer thread only.
 *
 * <p>A regular file {@code FILE} holds at most {@link CaptureLimits#maxFileBytes()}. When
 * the next record would pass that, the files move down one place, as logrotate does:
 * {@code FILE.(n-2)} becomes {@code FILE.(n-1)} (the oldest is deleted), ..., {@code FILE}
 * becomes {@code FILE.1}, and a new {@code FILE} starts with its own header, so each is a
 * capture Wireshark opens on its own; with one file, {@code FILE} starts over. Disk use is
 * at most {@code maxFileBytes * files}.
 *
 * <p>Something that exists at {@code FILE} and is not a regular file (a FIFO that
 * Wireshark reads live, {@code /dev/null}) is written as a stream, never rotated.
 *
 * <p>Safety: the control socket may name the file, so an existing file is replaced (or
 * a rotated one deleted) only if it is empty or already a pcap capture: a mistyped path
 * cannot clobber a configuration file. New files are made owner-only (0600): a capture
 * holds the guest's traffic.
 */
final class PcapFile implements AutoCloseable {
    private static final FileAttribute<?>[] OWNER_ONLY = FileSystems.getDefault().supportedFileAttributeViews()
            .contains("posix") ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rw-------"))} : new FileAttribute<?>[0];

    private final Path path;
    private final CaptureLimits limits;
    private final boolean rotating;
    private FileChannel channel;
    private long size;

    private PcapFile(Path path, CaptureLimits limits, boolean rotating) {
        this.path = path;
        this.limits = limits;
        this.rotating = rotating;
    }

    /**
     * Opens {@code path} for a new capture and writes the file header.
     *
     * @throws IOException saying why the file cannot be a capture (a directory, not a
     *                     capture already, no such directory, no space)
     */
    static PcapFile open(Path path, CaptureLimits limits) throws IOException {
        boolean special = Files.exists(path) && !Files.isRegularFile(path);
        if (Files.isDirectory(path)) {
            throw new IOException(path + " is a directory");
        }
        PcapFile f = new PcapFile(path, limits, !special);
        if (special) {
            f.channel = FileChannel.open(path, StandardOpenOption.WRITE);
        } else {
            checkReplaceable(path);
            for (int i = 1; i < limits.files(); i++) {
                checkReplaceable(f.rotated(i));
            }
            f.channel = create(path);
        }
        try {
            f.writeHeader();
        } catch (IOException e) {
            f.close();
            throw e;
        }
        return f;
    }

    private static FileChannel create(Path path) throws IOException {
        Set<OpenOption> options = Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
        return FileChannel.open(path, options, OWNER_ONLY);
    }

    /** Refuses to replace {@code p} unless it is absent, empty or a pcap capture. */
    private static void checkReplaceable(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(p + " exists and is not a regular file; jslirp does not replace it");
        }
        if (Files.size(p) == 0) {
            return;
        }
        try (FileChannel c = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer magic = ByteBuffer.allocate(4);
            c.read(magic, 0);
            magic.flip();
            if (!PcapFormat.isPcapMagic(magic)) {
                throw new IOException(p + " exists and is not a pcap capture; jslirp does not replace it");
            }
        }
    }

    private void writeHeader() throws IOException {
        writeFully(PcapFormat.fileHeader());
        size = PcapFormat.FILE_HEADER_LENGTH;
    }

    /** True if {@code bytes} more fit in the current file; always true for a stream. */
    boolean fits(long bytes) {
        return !rotating || size + bytes <= limits.maxFileBytes();
    }

    /** True if the file holds its header only (a record too large for the bound still goes into such a file). */
    boolean isEmpty() {
        return size == PcapFormat.FILE_HEADER_LENGTH;
    }

    /** Writes whole records. */
    void write(ByteBuffer records) throws IOException {
        size += records.remaining();
        writeFully(records);
    }

    /**
     * Starts a new file: the files move down one place (the oldest deleted), or, with one
     * file, the file starts over. Not for a stream.
     */
    void rotate() throws IOException {
        if (!rotating) {
            throw new IllegalStateException(path + " is not rotated");
        }
        channel.close();
        channel = null;
        int files = limits.files();
        if (files > 1) {
            Path oldest = rotated(files - 1);
            checkReplaceable(oldest);
            Files.deleteIfExists(oldest);
            for (int i = files - 2; i >= 1; i--) {
                Path from = rotated(i);
                if (Files.exists(from, LinkOption.NOFOLLOW_LINKS)) {
                    Files.move(from, rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.move(path, rotated(1), StandardCopyOption.REPLACE_EXISTING);
        }
        channel = create(path);
        writeHeader();
    }

    /** {@code FILE.i}. */
    private Path rotated(int i) {
        return path.resolveSibling(path.getFileName() + "." + i);
    }

    /** The files of this capture that exist, newest first: {@code FILE}, {@code FILE.1}, ... */
    List<Path> files() {
        List<Path> out = new ArrayList<>();
        out.add(path);
        for (int i = 1; rotating && i < limits.files(); i++) {
            if (Files.exists(rotated(i))) {
                out.add(rotated(i));
            }
        }
        return out;
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    @Override
    public void close() throws IOException {
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }
}
