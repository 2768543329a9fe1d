package dev.jslirp.core.iface;

import org.slf4j.Logger;

/**
 * Debug logging of dropped frames that a flood cannot turn into a log flood: at most
 * {@code perSecond} lines a second, and a count of the lines it held back.
 */
public final class RateLimitedLog {
    private final Logger log;
    private final int perSecond;
    private long windowStart;
    private int inWindow;
    private long suppressed;

    /** Limits debug lines of {@code log} to {@code perSecond}. */
    public RateLimitedLog(Logger log, int perSecond) {
        this.log = log;
        this.perSecond = perSecond;
    }

    /** Logs at debug if enabled and within the rate. */
    public void debug(long nanoTime, String format, Object a, Object b) {
        if (!log.isDebugEnabled()) {
            return;
        }
        if (nanoTime - windowStart >= 1_000_000_000L) {
            if (suppressed > 0) {
                log.debug("{} similar lines suppressed", suppressed);
            }
            windowStart = nanoTime;
            inWindow = 0;
            suppressed = 0;
        }
        if (inWindow++ < perSecond) {
            log.debug(format, a, b);
        } else {
            suppressed++;
        }
    }
}
