package dev.jslirp.cli;

import dev.jslirp.core.config.PortOptions;
import java.util.Locale;
import java.util.Set;

/**
 * The port options a transport's value may end with, each {@code ,KEY=on|off}:
 * {@code isolated} (the guest reaches the network but no other guest), {@code restrict}
 * (the guest may not use the NAT) and {@code lock} (the guest may send IPv4 only from
 * the address DHCP gave it). E.g. {@code --listen unix:/tmp/j.sock,isolated=on}: every
 * guest that connects there is isolated.
 */
record PortSpec(String value, PortOptions options) {
    /** The keys, as {@code --help} names them. */
    static final String FORM = "[,isolated=on|off][,restrict=on|off][,lock=on|off]";
    private static final Set<String> KEYS = Set.of("isolated", "restrict", "lock");

    /**
     * Splits the port options off the end of {@code text}, a value of {@code option}.
     *
     * @throws CliException naming {@code option} for a value that is not on|off
     */
    static PortSpec parse(String option, String text) {
        boolean isolated = false;
        boolean restricted = false;
        boolean locked = false;
        String rest = text;
        while (true) {
            int comma = rest.lastIndexOf(',');
            int eq = comma < 0 ? -1 : rest.indexOf('=', comma);
            if (eq < 0) {
                break;
            }
            String key = rest.substring(comma + 1, eq).trim().toLowerCase(Locale.ROOT);
            if (!KEYS.contains(key)) {
                break;
            }
            boolean on = Values.flag(option + " " + key + "=", rest.substring(eq + 1));
            switch (key) {
                case "isolated" -> isolated = on;
                case "restrict" -> restricted = on;
                default -> locked = on;
            }
            rest = rest.substring(0, comma);
        }
        return new PortSpec(rest, new PortOptions("guest", isolated, restricted, locked));
    }
}
