package dev.jslirp.nat.linux;

import java.io.IOException;

/** A libc call failed with {@link #errno()}. */
public final class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    ErrnoException(String call, int errno) {
        super(call + " failed: " + NativeSockets.errnoName(errno));
        this.errno = errno;
    }

    /** The C {@code errno}. */
    public int errno() {
        return errno;
    }

    /** True for the errors that mean "not allowed" (EACCES, EPERM) rather than "not there". */
    public boolean isPermission() {
        return NativeSockets.isPermissionDenied(errno);
    }
}
