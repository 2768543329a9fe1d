package dev.jslirp.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parsing of option values, with errors that name the option ({@code label}) and the accepted form. */
final class Values {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(|b|k|kb|kib|m|mb|mib|g|gb|gib)", Pattern.CASE_INSENSITIVE);
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(|ms|s|m|min)", Pattern.CASE_INSENSITIVE);

    private Values() {
    }

    /** {@code on|off}, also {@code yes|no} and {@code true|false} as QEMU's boolean options. */
    static boolean flag(String label, String text) {
        switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "on":
            case "yes":
            case "true":
                return true;
            case "off":
            case "no":
            case "false":
                return false;
            default:
                throw new CliException("invalid " + label + ": '" + text + "' (expected on|off, yes|no)");
        }
    }

    /** A decimal integer; the range is checked by the configuration that takes it. */
    static int integer(String label, String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new CliException("invalid " + label + ": '" + text + "' is not a number (expected a decimal integer)");
        }
    }

    /** Bytes: a number with an optional binary suffix, {@code 65536}, {@code 64k}, {@code 1m}, {@code 1MiB}. */
    static int bytes(String label, String text) {
        return (int) bytes(label, text, Integer.MAX_VALUE);
    }

    /** As {@link #bytes(String, String)}, up to {@code max} (a value beyond it is malformed too). */
    static long bytes(String label, String text, long max) {
        Matcher m = SIZE.matcher(text.trim());
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2).toLowerCase(Locale.ROOT);
            long scale = unit.startsWith("k") ? 1L << 10 : unit.startsWith("m") ? 1L << 20 : unit.startsWith("g") ? 1L << 30 : 1;
            if (m.group(1).length() <= 12 && n * scale <= max) {
                return n * scale;
            }
        }
        throw new CliException("invalid " + label + ": '" + text + "' (expected BYTES, e.g. 262144, 256k or 1m)");
    }

    /** A duration: {@code 500ms}, {@code 2s}, {@code 1m}; a bare number is seconds, as QEMU's {@code reconnect=}. */
    static Duration duration(String label, String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (m.matches() && m.group(1).length() <= 9) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2).toLowerCase(Locale.ROOT);
            return unit.equals("ms") ? Duration.ofMillis(n) : unit.startsWith("m") ? Duration.ofMinutes(n) : Duration.ofSeconds(n);
        }
        throw new CliException("invalid " + label + ": '" + text + "' (expected a duration, e.g. 500ms, 2s or 1m)");
    }
}
