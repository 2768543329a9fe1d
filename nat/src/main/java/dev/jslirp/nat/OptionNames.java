package dev.jslirp.nat;

import dev.jslirp.core.config.ConfigException;
import java.util.Locale;
import java.util.StringJoiner;
import java.util.function.Function;

/** Parsing of an option whose values are the names of an enum's constants. */
final class OptionNames {
    private OptionNames() {
    }

    /**
     * The constant of {@code values} whose {@code name} is {@code text} (case and surrounding
     * blanks ignored).
     *
     * @throws ConfigException naming {@code option} and the accepted names otherwise
     */
    static <E> E parse(E[] values, Function<E, String> name, String option, String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        StringJoiner accepted = new StringJoiner("|");
        for (E e : values) {
            if (name.apply(e).equals(t)) {
                return e;
            }
            accepted.add(name.apply(e));
        }
        throw new ConfigException(option, "'" + text + "' (expected " + accepted + ")");
    }
}
