package dev.jslirp.slirp4netns;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file descriptor the caller handed down, as slirp4netns's {@code -r FD} and
 * {@code -e FD}: rootlesskit and podman pass a pipe's write end to learn that the
 * network is ready, and podman a pipe's read end whose closing tells slirp4netns to
 * exit. The JVM leaves inherited descriptors open, so the number is valid here as it
 * was in the caller.
 *
 * <p>Four libc calls through JNA: {@code fcntl(F_GETFD)} to check the number at start-up,
 * {@code write} and {@code close} for readiness, {@code poll} to wait for the hang-up.
 */
final class InheritedFd {
    private static final Logger LOG = LoggerFactory.getLogger(InheritedFd.class);

    /** The libc calls. */
    interface Posix extends Library {
        /** fcntl(2): {@code F_GETFD}, from {@code <asm-generic/fcntl.h>}. */
        int F_GETFD = 1;
        /** poll(2) event: hang-up ({@code <asm-generic/poll.h>}); reported whether asked for or not. */
        short POLLHUP = 0x10;
        /** poll(2) event: error condition. */
        short POLLERR = 0x8;
        /** poll(2) event: the descriptor is not open. */
        short POLLNVAL = 0x20;
        /** errno: interrupted by a signal. */
        int EINTR = 4;

        int fcntl(int fd, int cmd, int arg) throws LastErrorException;

        NativeLong write(int fd, Pointer buf, NativeLong count) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int poll(Pointer fds, NativeLong nfds, int timeout) throws LastErrorException;
    }

    /** Lazy holder of the binding. */
    private static final class Holder {
        static final Posix LIBC = Native.load("c", Posix.class);
    }

    private final String option;
    private final int fd;

    private InheritedFd(String option, int fd) {
        this.option = option;
        this.fd = fd;
    }

    /**
     * Checks that {@code fd} is open in this process, as {@code option} promises.
     *
     * @throws UsageException naming the option if it is not
     */
    static InheritedFd open(String option, int fd) {
        try {
            Holder.LIBC.fcntl(fd, Posix.F_GETFD, 0);
        } catch (LastErrorException e) {
            throw UsageException.invalid(option, Integer.toString(fd), "not an open file descriptor of this process ("
                    + e.getMessage() + ")");
        }
        return new InheritedFd(option, fd);
    }

    /** The number. */
    int fd() {
        return fd;
    }

    /**
     * Tells the caller the network is ready, as slirp4netns does: writes {@code "1"} and
     * closes the descriptor. A failed write (the caller gave up) is only logged.
     */
    void signalReady() {
        Memory one = new Memory(1);
        one.write(0, "1".getBytes(StandardCharsets.US_ASCII), 0, 1);
        for (int attempt = 0; attempt < 100; attempt++) {
            try {
                Holder.LIBC.write(fd, one, new NativeLong(1));
                break;
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Posix.EINTR) {
                    LOG.warn("{} {}: cannot signal readiness: {}", option, fd, e.getMessage());
                    break;
                }
            }
        }
        close();
    }

    /**
     * Blocks until the descriptor reports a hang-up (the other end of the pipe or socket
     * was closed), an error, or is no longer open: slirp4netns polls its exit fd for
     * {@code POLLHUP} alone, so data written to it does not count. Runs on a thread of
     * its own; returns the events seen.
     */
    short awaitHangUp() {
        Memory pfd = new Memory(8); // struct pollfd { int fd; short events; short revents; }
        while (true) {
            pfd.setInt(0, fd);
            pfd.setShort(4, Posix.POLLHUP);
            pfd.setShort(6, (short) 0);
            try {
                if (Holder.LIBC.poll(pfd, new NativeLong(1), -1) > 0) {
                    return pfd.getShort(6);
                }
            } catch (LastErrorException e) {
                if (e.getErrorCode() != Posix.EINTR) {
                    LOG.warn("{} {}: poll failed: {}", option, fd, e.getMessage());
                    return Posix.POLLERR;
                }
            }
        }
    }

    /** Closes the descriptor; quietly, since it is the caller's end that matters. */
    void close() {
        try {
            Holder.LIBC.close(fd);
        } catch (LastErrorException e) {
            // Closed already: nothing to do.
        }
    }

    @Override
    public String toString() {
        return option + " " + fd;
    }
}
