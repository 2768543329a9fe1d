package dev.jslirp.tftp;

import java.nio.charset.StandardCharsets;

/**
 * The ERROR messages the server sends: code (RFC 1350 section 5, RFC 2347 for 8) and text.
 * Where libslirp sends the same error its text is kept word for word, since that is what
 * a user of {@code -netdev user,tftp=} sees printed by the guest's client
 * ({@code tftp: server error: (1) File not found}).
 */
enum TftpError {
    /** The file does not exist, or is not a regular file (a directory...; libslirp's text). */
    FILE_NOT_FOUND(1, "File not found"),
    /**
     * The name leaves the directory or is malformed as a path, the file may not be read, or
     * the request is a write (libslirp's text for bad names).
     */
    ACCESS_VIOLATION(2, "Access violation"),
    /** A request that does not parse, or a message that has no place in a session. */
    ILLEGAL_OPERATION(4, "Illegal TFTP operation"),
    /** A mode other than octet and netascii (libslirp's text; it refuses netascii too). */
    UNSUPPORTED_MODE(4, "Unsupported transfer mode"),
    /** A message to a session's port from another port than the session's client. */
    UNKNOWN_TRANSFER_ID(5, "Unknown transfer ID"),
    /** The session limits are reached. */
    TOO_MANY_SESSIONS(0, "Too many transfers"),
    /** Reading the file failed in the middle of a transfer. */
    READ_ERROR(0, "Read error");

    private final int code;
    private final byte[] message;

    TftpError(int code, String message) {
        this.code = code;
        this.message = message.getBytes(StandardCharsets.US_ASCII);
    }

    /** The error code on the wire. */
    int code() {
        return code;
    }

    /** The message, ASCII, without its terminating NUL. */
    byte[] message() {
        return message;
    }

    /** Length of the whole ERROR message: opcode, code, text and NUL. */
    int messageLength() {
        return TftpPacket.HEADER_LENGTH + message.length + 1;
    }
}
