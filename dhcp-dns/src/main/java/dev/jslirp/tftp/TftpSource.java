package dev.jslirp.tftp;

import io.netty.buffer.ByteBuf;

/**
 * An open file as a sequence of bytes to send, already in the transfer's mode (netascii
 * encoded if asked), read one request at a time. Answers come on the event loop.
 */
interface TftpSource {
    /** The file's size in bytes when it was opened. */
    long size();

    /**
     * Reads the next bytes of the transfer, at most {@code maxBytes} (at least 2). At most one
     * read may be outstanding. The listener gets the bytes or the failure on the event loop.
     */
    void read(int maxBytes, ReadListener listener);

    /**
     * Closes the file. A read still outstanding completes later with its bytes, which the
     * listener releases. Idempotent.
     */
    void close();

    /** The answer to {@link TftpSource#read}. */
    interface ReadListener {
        /**
         * The next bytes; {@code end} is true if the file ends with them. They may be fewer
         * than asked (a netascii line end takes two bytes), and none at the end. Takes
         * ownership of {@code data}.
         */
        void read(ByteBuf data, boolean end);

        /** The read failed: the file cannot be sent further. */
        void failed();
    }
}
