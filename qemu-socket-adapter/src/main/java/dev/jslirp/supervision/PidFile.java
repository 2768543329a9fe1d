package dev.jslirp.supervision;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A pid file: the process id and a newline, written once jslirp serves and removed when it
 * exits, for supervisors and scripts that find a daemon by its pid file.
 *
 * <p>The file appears whole or not at all (written beside it under a temporary name, then
 * renamed over it), so a reader never sees a partial number. At exit it is removed only
 * while it still holds this process's id: a second jslirp started with the same path
 * owns it from then on.
 */
public final class PidFile {
    private final Path path;
    private final String content;

    private PidFile(Path path) {
        this.path = path.toAbsolutePath();
        this.content = ProcessHandle.current().pid() + "\n";
    }

    /**
     * Checks that {@code path} can be a pid file: its directory exists. Writing happens later,
     * with {@link #write()}.
     *
     * @throws IllegalArgumentException saying why not
     */
    public static PidFile at(Path path) {
        Path abs = path.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new IllegalArgumentException("'" + path + "': directory " + dir + " does not exist");
        }
        if (Files.isDirectory(abs)) {
            throw new IllegalArgumentException("'" + path + "' is a directory");
        }
        return new PidFile(abs);
    }

    /** Where the file is. */
    public Path path() {
        return path;
    }

    /**
     * Writes this process's id.
     *
     * @throws IOException naming the path if it cannot be written
     */
    public void write() throws IOException {
        Path tmp = path.resolveSibling("." + path.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            Files.writeString(tmp, content, StandardCharsets.US_ASCII);
            try {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, path, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw new IOException("cannot write pid file " + path + ": " + e, e);
        }
    }

    /** Removes the file if it still holds this process's id; quietly does nothing otherwise. */
    public void remove() {
        try {
            if (Files.isRegularFile(path) && Files.readString(path, StandardCharsets.US_ASCII).equals(content)) {
                Files.delete(path);
            }
        } catch (IOException e) {
            // Gone already, or unreadable: not ours to insist on.
        }
    }
}
