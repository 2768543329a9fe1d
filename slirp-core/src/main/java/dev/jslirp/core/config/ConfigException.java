package dev.jslirp.core.config;

/**
 * A configuration value that cannot be used. The message names the option and the
 * form it accepts, so a user can fix the command line from the message alone.
 */
public class ConfigException extends IllegalArgumentException {
    private final String option;

    /**
     * @param option   the option as the user wrote it ({@code "net"}, {@code "--mtu"})
     * @param message  what is wrong and what form is accepted
     */
    public ConfigException(String option, String message) {
        super("invalid " + option + ": " + message);
        this.option = option;
    }

    /** The option at fault. */
    public String option() {
        return option;
    }
}
