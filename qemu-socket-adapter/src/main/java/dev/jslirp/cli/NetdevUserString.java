package dev.jslirp.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Reads the value of QEMU's {@code -netdev user,...} as one string, so a QEMU user's
 * existing line carries over: {@code user,id=n0,net=10.0.2.0/24,hostfwd=tcp::2222-:22}.
 *
 * <p>Syntax as QEMU's option parser: {@code KEY=VALUE} pairs separated by commas, a
 * comma inside a value written twice ({@code ,,}), repeatable keys repeated. A leading
 * {@code user} (the backend type) and {@code type=user} are accepted, {@code id=} is
 * kept for the QEMU line jslirp prints. Every other key must be a setting declared for
 * {@code --netdev-user} in {@link NetworkSettings#DECLARED}; keys of QEMU's user
 * networking that jslirp does not implement are refused by name.
 */
final class NetdevUserString {
    private NetdevUserString() {
    }

    /** One {@code KEY=VALUE} of the string. */
    record Pair(String key, String value) {
    }

    /** The parsed string: the {@code id=} if any, and the supported pairs in order. */
    record Parsed(String id, List<Pair> pairs) {
    }

    /**
     * Parses {@code text}.
     *
     * @throws CliException naming the key at fault
     */
    static Parsed parse(String text) {
        List<String> items = split(text);
        String id = null;
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            String item = items.get(i);
            int eq = item.indexOf('=');
            if (eq < 0) {
                if (i == 0 && item.equals("user")) {
                    continue;
                }
                throw new CliException("--netdev-user: '" + item + "' is not KEY=VALUE (expected e.g. "
                        + "'net=10.0.2.0/24,hostfwd=tcp::2222-:22')");
            }
            String key = item.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String value = item.substring(eq + 1);
            switch (key) {
                case "id":
                    id = value;
                    break;
                case "type":
                    if (!value.equals("user")) {
                        throw new CliException("--netdev-user: type=" + value + " is not user networking (expected type=user or no type)");
                    }
                    break;
                default:
                    Setting setting = NetworkSettings.byKey(key);
                    if (setting != null && setting.netdevUser()) {
                        pairs.add(new Pair(key, value));
                    } else if (NetworkSettings.QEMU_USER_KEYS.contains(key)) {
                        throw new CliException("--netdev-user: key '" + key + "' is not supported by jslirp");
                    } else {
                        throw new CliException("--netdev-user: unknown key '" + key + "' (expected -netdev user keys: "
                                + String.join(", ", supportedKeys()) + ")");
                    }
                    break;
            }
        }
        return new Parsed(id, pairs);
    }

    /** The keys {@code --netdev-user} takes, in the order they are declared. */
    static List<String> supportedKeys() {
        List<String> keys = new ArrayList<>();
        for (Setting s : NetworkSettings.DECLARED) {
            if (s.netdevUser()) {
                keys.add(s.key());
            }
        }
        return keys;
    }

    /** The keys of QEMU's {@code -netdev user} that jslirp refuses, sorted. */
    static List<String> unsupportedKeys() {
        List<String> keys = new ArrayList<>(new TreeSet<>(NetworkSettings.QEMU_USER_KEYS));
        keys.removeIf(k -> NetworkSettings.byKey(k) != null && NetworkSettings.byKey(k).netdevUser());
        return keys;
    }

    /** Splits at single commas; {@code ,,} stands for a comma inside a value. */
    static List<String> split(String text) {
        List<String> items = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ',') {
                if (i + 1 < text.length() && text.charAt(i + 1) == ',') {
                    cur.append(',');
                    i++;
                } else {
                    items.add(cur.toString());
                    cur.setLength(0);
                }
            } else {
                cur.append(c);
            }
        }
        items.add(cur.toString());
        items.removeIf(String::isEmpty);
        return items;
    }
}
