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
    /**
     * Frames from the tap longer than the MTU that were not TCP super-frames, with
     * offloads on (the read buffer then takes 64 KiB); dropped.
     */
    OVERSIZED_FRAMES,
    /**
     * Frames from the tap whose virtio-net header made no sense: a kind of super-frame
     * jslirp did not enable, or a checksum position outside the frame; dropped.
     */
    BAD_VNET_HEADERS,
    /** TCP super-frames (GSO) read from the tap: the namespace's kernel left the segmenting to jslirp's TCP. */
    GSO_FRAMES_IN,
    /** TCP super-frames (GSO) written to the tap, for the namespace's kernel to take whole or segment. */
    GSO_FRAMES_OUT,
    /** The tap failed for good (deleted, its namespace gone); the network was detached. */
    LINK_LOST,
}
