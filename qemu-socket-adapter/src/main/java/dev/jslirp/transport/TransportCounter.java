package dev.jslirp.transport;

/**
 * What the QEMU transports count, registered as the {@code "transport"} counter set of
 * the network's stats ({@link GuestTransport#COUNTER_SET}).
 */
public enum TransportCounter {
    /** QEMU connections accepted (server) or established (client). */
    CONNECTIONS,
    /** QEMU connections that ended. */
    DISCONNECTS,
    /** Connections refused because a QEMU was attached already (stream server). */
    REFUSED_CONNECTIONS,
    /** Connect attempts to QEMU that failed (stream client); each is retried. */
    CONNECT_FAILURES,
    /** Length prefixes over QEMU's limit; the connection was closed, as QEMU does. */
    OVERSIZED_FRAMES,
    /** Zero length prefixes, skipped. */
    ZERO_LENGTH_FRAMES,
    /** Frames for the guest longer than QEMU accepts, dropped instead of sent. */
    OVERSIZED_TO_GUEST,
    /** Frames for the guest dropped because the transport's queue was at its bound. */
    QUEUE_FULL,
    /** Frames for the guest dropped because there was nowhere to send them. */
    NO_PEER,
    /** Datagrams from an address other than QEMU's, dropped. */
    FOREIGN_DATAGRAMS,
    /** Datagrams that could not be sent (QEMU's socket gone); the link stays up. */
    SEND_ERRORS,
    /** Times the link to QEMU stopped taking frames (QEMU stopped reading). */
    BECAME_UNWRITABLE,
}
