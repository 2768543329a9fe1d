package dev.jslirp.tftp;

/**
 * What the TFTP server counts, registered as the {@code "tftp"} counter set of the network.
 * Every datagram the server takes is counted once under its kind or under why it was
 * refused; transfers are counted by how they ended.
 */
public enum TftpCounter {
    // ---- requests to port 69

    /** Read requests received (repeats included). */
    READ_REQUESTS,
    /** Write requests, refused with an access violation (the server is read-only). */
    WRITE_REQUESTS_REFUSED,
    /** Read requests that repeated the one a session of the same client port started (its first answer was lost). */
    REPEATED_REQUESTS,
    /** Requests that do not parse (no name or mode terminator, option without value): answered with error 4. */
    MALFORMED_REQUESTS,
    /** Requests for a mode other than octet and netascii: answered with error 4. */
    UNSUPPORTED_MODE,
    /** Names that leave the directory, are not text or too long, and unreadable files: access violation. */
    ACCESS_VIOLATIONS,
    /** Files that do not exist or are not regular files (directories, FIFOs, devices): error 1. */
    FILE_NOT_FOUND,
    /** Requests refused because the session limits (total or per guest) were reached. */
    SESSION_LIMIT,
    /**
     * Datagrams to port 69 dropped without an answer: shorter than an opcode, from port 0, or
     * an ERROR (an error is never answered, RFC 1350 section 7).
     */
    MALFORMED_DROPPED,
    /** Datagrams to port 69 with another opcode than RRQ/WRQ/ERROR: answered with error 5. */
    NOT_A_REQUEST,

    // ---- sessions

    /** Sessions started (a request accepted and its file being opened). */
    SESSIONS_STARTED,
    /** OACKs sent (retransmissions included). */
    OACK_SENT,
    /** DATA messages sent (retransmissions included). */
    DATA_SENT,
    /** DATA messages sent again (timeout, repeated request, or a window ACK short of the window). */
    DATA_RETRANSMITTED,
    /** File bytes sent in DATA messages (retransmissions included). */
    BYTES_SENT,
    /** Transfers that ended with the client acknowledging the last block. */
    TRANSFERS_COMPLETED,
    /** ACKs for a block acknowledged before, ignored (RFC 1123 4.2.3.1, Sorcerer's Apprentice). */
    DUPLICATE_ACKS,
    /** ACKs for a block not sent yet, or before the transfer started: ignored. */
    STRAY_ACKS,
    /** Session messages shorter than their fixed part: dropped. */
    MALFORMED_MESSAGES,
    /** Sessions the client ended with an ERROR. */
    CLIENT_ERRORS,
    /** Sessions ended with error 4 because the client sent what has no place in a read transfer. */
    ILLEGAL_OPERATIONS,
    /** Datagrams to a session's port from another client port: answered with error 5. */
    UNKNOWN_TRANSFER_ID,
    /** Sessions abandoned after their retransmissions went unanswered. */
    TIMEOUTS,
    /** Sessions ended with an error because reading the file failed. */
    READ_ERRORS,
    /** Sessions ended early: replaced by a new request from the same client port, guest gone, or shutdown. */
    ABORTED,
}
