package dev.jslirp.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One more network in the same process ({@code --network SPEC}, or {@code network_add SPEC}
 * on the control socket): its own LAN, addresses, forwards and limits, on an event loop of
 * its own choosing. The form is {@code -netdev user}'s ({@code KEY=VALUE} pairs, {@code ,,}
 * for a comma inside a value):
 *
 * <pre>
 * id=n1,listen=unix:/run/n1.sock,net=10.0.3.0/24,hostfwd=tcp::2223-:22,dhcp-static=52:54:00:00:00:01=10.0.3.20
 * </pre>
 *
 * <ul>
 *   <li>{@code id}: the network's name (netdev id), letters, digits, {@code -_.}; required;</li>
 *   <li>{@code listen}, {@code connect}, {@code dgram}, {@code tap}, {@code netns}: its
 *       transports, as the options of the same names take them (port options and all, with
 *       {@code ,,} for their commas), one or more;</li>
 *   <li>every network setting of {@link NetworkSettings#DECLARED}, by its key.</li>
 * </ul>
 */
final class NetworkSpec {
    /** The accepted form, for messages. */
    static final String FORM = "id=ID,listen=ADDR|connect=ADDR|dgram=ADDR|tap=NAME|netns=NS[,KEY=VALUE...]";
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,31}");

    private NetworkSpec() {
    }

    /**
     * Parses {@code text}.
     *
     * @throws CliException naming {@code --network} (and the network) and what is wrong
     */
    static Jslirp.NetworkPlan parse(String text) {
        List<String> items = NetdevUserString.split(text);
        String id = null;
        for (String item : items) {
            if (item.startsWith("id=")) {
                id = item.substring(3);
            }
        }
        if (id == null || !ID.matcher(id).matches()) {
            throw new CliException("invalid --network '" + text + "': " + (id == null ? "no id=" : "id=" + id
                    + " (letters, digits, '-', '_', '.', at most 32)") + " (expected " + FORM + ")");
        }
        NetworkSettings settings = new NetworkSettings();
        List<TransportSpec> transports = new ArrayList<>();
        for (String item : items) {
            int eq = item.indexOf('=');
            if (eq < 0) {
                throw new CliException("--network " + id + ": '" + item + "' is not KEY=VALUE (expected " + FORM + ")");
            }
            String key = item.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String value = item.substring(eq + 1);
            try {
                switch (key) {
                    case "id" -> { }
                    case "listen" -> transports.add(TransportSpec.listen(value));
                    case "connect" -> transports.add(TransportSpec.connect(value, Duration.ofSeconds(1)));
                    case "dgram" -> transports.add(TransportSpec.dgram(value));
                    case "tap" -> transports.add(TransportSpec.tap(value));
                    case "netns" -> transports.add(TransportSpec.netns(value, null, false));
                    default -> settings.networkKey(id, key, value);
                }
            } catch (CliException e) {
                String m = e.getMessage();
                throw new CliException(m.startsWith("--network") ? m : "--network " + id + ": " + m);
            }
        }
        if (transports.isEmpty()) {
            throw new CliException("--network " + id + ": no transport (give listen=, connect=, dgram=, tap= or "
                    + "netns=; expected " + FORM + ")");
        }
        NetworkSettings.Configs configs;
        try {
            configs = settings.build();
        } catch (CliException e) {
            throw new CliException("--network " + id + ": " + e.getMessage());
        }
        return new Jslirp.NetworkPlan(id, configs, transports);
    }
}
