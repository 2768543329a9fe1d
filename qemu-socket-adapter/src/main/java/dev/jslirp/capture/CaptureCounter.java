package dev.jslirp.capture;

/** Counters of packet capture, in the network's stats under {@value PacketCapture#COUNTER_SET}. */
public enum CaptureCounter {
    /** Frames copied for the writer (counted on the event loop). */
    FRAMES_QUEUED,
    /** Frames not captured because the writer was behind by the queue's bound (counted on the event loop). */
    FRAMES_DROPPED,
    /** Frames written to a file (counted by the writer). */
    FRAMES_WRITTEN,
    /** Bytes written, headers included (counted by the writer). */
    BYTES_WRITTEN,
    /** Times the file reached its size bound and was rotated (counted by the writer). */
    FILES_ROTATED,
    /** Captures stopped by an error writing their file (counted by the writer). */
    WRITE_ERRORS,
}
