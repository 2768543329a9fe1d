package dev.jslirp.slirp4netns;

/**
 * A mistake on the slirp4netns command line: the message names the option and the
 * value, then says what is wrong in slirp4netns's own words where it has some
 * ({@code "MTU must be a positive integer (< 65522)"}). The command prints it as one
 * line and exits with status 2.
 */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message, null, false, false);
    }

    /** {@code invalid OPTION 'VALUE': WHY}. */
    static UsageException invalid(String option, String value, String why) {
        return new UsageException("invalid " + option + " '" + value + "': " + why);
    }
}
