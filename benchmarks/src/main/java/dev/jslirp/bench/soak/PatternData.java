package dev.jslirp.bench.soak;

import java.util.SplittableRandom;

/**
 * The bytes every bulk transfer carries: a random block of a prime length repeated, so
 * that byte {@code p} of a stream is {@code block[p mod 65521]}. Both ends know it, so the
 * receiver checks every byte without a second channel; and since 65521 divides no buffer,
 * segment or window size, a chunk delivered twice, dropped or out of place shows as a
 * mismatch instead of lining up with the same bytes.
 */
final class PatternData {
    /** The largest prime below 2^16. */
    static final int PERIOD = 65521;
    private static final byte[] BLOCK = new byte[PERIOD * 2];

    static {
        byte[] once = new byte[PERIOD];
        new SplittableRandom(0x50a4L).nextBytes(once);
        System.arraycopy(once, 0, BLOCK, 0, PERIOD);
        System.arraycopy(once, 0, BLOCK, PERIOD, PERIOD);
    }

    private PatternData() {
    }

    /** Fills {@code buf[0..len)} with the stream's bytes from {@code offset}; len at most {@link #PERIOD}. */
    static void fill(long offset, byte[] buf, int len) {
        System.arraycopy(BLOCK, (int) (offset % PERIOD), buf, 0, len);
    }

    /**
     * Where {@code buf[0..len)} differs from the stream's bytes at {@code offset}: the index,
     * or -1 if it does not; len at most {@link #PERIOD}.
     */
    static int mismatch(long offset, byte[] buf, int len) {
        int from = (int) (offset % PERIOD);
        return java.util.Arrays.mismatch(BLOCK, from, from + len, buf, 0, len);
    }
}
