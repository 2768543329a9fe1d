package dev.jslirp.transport;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Objects;

/**
 * The file of a unix socket jslirp listens on: clears a stale one before binding and
 * removes its own at shutdown, without ever deleting what is not its to delete.
 *
 * <p>Before binding, an existing path is removed only if it is a socket nobody
 * listens on (a crashed jslirp's leftover); a regular file, a directory or a live
 * socket is refused with a message. After binding, the socket's inode is remembered;
 * {@link #remove()} deletes the path only if it still is that socket, so it never
 * removes a socket a later jslirp created at the same path.
 *
 * <p>"Nobody listens" is checked by connecting a stream socket; a unix datagram socket
 * has no listener to find, so a datagram socket file at the path is always taken over.
 */
public final class UnixSocketFile {
    /** {@code S_IFMT} and {@code S_IFSOCK} from stat(2). */
    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final Path path;
    private Object fileKey;

    private UnixSocketFile(Path path) {
        this.path = path;
    }

    /**
     * Makes {@code path} free for binding: removes a stale socket there.
     *
     * @throws IOException if something other than a stale socket is at {@code path}
     */
    public static UnixSocketFile prepare(Path path) throws IOException {
        Objects.requireNonNull(path, "path");
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            if (!isSocket(path)) {
                throw new IOException(path + " exists and is not a socket; not removing it");
            }
            if (isListening(path)) {
                throw new IOException(path + " is in use: another process listens on it");
            }
            Files.deleteIfExists(path);
        }
        return new UnixSocketFile(path);
    }

    /** Remembers the socket just bound at the path, so {@link #remove()} knows it. */
    public void bound() {
        try {
            fileKey = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            fileKey = null;
        }
    }

    /** Deletes the socket file if it is still the one {@link #bound()} saw. Quietly does nothing otherwise. */
    public void remove() {
        if (fileKey == null) {
            return;
        }
        try {
            Object now = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
            if (fileKey.equals(now) && isSocket(path)) {
                Files.deleteIfExists(path);
            }
        } catch (NoSuchFileException e) {
            // Netty's server channel may have removed it on close already.
        } catch (IOException e) {
            // Best effort at shutdown; a stale socket is cleared by the next start.
        }
    }

    /** The socket's path. */
    public Path path() {
        return path;
    }

    /** True if {@code path} is a unix socket (not following links). */
    static boolean isSocket(Path path) throws IOException {
        Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        return mode instanceof Integer m && (m & S_IFMT) == S_IFSOCK;
    }

    private static boolean isListening(Path path) {
        try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            probe.connect(UnixDomainSocketAddress.of(path));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
