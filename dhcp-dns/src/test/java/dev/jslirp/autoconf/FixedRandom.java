package dev.jslirp.autoconf;

import java.util.random.RandomGenerator;

/**
 * A random source that always picks the largest value a bounded draw allows, so the
 * longest delays and intervals RFC 4861 permits are the ones a test sees; or, with
 * {@link #smallest()}, the shortest.
 */
final class FixedRandom implements RandomGenerator {
    private final boolean largest;

    private FixedRandom(boolean largest) {
        this.largest = largest;
    }

    static FixedRandom largest() {
        return new FixedRandom(true);
    }

    static FixedRandom smallest() {
        return new FixedRandom(false);
    }

    @Override
    public long nextLong() {
        return largest ? Long.MAX_VALUE : 0;
    }

    @Override
    public long nextLong(long bound) {
        return largest ? bound - 1 : 0;
    }

    @Override
    public long nextLong(long origin, long bound) {
        return largest ? bound - 1 : origin;
    }
}
