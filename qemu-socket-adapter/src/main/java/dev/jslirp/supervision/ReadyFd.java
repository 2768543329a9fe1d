package dev.jslirp.supervision;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A readiness descriptor, as slirp4netns's {@code -r FD}: a descriptor the supervisor
 * passed in (usually a pipe's write end) to which jslirp writes {@code 1} and which it then
 * closes, once it serves. The supervisor reads one byte, or sees the pipe close without one
 * if jslirp failed before.
 *
 * <p>The JDK cannot use an inherited descriptor by number, hence libc through JNA
 * ({@link Posix}).
 */
public final class ReadyFd {
    private static final byte[] READY = "1".getBytes(StandardCharsets.US_ASCII);

    private final int fd;
    private boolean signalled;

    private ReadyFd(int fd) {
        this.fd = fd;
    }

    /**
     * The descriptor {@code fd}, checked to be open in this process.
     *
     * @throws IllegalArgumentException if it is negative or not open
     */
    public static ReadyFd of(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException(fd + " is not a file descriptor (expected a number >= 0)");
        }
        if (fd <= 2) {
            throw new IllegalArgumentException(fd + " is standard input, output or error (expected a descriptor "
                    + "the supervisor opened, e.g. 3)");
        }
        try {
            Posix.get().fcntl(fd, Posix.F_GETFD);
        } catch (LastErrorException e) {
            throw new IllegalArgumentException(fd + " is not an open file descriptor (" + e.getMessage() + ")");
        }
        return new ReadyFd(fd);
    }

    /** The descriptor. */
    public int fd() {
        return fd;
    }

    /**
     * Writes {@code 1} and closes the descriptor; does nothing the second time.
     *
     * @throws IOException if the write fails (the supervisor went away); the descriptor is closed anyway
     */
    public void signal() throws IOException {
        if (signalled) {
            return;
        }
        signalled = true;
        Posix c = Posix.get();
        try {
            c.write(fd, READY, READY.length);
        } catch (LastErrorException e) {
            throw new IOException("cannot write to ready fd " + fd + ": " + e.getMessage(), e);
        } finally {
            try {
                c.close(fd);
            } catch (LastErrorException e) {
                // Closed already: nothing left to do.
            }
        }
    }
}
