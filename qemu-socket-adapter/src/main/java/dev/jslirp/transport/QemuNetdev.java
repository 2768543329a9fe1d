package dev.jslirp.transport;

import java.util.ArrayList;
import java.util.List;

/**
 * Spells endpoints the way QEMU's {@code -netdev} option takes them, for the command
 * line jslirp prints at start-up. QEMU's option syntax escapes a comma inside a value
 * by doubling it.
 */
public final class QemuNetdev {
    private QemuNetdev() {
    }

    /**
     * {@code P.type=unix,P.path=PATH} or {@code P.type=inet,P.host=HOST,P.port=PORT}
     * ({@code -netdev stream}'s {@code addr}, {@code -netdev dgram}'s {@code local} and
     * {@code remote}). A wildcard host, which QEMU cannot connect to, becomes loopback.
     */
    public static String address(String prefix, Endpoint endpoint) {
        if (endpoint instanceof Endpoint.Unix u) {
            return prefix + ".type=unix," + prefix + ".path=" + escape(u.path().toString());
        }
        Endpoint.Inet in = (Endpoint.Inet) endpoint;
        return prefix + ".type=inet," + prefix + ".host=" + escape(connectableHost(in)) + "," + prefix + ".port=" + in.port();
    }

    /**
     * The {@code -netdev} values for a stream socket at {@code endpoint}: {@code stream}
     * with {@code server=on} if QEMU listens (jslirp connects) or {@code server=off} if
     * QEMU connects, then the legacy {@code socket} form ({@code listen=} or
     * {@code connect=}) where it can say the address.
     */
    public static List<String> stream(String id, boolean qemuListens, Endpoint endpoint) {
        List<String> forms = new ArrayList<>();
        forms.add("stream,id=" + id + ",server=" + (qemuListens ? "on," : "off,") + address("addr", endpoint));
        String legacy = legacyHostPort(endpoint);
        if (legacy != null) {
            forms.add("socket,id=" + id + (qemuListens ? ",listen=" : ",connect=") + legacy);
        }
        return forms;
    }

    /**
     * {@code HOST:PORT} for the legacy {@code -netdev socket} keys ({@code connect=},
     * {@code listen=}, {@code udp=}, {@code localaddr=}), or null if that syntax cannot
     * say it: it takes IPv4 hosts only, and no unix sockets.
     */
    public static String legacyHostPort(Endpoint endpoint) {
        if (!(endpoint instanceof Endpoint.Inet in)) {
            return null;
        }
        String host = connectableHost(in);
        return host.indexOf(':') >= 0 ? null : escape(host) + ":" + in.port();
    }

    /** The host of {@code in}, or loopback for a wildcard (bound to all addresses). */
    public static String connectableHost(Endpoint.Inet in) {
        if (in.host().equals("::")) {
            return "::1";
        }
        return in.isWildcard() ? "127.0.0.1" : in.host();
    }

    /** Doubles commas, as QEMU's option parser expects inside a value. */
    public static String escape(String value) {
        return value.replace(",", ",,");
    }
}
