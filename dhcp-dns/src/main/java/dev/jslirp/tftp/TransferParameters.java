package dev.jslirp.tftp;

import java.util.concurrent.TimeUnit;

/**
 * What a transfer runs with, negotiated from a {@link ReadRequest}'s options (RFC 2347), and
 * which options the OACK acknowledges. An option outside its RFC range, or not a number, is
 * not acknowledged and has no effect (RFC 2347: the server may ignore options it does not
 * accept); a block or window size above what the server grants is acknowledged with the
 * smaller value, which the RFCs allow.
 *
 * @param blockSize      data bytes per block: 512, or the granted {@code blksize}
 * @param windowSize     blocks sent before waiting for an ACK: 1, or the granted {@code windowsize}
 * @param retransmitNanos how long to wait for an ACK before sending again: the granted
 *                       {@code timeout}, or the server's default
 * @param transferSize   the {@code tsize} acknowledged (the file size), or {@link ReadRequest#ABSENT}
 * @param blockSizeAcked   true if the OACK carries {@code blksize}
 * @param timeoutAcked     true if the OACK carries {@code timeout} (then {@code retransmitNanos} is it)
 * @param windowSizeAcked  true if the OACK carries {@code windowsize}
 */
record TransferParameters(int blockSize, int windowSize, long retransmitNanos, long transferSize,
                          boolean blockSizeAcked, boolean timeoutAcked, boolean windowSizeAcked) {
    /** Block size without {@code blksize} (RFC 1350). */
    static final int DEFAULT_BLOCK_SIZE = 512;
    /** Smallest {@code blksize} (RFC 2348). */
    static final int MIN_BLOCK_SIZE = 8;
    /** Largest {@code blksize} (RFC 2348): a 65535-byte IPv4 datagram less IP, UDP and TFTP headers. */
    static final int MAX_BLOCK_SIZE = 65464;
    /** Range of {@code timeout} in seconds (RFC 2349). */
    static final int MIN_TIMEOUT = 1;
    static final int MAX_TIMEOUT = 255;
    /** Range of {@code windowsize} (RFC 7440). */
    static final int MIN_WINDOW = 1;
    static final int MAX_WINDOW = 65535;

    /** What the server grants at most; fixed per network. */
    record Limits(int maxBlockSize, int windowBytes, long defaultRetransmitNanos) {
        /**
         * @param maxBlockSize  the largest block granted, 512..65464
         * @param windowBytes   block size times window size granted at most (at least one block is)
         * @param defaultRetransmitNanos the retransmission timeout without {@code timeout}
         */
        Limits {
            if (maxBlockSize < DEFAULT_BLOCK_SIZE || maxBlockSize > MAX_BLOCK_SIZE) {
                throw new IllegalArgumentException("maxBlockSize " + maxBlockSize);
            }
        }
    }

    /**
     * Negotiates {@code request}'s options for a file of {@code fileSize} bytes.
     * {@code tsize} is acknowledged with the file size in octet mode only: in netascii the
     * size on the wire is not known before the file is read (tftp-hpa's server does the same).
     */
    static TransferParameters negotiate(ReadRequest request, long fileSize, Limits limits) {
        int blockSize = DEFAULT_BLOCK_SIZE;
        boolean blockSizeAcked = false;
        if (request.blockSize() >= MIN_BLOCK_SIZE) {
            blockSize = (int) Math.min(request.blockSize(), limits.maxBlockSize());
            blockSizeAcked = true;
        }
        long retransmit = limits.defaultRetransmitNanos();
        boolean timeoutAcked = false;
        if (request.timeout() >= MIN_TIMEOUT && request.timeout() <= MAX_TIMEOUT) {
            retransmit = TimeUnit.SECONDS.toNanos(request.timeout());
            timeoutAcked = true;
        }
        int windowSize = 1;
        boolean windowSizeAcked = false;
        if (request.windowSize() >= MIN_WINDOW && request.windowSize() <= MAX_WINDOW) {
            int most = Math.max(1, limits.windowBytes() / blockSize);
            windowSize = (int) Math.min(request.windowSize(), most);
            windowSizeAcked = true;
        }
        long transferSize = request.transferSize() != ReadRequest.ABSENT && request.mode() == TransferMode.OCTET
                ? fileSize : ReadRequest.ABSENT;
        return new TransferParameters(blockSize, windowSize, retransmit, transferSize, blockSizeAcked, timeoutAcked,
                windowSizeAcked);
    }

    /** True if any option is acknowledged: the server then answers with an OACK, not DATA 1. */
    boolean hasOptions() {
        return blockSizeAcked || timeoutAcked || windowSizeAcked || transferSize != ReadRequest.ABSENT;
    }

    /** The timeout acknowledged, in seconds. */
    long timeoutSeconds() {
        return TimeUnit.NANOSECONDS.toSeconds(retransmitNanos);
    }
}
