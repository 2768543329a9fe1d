package dev.jslirp.transport.tap;

import dev.jslirp.core.config.NetworkConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the kernel that owns the tap treats IPv6 on it: values for
 * {@code /proc/sys/net/ipv6/conf/IFNAME/} ({@code ip-sysctl.rst}), written before the link
 * goes up, since the kernel starts address configuration (link-local address, duplicate
 * address detection, router solicitation) the moment it does.
 *
 * <h2>The choices</h2>
 * <p>slirp4netns {@code --enable-ipv6} leaves IPv6 to the kernel's defaults and libslirp's
 * router advertisements (SLAAC; its {@code --configure} sets only IPv4). jslirp does the
 * same, and makes sure of the settings that decide how well it works:
 * <ul>
 *   <li>A namespace served by a network with IPv6 ({@code ipv6=on}, the default):
 *       {@code accept_dad=0} (duplicate address detection would only hold every address
 *       back a second or two: the only other node on the link is jslirp, which never
 *       claims a guest address, RFC 4862 5.4; pasta dodges it too), and
 *       <ul>
 *         <li>dynamic (the default): {@code accept_ra=2} and {@code autoconf=1}, so the
 *             namespace takes its address, default route and MTU from jslirp's router
 *             advertisements, also when it forwards packets itself (a namespace running
 *             containers; {@code accept_ra=1} is ignored once forwarding is on);</li>
 *         <li>{@code --netns-static}: {@code accept_ra=0}: the static address and route
 *             are the whole configuration, as no DHCP client runs for IPv4.</li>
 *       </ul>
 *       {@code disable_ipv6} is left as the namespace has it, as slirp4netns leaves it: a
 *       namespace made with IPv6 off ({@code net.ipv6.conf.default.disable_ipv6=1}) is
 *       its owner's choice, and then {@code --netns-static} sets IPv4 only.</li>
 *   <li>A namespace served by a network without IPv6 ({@code ipv6=off}):
 *       {@code disable_ipv6=1}: nothing on the link answers IPv6, so the namespace's
 *       applications fall back to IPv4 at once instead of trying a link-local-only
 *       interface, and no solicitations go unanswered.</li>
 *   <li>A tap jslirp creates in its own namespace ({@code --tap}): {@code accept_ra=0}:
 *       the host's kernel must not take a default route from the network jslirp serves
 *       behind it (the host's own traffic would then go through jslirp). A tap moved into
 *       another namespace gets that namespace's defaults back (the kernel rebuilds its
 *       IPv6 state on the move). A persistent tap jslirp merely attaches is left as its
 *       owner configured it.</li>
 * </ul>
 *
 * <p>Writes go through {@code /proc/sys/net}, which shows the network namespace of the
 * thread that opens the file: {@link #apply} must run on the thread in the tap's namespace.
 *
 * @param values the settings in the order written
 */
record Ipv6Sysctls(Map<String, String> values) {
    private static final Logger LOG = LoggerFactory.getLogger(Ipv6Sysctls.class);
    /** The per-interface IPv6 settings of the calling thread's namespace. */
    static final Path CONF = Path.of("/proc/sys/net/ipv6/conf");

    /** Whether an interface has IPv6 after {@link #apply}, and if not, why. */
    enum State {
        /** IPv6 is on. */
        ON("IPv6 is on"),
        /** The kernel has none ({@code /proc/sys/net/ipv6} is missing: built without it, or {@code ipv6.disable=1}). */
        NOT_IN_KERNEL("the kernel has no IPv6 (no " + CONF + ")"),
        /** {@code disable_ipv6} is 1 on the interface (the namespace's default, or jslirp's for {@code ipv6=off}). */
        DISABLED("IPv6 is disabled on it (disable_ipv6=1, as the namespace's net.ipv6.conf.default.disable_ipv6 "
                + "has it)");

        private final String why;

        State(String why) {
            this.why = why;
        }

        /** What the start-up log says. */
        String why() {
            return why;
        }
    }

    /** The settings for a tap of {@code net} set up as {@code options} say; {@code created}: jslirp made the tap. */
    static Ipv6Sysctls forTap(NetworkConfig net, TapOptions options, boolean created) {
        Map<String, String> v = new LinkedHashMap<>();
        if (options.netns() == null) {
            if (created) {
                v.put("accept_ra", "0");
            }
        } else if (!net.ipv6()) {
            v.put("disable_ipv6", "1");
        } else {
            v.put("accept_dad", "0");
            if (options.staticAddress()) {
                v.put("accept_ra", "0");
            } else {
                v.put("accept_ra", "2");
                v.put("autoconf", "1");
            }
        }
        return new Ipv6Sysctls(Collections.unmodifiableMap(v));
    }

    /**
     * Writes the settings for {@code ifname} in the calling thread's namespace. A setting
     * that cannot be written is logged as a warning and the rest go on: the kernel's
     * defaults (accept_ra=1, autoconf=1, accept_dad=1) make IPv6 work in the usual case,
     * only more slowly, and {@code /proc/sys} may be read-only where jslirp runs (in a
     * container).
     *
     * @return whether {@code ifname} has IPv6 now
     */
    State apply(String ifname) {
        if (!Files.isDirectory(CONF)) {
            return State.NOT_IN_KERNEL;
        }
        Path dir = CONF.resolve(ifname);
        for (Map.Entry<String, String> e : values.entrySet()) {
            Path file = dir.resolve(e.getKey());
            try {
                Files.write(file, (e.getValue() + "\n").getBytes(StandardCharsets.US_ASCII));
            } catch (IOException ex) {
                LOG.warn("cannot set {} to {} ({}); the kernel's own setting stays", file, e.getValue(),
                        ex instanceof NoSuchFileException ? "no such file" : ex.getMessage());
            }
        }
        try {
            return Files.readString(dir.resolve("disable_ipv6")).trim().equals("0") ? State.ON : State.DISABLED;
        } catch (IOException e) {
            return State.DISABLED;
        }
    }
}
