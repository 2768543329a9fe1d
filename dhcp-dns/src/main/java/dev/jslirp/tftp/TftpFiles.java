package dev.jslirp.tftp;

/**
 * Where the server's files come from, asynchronously: opening and reading may block, so
 * an implementation does them off the event loop ({@link DirectoryFiles}) and calls the
 * listeners back on it. Tests use an in-memory one.
 */
interface TftpFiles {
    /**
     * Opens {@code name} (relative, already checked by {@link TftpNames}) for sending in
     * {@code mode}. Exactly one of the listener's methods is called later, on the event loop.
     */
    void open(String name, TransferMode mode, OpenListener listener);

    /** The answer to {@link #open}. */
    interface OpenListener {
        /** The file is open; the listener owns {@code source} and must close it. */
        void opened(TftpSource source);

        /** The file cannot be sent; {@code error} says why, in the client's terms. */
        void failed(TftpError error);
    }
}
