package dev.jslirp.cli;

import dev.jslirp.core.config.ConfigException;

/**
 * A command-line mistake: the message is the one line jslirp prints before exiting
 * with status 2, naming the option and the form it accepts.
 */
final class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CliException(String message) {
        super(message, null, false, false);
    }

    /**
     * A configuration's complaint with the option named as the user wrote it
     * ({@code label}, e.g. {@code --mtu}) rather than by the configuration's key.
     */
    static CliException relabel(ConfigException ce, String label) {
        String prefix = "invalid " + ce.option() + ": ";
        String msg = ce.getMessage();
        String detail = msg.startsWith(prefix) ? msg.substring(prefix.length()) : msg;
        return new CliException("invalid " + label + ": " + detail);
    }
}
