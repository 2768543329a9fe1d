package dev.jslirp.control;

import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.UnixSocketFile;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;

/**
 * A listening unix socket whose file only its owner can connect to (mode 0600), with no
 * moment at which anybody else could.
 *
 * <p>Binding creates the socket file with the permissions the umask leaves, and a chmod
 * afterwards leaves a window in which another user may connect. So the socket is bound
 * inside a fresh directory of mode 0700 next to the target path (nobody else can reach
 * into it), made 0600 there, and then linked to the target path, which fails if
 * something appeared there meanwhile, so nothing is ever replaced; the temporary name and
 * directory are removed at once. A stale socket at the target path is cleared first,
 * only if nobody listens on it, and the file is removed at exit only while it is still
 * this socket: both as {@link UnixSocketFile} does for the transports. The control socket
 * and the slirp4netns API socket are bound so.
 */
public final class OwnerOnlySocket {
    private static final SecureRandom RANDOM = new SecureRandom();

    private OwnerOnlySocket() {
    }

    /** The listening channel and its socket file. */
    public record Bound(Channel channel, UnixSocketFile file) {
    }

    /**
     * Binds {@code bootstrap} at {@code path} with mode 0600 and waits. Not on an event loop.
     *
     * @return the channel, and the socket file to {@link UnixSocketFile#remove()} once it is closed
     * @throws IOException naming the path if it is in use, or cannot be bound or secured
     */
    public static Bound bind(ServerBootstrap bootstrap, IoTransport io, Path path) throws IOException {
        Path target = path.toAbsolutePath();
        UnixSocketFile file = UnixSocketFile.prepare(target);
        Path dir = privateDirectory(target.getParent());
        Path tmp = dir.resolve("s");
        Channel ch = null;
        try {
            if (tmp.toString().getBytes(StandardCharsets.UTF_8).length > Endpoint.MAX_UNIX_PATH) {
                throw new IOException("cannot listen on unix:" + path + ": the directory's path is too long for a "
                        + "unix socket (at most " + Endpoint.MAX_UNIX_PATH + " bytes with a few to spare)");
            }
            ChannelFuture f = bootstrap.bind(io.socketAddress(new Endpoint.Unix(tmp))).awaitUninterruptibly();
            if (!f.isSuccess()) {
                throw new IOException("cannot listen on unix:" + path + ": " + f.cause().getMessage(), f.cause());
            }
            ch = f.channel();
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            try {
                Files.createLink(target, tmp);
            } catch (FileAlreadyExistsException e) {
                throw new IOException("cannot listen on unix:" + path + ": something was created there meanwhile");
            }
            file.bound();
            Bound b = new Bound(ch, file);
            ch = null;
            return b;
        } finally {
            if (ch != null) {
                ch.close().awaitUninterruptibly();
            }
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(dir);
        }
    }

    /** A new directory of mode 0700 in {@code parent}, with a short random name. */
    private static Path privateDirectory(Path parent) throws IOException {
        for (int i = 0; ; i++) {
            Path dir = parent.resolve(".jslirp-" + Long.toString(RANDOM.nextLong() & 0xffffffffL, 36));
            try {
                return Files.createDirectory(dir,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                if (i >= 10) {
                    throw e;
                }
            }
        }
    }
}
