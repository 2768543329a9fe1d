package dev.jslirp.nat.tcp;

import java.util.Random;

/** Reproducible test payloads. */
final class TestBytes {
    private TestBytes() {
    }

    /** {@code n} pseudo-random bytes from {@code seed}. */
    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
