package dev.jslirp.smb;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.HostTarget;
import dev.jslirp.nat.guestfwd.GuestForward;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * QEMU's {@code smb=DIR} and {@code smbserver=ADDR}: DIR shared with the guest as
 * {@code \\SERVER\qemu} by a private {@code smbd} (Debian's {@code samba}), reachable at
 * SERVER on TCP ports 139 and 445 (default server: the network's .2.4, 10.0.2.4, as
 * libslirp's). Checked when read, so a mistake stops jslirp before it starts: DIR must be
 * a readable directory and smbd must exist. The share itself is {@link SmbShare}.
 *
 * @param dir    the directory shared, as a real path
 * @param server the server address, or null for the network's .2.4
 * @param smbd   the smbd executable
 */
public record SmbConfig(Path dir, IpAddress server, Path smbd) {
    /** Where QEMU looks for smbd by default ({@code CONFIG_SMBD_COMMAND}), and Debian installs it. */
    public static final Path DEFAULT_SMBD = Path.of("/usr/sbin/smbd");
    /** The ports smbd answers at, NetBIOS session service and SMB over TCP, as QEMU forwards both. */
    public static final List<Integer> PORTS = List.of(139, 445);
    /** The share's name, QEMU's. */
    public static final String SHARE = "qemu";

    /** Checks the fields. */
    public SmbConfig {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(smbd, "smbd");
    }

    /**
     * Reads {@code smb=DIR}, {@code smbserver=ADDR} (null: the default) and the smbd to run
     * (null: {@link #DEFAULT_SMBD}, else the first {@code smbd} on PATH).
     *
     * @throws ConfigException naming {@code smb}, {@code smbserver} or {@code smbd}
     */
    public static SmbConfig of(String dir, String server, String smbd) {
        return of(dir, server, smbd, DEFAULT_SMBD, System.getenv().getOrDefault("PATH", ""));
    }

    /** As {@link #of(String, String, String)}, looking for smbd at {@code defaultSmbd}, then on {@code path}. */
    static SmbConfig of(String dir, String server, String smbd, Path defaultSmbd, String path) {
        return new SmbConfig(directory(dir), server == null ? null : address(server),
                executable(smbd, defaultSmbd, path));
    }

    private static Path directory(String dir) {
        Path p;
        try {
            p = Path.of(dir);
        } catch (InvalidPathException e) {
            throw new ConfigException("smb", "'" + dir + "' is not a path (expected a directory to share)");
        }
        if (dir.chars().anyMatch(c -> c < ' ')) {
            // smb.conf is line-based: a line break in the path would add lines of the user's making.
            throw new ConfigException("smb", "'" + dir.replaceAll("\\p{Cntrl}", "?") + "' has control characters "
                    + "(expected a directory to share)");
        }
        if (dir.isEmpty() || !Files.isDirectory(p) || !Files.isReadable(p) || !Files.isExecutable(p)) {
            throw new ConfigException("smb", "'" + dir + "' is not a readable directory (expected a directory to share)");
        }
        try {
            return p.toRealPath();
        } catch (IOException e) {
            throw new ConfigException("smb", "'" + dir + "' cannot be resolved: " + e.getMessage());
        }
    }

    private static IpAddress address(String text) {
        try {
            return IpAddress.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("smbserver", "'" + text + "' is not an address (expected an address of the "
                    + "guest's network, e.g. 10.0.2.4)");
        }
    }

    private static Path executable(String given, Path defaultSmbd, String path) {
        if (given != null) {
            Path p = Path.of(given);
            if (!Files.isRegularFile(p) || !Files.isExecutable(p)) {
                throw new ConfigException("smbd", "'" + given + "' is not an executable file (expected the path of "
                        + "Samba's smbd)");
            }
            return p;
        }
        if (Files.isRegularFile(defaultSmbd) && Files.isExecutable(defaultSmbd)) {
            return defaultSmbd;
        }
        for (String dir : path.split(":")) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, "smbd");
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        throw new ConfigException("smb", "smbd not found at " + defaultSmbd + " nor on PATH: smb= needs Samba's "
                + "smbd (Debian: apt-get install samba), or --smbd PATH");
    }

    /**
     * The guest forwards that reach smbd: the server's ports 139 and 445, each connection
     * running {@code command} (see {@link SmbShare#command}). Named {@code smbserver} in
     * messages when the server was given, {@code smb} otherwise.
     */
    public List<GuestForward> forwards(String command) {
        String option = server == null ? "smb" : "smbserver";
        return PORTS.stream().map(p -> new GuestForward(server, p, new HostTarget.Command(command), option)).toList();
    }
}
