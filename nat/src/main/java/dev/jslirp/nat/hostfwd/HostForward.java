package dev.jslirp.nat.hostfwd;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.wire.Ipv4Address;
import java.util.Locale;
import java.util.Objects;

/**
 * One port forward from the host into the guest, in QEMU's syntax
 * {@code hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport}.
 *
 * <p>As in QEMU, an empty protocol means TCP, an empty host address means all host
 * addresses (0.0.0.0) and an empty guest address means the first DHCP address.
 *
 * @param protocol     TCP or UDP
 * @param hostAddress  where the host listens, 0 for all addresses
 * @param hostPort     the host port; 0 asks the system for a free one
 * @param guestAddress the guest address, or 0 for "the first DHCP address"
 * @param guestPort    the guest port
 */
public record HostForward(Protocol protocol, int hostAddress, int hostPort, int guestAddress, int guestPort) {
    /** The protocols a forward carries. */
    public enum Protocol { TCP, UDP }

    private static final String FORM = "[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport";

    /** Checks ports. */
    public HostForward {
        Objects.requireNonNull(protocol, "protocol");
        if (hostPort < 0 || hostPort > 65535 || guestPort < 1 || guestPort > 65535) {
            throw new ConfigException("hostfwd", "port out of range (expected " + FORM + ", ports 1..65535)");
        }
    }

    /**
     * Parses QEMU's form.
     *
     * @throws ConfigException naming {@code hostfwd} and the accepted form
     */
    public static HostForward parse(String spec) {
        String s = spec.trim();
        int dash = s.indexOf('-');
        if (dash < 0) {
            throw bad(spec);
        }
        String hostPart = s.substring(0, dash);
        String guestPart = s.substring(dash + 1);
        String[] h = hostPart.split(":", -1);
        if (h.length != 3) {
            throw bad(spec);
        }
        Protocol proto;
        switch (h[0].toLowerCase(Locale.ROOT)) {
            case "":
            case "tcp":
                proto = Protocol.TCP;
                break;
            case "udp":
                proto = Protocol.UDP;
                break;
            default:
                throw new ConfigException("hostfwd", "'" + spec + "': protocol '" + h[0] + "' (expected tcp or udp; form " + FORM + ")");
        }
        int hostAddr = address(spec, h[1]);
        int hostPort = port(spec, h[2], true);
        String[] g = guestPart.split(":", -1);
        if (g.length != 2) {
            throw bad(spec);
        }
        int guestAddr = address(spec, g[0]);
        int guestPort = port(spec, g[1], false);
        return new HostForward(proto, hostAddr, hostPort, guestAddr, guestPort);
    }

    private static int address(String spec, String text) {
        if (text.isEmpty()) {
            return 0;
        }
        try {
            return Ipv4Address.parse(text);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("hostfwd", "'" + spec + "': '" + text + "' is not an IPv4 address (form " + FORM + ")");
        }
    }

    private static int port(String spec, String text, boolean zeroOk) {
        try {
            int p = Integer.parseInt(text);
            if (p < (zeroOk ? 0 : 1) || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new ConfigException("hostfwd", "'" + spec + "': '" + text + "' is not a port (form " + FORM + ")");
        }
    }

    private static ConfigException bad(String spec) {
        return new ConfigException("hostfwd", "'" + spec + "' (expected " + FORM + ", e.g. tcp::2222-:22)");
    }

    /** QEMU's form, with addresses spelled out where set. */
    @Override
    public String toString() {
        return protocol.name().toLowerCase(Locale.ROOT) + ":" + (hostAddress == 0 ? "" : Ipv4Address.toString(hostAddress))
                + ":" + hostPort + "-" + (guestAddress == 0 ? "" : Ipv4Address.toString(guestAddress)) + ":" + guestPort;
    }
}
