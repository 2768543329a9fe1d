package dev.jslirp.transport.tap;

/**
 * What the tap transport counts beyond {@link dev.jslirp.transport.TransportCounter},
 * registered as the {@code "tap"} counter set of the network's stats.
 */
public enum TapCounter {
    /**
     * Frames from the tap longer than the read buffer (the interface's MTU was raised
     * after jslirp started), which the kernel cut short; dropped.
     */
    TRUNCATED_FRAMES,
    /** The tap failed for good (deleted, its namespace gone); the network was detached. */
    LINK_LOST,
}
