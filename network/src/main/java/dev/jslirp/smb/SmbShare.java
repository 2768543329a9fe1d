package dev.jslirp.smb;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.nat.guestfwd.GuestForward;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running {@code smb=} share, as QEMU's {@code slirp_smb} sets it up: a private
 * directory (owner-only, {@code jslirp-smb.*} in the temporary directory) holding an
 * {@code smb.conf} that serves DIR as share {@value SmbConfig#SHARE} to guests without a
 * password, as the user jslirp runs as, with every state and lock file of smbd inside the
 * private directory and nothing listening: each guest connection to the server's ports 139
 * and 445 runs {@code smbd} in inetd mode on it ({@link #forwards()}, guest forwards to a
 * command). So no port of the host is open to other local users, as QEMU has it.
 *
 * <p>{@link #close()} removes the private directory; the network's command launcher ends
 * the smbd processes first (the network closes its NAT before this).
 */
public final class SmbShare implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SmbShare.class);

    private final SmbConfig config;
    private final Path privateDir;

    private SmbShare(SmbConfig config, Path privateDir) {
        this.config = config;
        this.privateDir = privateDir;
    }

    /**
     * Creates the private directory and its configuration.
     *
     * @throws ConfigException naming {@code smb} if they cannot be written
     */
    public static SmbShare create(SmbConfig config) {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("jslirp-smb.");
            Files.writeString(dir.resolve("smb.conf"), configuration(config.dir(), dir));
            return new SmbShare(config, dir);
        } catch (IOException e) {
            if (dir != null) {
                delete(dir);
            }
            throw new ConfigException("smb", "cannot write smbd's private configuration: " + e.getMessage());
        }
    }

    /**
     * The configuration, QEMU's (net/slirp.c, {@code slirp_smb}): smbd bound to the
     * loopback only in case it ever listened, guests mapped to the sharing user without a
     * password ({@code map to guest = Bad User}, {@code force user}), no printers, no
     * user shares, every directory of its own in {@code privateDir}.
     */
    static String configuration(Path share, Path privateDir) {
        String p = privateDir.toString();
        return "[global]\n"
                + "private dir=" + p + "\n"
                + "interfaces=127.0.0.1\n"
                + "bind interfaces only=yes\n"
                + "pid directory=" + p + "\n"
                + "lock directory=" + p + "\n"
                + "state directory=" + p + "\n"
                + "cache directory=" + p + "\n"
                + "ncalrpc dir=" + p + "/ncalrpc\n"
                + "log file=" + p + "/log.smbd\n"
                + "smb passwd file=" + p + "/smbpasswd\n"
                + "security = user\n"
                + "map to guest = Bad User\n"
                + "load printers = no\n"
                + "printing = bsd\n"
                + "disable spoolss = yes\n"
                + "usershare max shares = 0\n"
                + "[" + SmbConfig.SHARE + "]\n"
                + "path=" + share + "\n"
                + "read only=no\n"
                + "guest ok=yes\n"
                + "force user=" + System.getProperty("user.name") + "\n";
    }

    /** The command each connection runs: smbd in inetd mode (its standard input is the connection), QEMU's arguments. */
    public String command() {
        return "exec " + quote(config.smbd().toString()) + " -l " + quote(privateDir.toString()) + " -s "
                + quote(privateDir.resolve("smb.conf").toString());
    }

    /** The guest forwards of ports 139 and 445 at the server to {@link #command()}. */
    public List<GuestForward> forwards() {
        return config.forwards(command());
    }

    /** The private directory (for tests). */
    Path privateDir() {
        return privateDir;
    }

    /** Removes the private directory and what smbd left in it. */
    @Override
    public void close() {
        delete(privateDir);
    }

    /** A word for {@code sh -c}: single-quoted, a quote inside written {@code '\''}. */
    static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }

    private static void delete(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("smb: cannot remove smbd's private directory {}: {}", dir, e.getMessage());
        }
    }
}
