package dev.jslirp.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads the value of QEMU's {@code -netdev user,...} as one string, so a QEMU user's
 * existing line carries over: {@code user,id=n0,net=10.0.2.0/24,hostfwd=tcp::2222-:22}.
 *
 * <p>Syntax as QEMU's option parser: {@code KEY=VALUE} pairs separated by commas, a
 * comma inside a value written twice ({@code ,,}), repeatable keys repeated. A leading
 * {@code user} (the backend type) and {@code type=user} are accepted, {@code id=} is
 * kept for the QEMU line jslirp prints, {@code ipv4=on} and {@code ipv6=off} are
 * accepted as what jslirp does anyway. Keys of QEMU's user networking that jslirp does
 * not implement are refused by name.
 */
final class NetdevUserString {
    /** The {@code -netdev user} keys jslirp implements, with the same meaning. */
    static final Set<String> SUPPORTED = Set.of("net", "host", "dns", "dhcpstart", "restrict", "hostfwd", "hostname",
            "domainname", "dnssearch", "tftp", "tftp-server-name", "bootfile");

    /** {@code -netdev user} keys of QEMU that jslirp does not implement. */
    private static final Set<String> UNSUPPORTED = Set.of("smb", "smbserver", "guestfwd", "ipv6-net",
            "ipv6-prefix", "ipv6-prefixlen", "ipv6-host", "ipv6-dns", "ip", "vlan", "name");

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
                case "ipv4":
                    if (!Values.flag("ipv4= (in --netdev-user)", value)) {
                        throw new CliException("--netdev-user: ipv4=" + value + " is not supported (jslirp always serves IPv4)");
                    }
                    break;
                case "ipv6":
                    if (Values.flag("ipv6= (in --netdev-user)", value)) {
                        throw new CliException("--netdev-user: ipv6=" + value
                                + " is not supported (jslirp serves IPv4 only; write ipv6=off or leave it out)");
                    }
                    break;
                default:
                    if (UNSUPPORTED.contains(key)) {
                        throw new CliException("--netdev-user: key '" + key + "' is not supported by jslirp");
                    }
                    if (!SUPPORTED.contains(key)) {
                        throw new CliException("--netdev-user: unknown key '" + key + "' (expected -netdev user keys: "
                                + String.join(", ", new java.util.TreeSet<>(SUPPORTED)) + ")");
                    }
                    pairs.add(new Pair(key, value));
                    break;
            }
        }
        return new Parsed(id, pairs);
    }

    /** Splits at single commas; {@code ,,} stands for a comma inside a value. */
    private static List<String> split(String text) {
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
