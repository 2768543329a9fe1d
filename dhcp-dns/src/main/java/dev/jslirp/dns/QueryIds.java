package dev.jslirp.dns;

import io.netty.util.collection.IntObjectMap;
import java.security.SecureRandom;

/**
 * Unpredictable 16-bit query IDs for upstream queries (RFC 5452 section 9.2: an
 * off-path attacker must guess the ID to spoof an answer). Random bytes come from a
 * {@link SecureRandom} in batches, so the event loop takes its internal lock once per
 * {@value #BATCH_IDS} IDs rather than per query.
 */
final class QueryIds {
    private static final int BATCH_IDS = 128;
    /** Random draws before falling back to a scan; with the table under 90% full one almost always suffices. */
    private static final int RANDOM_TRIES = 16;

    private final SecureRandom random = new SecureRandom();
    private final byte[] pool = new byte[BATCH_IDS * 2];
    private int next = pool.length;

    /** A random ID. */
    int nextId() {
        if (next == pool.length) {
            random.nextBytes(pool);
            next = 0;
        }
        int id = ((pool[next] & 0xff) << 8) | (pool[next + 1] & 0xff);
        next += 2;
        return id;
    }

    /**
     * A random ID that is not a key of {@code inUse}, which must hold fewer than 65536
     * keys.
     */
    int unusedId(IntObjectMap<?> inUse) {
        int id = nextId();
        for (int i = 1; i < RANDOM_TRIES && inUse.containsKey(id); i++) {
            id = nextId();
        }
        while (inUse.containsKey(id)) {
            id = (id + 1) & 0xffff;
        }
        return id;
    }
}
