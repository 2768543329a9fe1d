package dev.jslirp.tftp;

import dev.jslirp.core.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * The TFTP server's configuration: QEMU's {@code tftp=DIR} (the directory served, read-only)
 * and the server's bounds. {@code bootfile=} and {@code tftp-server-name=} are what DHCP
 * announces, in {@link dev.jslirp.dhcp.DhcpConfig}.
 *
 * <p>The directory is checked when it is set, so a bad {@code tftp=} fails at start-up with a
 * message naming the option: it must exist, be a directory, and be readable and searchable.
 * It is kept as its real path (symbolic links resolved), the boundary no served file may
 * leave.
 */
public final class TftpConfig {
    /** The option's name in messages, as QEMU's key. */
    static final String OPTION = "tftp";
    /** The accepted form, worded for both spellings of the option ({@code tftp=DIR}, {@code --tftp DIR}). */
    private static final String FORM = "expected a readable directory";

    private final Path root;
    private final int maxSessions;
    private final int maxSessionsPerGuest;
    private final Duration retransmitTimeout;
    private final int maxRetransmissions;
    private final int windowBytes;

    private TftpConfig(Builder b) {
        this.root = b.root;
        this.maxSessions = b.maxSessions;
        this.maxSessionsPerGuest = b.maxSessionsPerGuest;
        this.retransmitTimeout = b.retransmitTimeout;
        this.maxRetransmissions = b.maxRetransmissions;
        this.windowBytes = b.windowBytes;
    }

    /** A builder with the default bounds; {@link Builder#root} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /** The served directory's real path. */
    public Path root() {
        return root;
    }

    /**
     * Transfers at once on the network, default 64. libslirp has 20 slots and refuses the
     * 21st request without an answer.
     */
    public int maxSessions() {
        return maxSessions;
    }

    /** Transfers at once for one guest address, default 16, so one guest cannot take every slot. */
    public int maxSessionsPerGuest() {
        return maxSessionsPerGuest;
    }

    /**
     * How long a session waits for an ACK before sending again, unless the client's
     * {@code timeout} option says otherwise; default 1 s (tftp-hpa's default).
     */
    public Duration retransmitTimeout() {
        return retransmitTimeout;
    }

    /**
     * Timeouts in a row after which a session is abandoned, default 5: with the default
     * timeout a silent client is forgotten after about 6 s (libslirp frees a session after
     * 5 s of silence, and never retransmits).
     */
    public int maxRetransmissions() {
        return maxRetransmissions;
    }

    /**
     * The most bytes one window may span ({@code windowsize} times {@code blksize}), default
     * 64 KiB; at least one block is always granted. It is also the floor of a session's
     * read-ahead: a session holds at most its window plus one window or this, whichever is
     * larger (about 128 KiB by default).
     */
    public int windowBytes() {
        return windowBytes;
    }

    @Override
    public String toString() {
        return "TftpConfig[root=" + root + ", maxSessions=" + maxSessions + ", perGuest=" + maxSessionsPerGuest
                + ", retransmit=" + retransmitTimeout.toMillis() + "ms x" + maxRetransmissions
                + ", windowBytes=" + windowBytes + "]";
    }

    /** Builds a {@link TftpConfig}. */
    public static final class Builder {
        private Path root;
        private int maxSessions = 64;
        private int maxSessionsPerGuest = 16;
        private Duration retransmitTimeout = Duration.ofSeconds(1);
        private int maxRetransmissions = 5;
        private int windowBytes = 64 * 1024;

        private Builder() {
        }

        /**
         * {@code tftp=DIR}: the directory to serve.
         *
         * @throws ConfigException if it does not exist, is not a directory or cannot be read
         */
        public Builder root(String dir) {
            Objects.requireNonNull(dir, OPTION);
            if (dir.isEmpty()) {
                throw new ConfigException(OPTION, "empty directory name (" + FORM + ")");
            }
            try {
                return root(Path.of(dir));
            } catch (InvalidPathException e) {
                throw new ConfigException(OPTION, "'" + dir + "' is not a path (" + FORM + ")");
            }
        }

        /**
         * The directory to serve.
         *
         * @throws ConfigException if it does not exist, is not a directory or cannot be read
         */
        public Builder root(Path dir) {
            Objects.requireNonNull(dir, OPTION);
            if (!Files.exists(dir)) {
                throw new ConfigException(OPTION, "'" + dir + "' does not exist (" + FORM + ")");
            }
            if (!Files.isDirectory(dir)) {
                throw new ConfigException(OPTION, "'" + dir + "' is not a directory (" + FORM + ")");
            }
            if (!Files.isReadable(dir) || !Files.isExecutable(dir)) {
                throw new ConfigException(OPTION, "'" + dir + "' cannot be read (" + FORM + ")");
            }
            try {
                this.root = dir.toRealPath();
            } catch (IOException e) {
                throw new ConfigException(OPTION, "'" + dir + "' cannot be resolved: " + e.getMessage() + " (" + FORM + ")");
            }
            return this;
        }

        /** Transfers at once on the network, 1..4096. */
        public Builder maxSessions(int n) {
            this.maxSessions = range("tftp-max-sessions", n, 1, 4096);
            return this;
        }

        /** Transfers at once per guest address, 1..4096. */
        public Builder maxSessionsPerGuest(int n) {
            this.maxSessionsPerGuest = range("tftp-max-sessions-per-guest", n, 1, 4096);
            return this;
        }

        /** Retransmission timeout without the client's {@code timeout} option, 10 ms..255 s. */
        public Builder retransmitTimeout(Duration t) {
            if (t.compareTo(Duration.ofMillis(10)) < 0 || t.compareTo(Duration.ofSeconds(255)) > 0) {
                throw new ConfigException("tftp-retransmit-timeout", t.toMillis() + " ms out of range (expected 10..255000 ms)");
            }
            this.retransmitTimeout = t;
            return this;
        }

        /** Timeouts in a row before a session is abandoned, 1..100. */
        public Builder maxRetransmissions(int n) {
            this.maxRetransmissions = range("tftp-max-retransmissions", n, 1, 100);
            return this;
        }

        /** The most bytes one window may span, 512..16 MiB. */
        public Builder windowBytes(int n) {
            this.windowBytes = range("tftp-window-bytes", n, 512, 16 << 20);
            return this;
        }

        /**
         * Builds.
         *
         * @throws ConfigException if no directory was set
         */
        public TftpConfig build() {
            if (root == null) {
                throw new ConfigException(OPTION, "no directory given (" + FORM + ")");
            }
            return new TftpConfig(this);
        }

        private static int range(String option, int n, int min, int max) {
            if (n < min || n > max) {
                throw new ConfigException(option, n + " out of range (expected " + min + ".." + max + ")");
            }
            return n;
        }
    }
}
