package dev.jslirp.capture;

import dev.jslirp.core.config.ConfigException;

/**
 * The bounds of a capture: each file at most {@code maxFileBytes}, at most {@code files}
 * files (the current one and {@code files - 1} rotated ones), at most
 * {@code maxQueuedBytes} of copied frames waiting for the writer. Disk use is thus at most
 * {@code maxFileBytes * files}, memory at most {@code maxQueuedBytes} plus one frame.
 *
 * @param maxFileBytes   bytes per file, headers included ({@value #MIN_FILE_BYTES}..2 GiB)
 * @param files          files kept, 1..{@value #MAX_FILES}; with 1 the file starts over when full
 * @param maxQueuedBytes memory for copied frames waiting to be written, taken at start; frames beyond it (or
 *                       larger than a quarter of it) are dropped from the capture and counted
 */
public record CaptureLimits(int maxFileBytes, int files, int maxQueuedBytes) {
    /** The smallest file bound: room for the header and the largest frame a QEMU stream carries. */
    public static final int MIN_FILE_BYTES = 128 << 10;
    /** The most files kept. */
    public static final int MAX_FILES = 1000;
    /** Default file bound. */
    public static final int DEFAULT_FILE_BYTES = 64 << 20;
    /** Default number of files. */
    public static final int DEFAULT_FILES = 2;
    /**
     * Default queue bound: about 40 ms of a 1.6 Gbit/s link, enough to ride out a slow
     * disk write without holding much memory.
     */
    public static final int DEFAULT_QUEUED_BYTES = 8 << 20;

    /** Checks the ranges; errors name the CLI options. */
    public CaptureLimits {
        if (maxFileBytes < MIN_FILE_BYTES) {
            throw new ConfigException("pcap-max-size", maxFileBytes + " bytes out of range (expected at least 128k, "
                    + "e.g. 64m)");
        }
        if (files < 1 || files > MAX_FILES) {
            throw new ConfigException("pcap-files", files + " out of range (expected 1.." + MAX_FILES + ")");
        }
        if (maxQueuedBytes < 1) {
            throw new IllegalArgumentException("maxQueuedBytes must be positive");
        }
    }

    /** The defaults: 64 MiB files, 2 of them, 8 MiB queued. */
    public static CaptureLimits defaults() {
        return new CaptureLimits(DEFAULT_FILE_BYTES, DEFAULT_FILES, DEFAULT_QUEUED_BYTES);
    }

    /** Human-readable bound, for replies and logs: {@code at most 2 files of 64 MiB}. */
    public String describe() {
        return "at most " + files + (files == 1 ? " file" : " files") + " of " + mib(maxFileBytes);
    }

    private static String mib(long bytes) {
        return bytes % (1 << 20) == 0 ? (bytes >> 20) + " MiB" : bytes % 1024 == 0 ? (bytes >> 10) + " KiB"
                : bytes + " bytes";
    }
}
