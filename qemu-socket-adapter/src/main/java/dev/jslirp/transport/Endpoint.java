package dev.jslirp.transport;

import dev.jslirp.core.config.ConfigException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Objects;

/**
 * A socket address as users write it: {@code unix:/path} or {@code tcp:host:port}
 * (or {@code udp:host:port} for datagrams). Kept symbolic until a transport binds or
 * connects, so the QEMU command line jslirp prints uses the user's spelling.
 */
public sealed interface Endpoint permits Endpoint.Unix, Endpoint.Inet {
    /**
     * Longest unix socket path: {@code sun_path} is 108 bytes on Linux including the
     * terminating NUL (unix(7)); QEMU refuses longer paths the same way.
     */
    int MAX_UNIX_PATH = 107;

    /** A unix domain socket at {@code path}. */
    record Unix(Path path) implements Endpoint {
        /** Checks the path. */
        public Unix {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public String toString() {
            return "unix:" + path;
        }
    }

    /**
     * An IP socket address; {@code host} is a name or literal, empty for all local
     * addresses; {@code port} 0 asks the system for a free port.
     */
    record Inet(String scheme, String host, int port) implements Endpoint {
        /** Checks the fields. */
        public Inet {
            Objects.requireNonNull(scheme, "scheme");
            Objects.requireNonNull(host, "host");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port " + port);
            }
        }

        /** True if the host is empty or a wildcard address (bind to all addresses). */
        public boolean isWildcard() {
            return host.isEmpty() || host.equals("0.0.0.0") || host.equals("::");
        }

        /**
         * The address; resolves {@code host}, which may block: call at start-up,
         * never on an event loop.
         */
        public InetSocketAddress resolve() {
            return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
        }

        /** The same host with another port (a port 0 once bound). */
        public Inet withPort(int p) {
            return new Inet(scheme, host, p);
        }

        @Override
        public String toString() {
            return scheme + ":" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
        }
    }

    /**
     * Parses {@code unix:PATH} or {@code SCHEME:HOST:PORT} ({@code HOST} may be empty
     * for all addresses, or an IPv6 literal in brackets).
     *
     * @param option     the option being parsed, named in errors ({@code "--listen"})
     * @param spec       the text
     * @param inetScheme {@code "tcp"} or {@code "udp"}: the IP scheme this option takes
     * @throws ConfigException naming {@code option} and the accepted forms
     */
    static Endpoint parse(String option, String spec, String inetScheme) {
        String form = "unix:PATH or " + inetScheme + ":HOST:PORT";
        if (spec.startsWith("unix:")) {
            String p = spec.substring("unix:".length());
            if (p.isEmpty()) {
                throw new ConfigException(option, "'" + spec + "' has no path (expected " + form + ")");
            }
            if (p.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_UNIX_PATH) {
                throw new ConfigException(option, "unix socket path longer than " + MAX_UNIX_PATH + " bytes: " + p);
            }
            return new Unix(Paths.get(p));
        }
        String prefix = inetScheme + ":";
        if (!spec.startsWith(prefix)) {
            throw new ConfigException(option, "'" + spec + "' (expected " + form + ", e.g. unix:/tmp/jslirp.sock or "
                    + inetScheme + ":127.0.0.1:5555)");
        }
        String rest = spec.substring(prefix.length());
        String host;
        String portText;
        if (rest.startsWith("[")) {
            int close = rest.indexOf(']');
            if (close < 0 || close + 1 >= rest.length() || rest.charAt(close + 1) != ':') {
                throw new ConfigException(option, "'" + spec + "' (expected " + inetScheme + ":[IPv6]:PORT)");
            }
            host = rest.substring(1, close);
            portText = rest.substring(close + 2);
        } else {
            int colon = rest.lastIndexOf(':');
            if (colon < 0) {
                throw new ConfigException(option, "'" + spec + "' has no port (expected " + form + ")");
            }
            host = rest.substring(0, colon);
            portText = rest.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                throw new ConfigException(option, "'" + spec + "': write IPv6 addresses in brackets ("
                        + inetScheme + ":[::1]:PORT)");
            }
        }
        int port;
        try {
            port = Integer.parseInt(portText);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new ConfigException(option, "'" + spec + "': '" + portText + "' is not a port (expected 0..65535)");
        }
        return new Inet(inetScheme, host, port);
    }
}
