package dev.jslirp.testkit;

/**
 * What a {@link Guest} could not do: no DHCP answer, a connection refused (RST) or reset,
 * data that did not come in time. The message says what was expected and what happened.
 */
public final class GuestException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    GuestException(String message) {
        super(message);
    }
}
