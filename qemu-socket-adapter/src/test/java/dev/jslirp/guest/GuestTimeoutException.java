package dev.jslirp.guest;

/**
 * A guest command did not finish within its timeout. The harness interrupted it (Ctrl-C on the
 * console); {@link #guestUsable()} tells whether the guest answered that and can run further
 * commands.
 */
public final class GuestTimeoutException extends GuestException {
    private static final long serialVersionUID = 1L;

    private final String partialOutput;
    private final boolean guestUsable;

    GuestTimeoutException(String message, String partialOutput, boolean guestUsable) {
        super(message);
        this.partialOutput = partialOutput;
        this.guestUsable = guestUsable;
    }

    /** @return what the command printed before it was interrupted */
    public String partialOutput() {
        return partialOutput;
    }

    /** @return true if the interrupted command ended and the guest accepts new commands */
    public boolean guestUsable() {
        return guestUsable;
    }
}
