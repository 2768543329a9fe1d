package dev.jslirp.guest;

/**
 * The guest harness could not do what a test asked: the image could not be built, QEMU did not
 * start or boot, a command failed where success was required, or the guest stopped answering.
 * Messages name the console transcript to read.
 */
public class GuestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what failed, including where to look (transcript path) */
    public GuestException(String message) {
        super(message);
    }

    /**
     * @param message what failed, including where to look (transcript path)
     * @param cause the underlying failure
     */
    public GuestException(String message, Throwable cause) {
        super(message, cause);
    }
}
