package dev.jslirp.control;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.nat.NatConnection;
import dev.jslirp.nat.NatService;
import dev.jslirp.nat.hostfwd.HostForward;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commands of the control socket, HMP's for user networking and a few of jslirp's:
 * one line in, one {@link ControlReply} out. Runs on the network's event loop, where the
 * NAT's tables live; nothing here blocks (binding a forward's socket completes at once
 * on the loop).
 *
 * <p>Arguments are separated by blanks, as HMP reads them. A netdev id, where HMP takes
 * one, must be the id the network was started with: jslirp runs one network, and a
 * script written for a QEMU with {@code -netdev user,id=n0} keeps working unchanged.
 * Every mistake is an {@code ERROR:} line with QEMU's words where QEMU has some; nothing
 * a client sends makes an exception escape.
 */
final class ControlCommands {
    private static final Logger LOG = LoggerFactory.getLogger(ControlCommands.class);
    /** Rows of {@code info usernet} at most; beyond it the reply says how many were left out. */
    static final int MAX_USERNET_ROWS = 1000;

    /** The commands, as {@code help} lists them. */
    static final List<String> HELP = List.of(
            "hostfwd_add [netdev_id] " + HmpHostfwd.ADD_FORM
                    + " -- redirect TCP or UDP connections from host to guest",
            "hostfwd_remove [netdev_id] " + HmpHostfwd.REMOVE_FORM + " -- remove host-to-guest TCP or UDP redirection",
            "info usernet -- show user network stack connection states",
            "info stats -- show jslirp's counters (counters at zero are left out)",
            "help -- show this list",
            "quit -- close this connection");

    private final JslirpNetwork network;
    private final String netdevId;

    /** Commands for {@code network}, started as netdev {@code netdevId}. */
    ControlCommands(JslirpNetwork network, String netdevId) {
        this.network = Objects.requireNonNull(network, "network");
        this.netdevId = Objects.requireNonNull(netdevId, "netdevId");
    }

    /** Runs one command line on the event loop; never throws. */
    ControlReply execute(String line) {
        String[] words = line.trim().isEmpty() ? new String[0] : line.trim().split("[ \t]+");
        if (words.length == 0) {
            return ControlReply.ok();
        }
        List<String> args = Arrays.asList(words).subList(1, words.length);
        try {
            switch (words[0]) {
                case "hostfwd_add":
                    return hostfwdAdd(args);
                case "hostfwd_remove":
                    return hostfwdRemove(args);
                case "info":
                    return info(args);
                case "help":
                case "?":
                    return ControlReply.ok(HELP);
                case "quit":
                case "q":
                    return ControlReply.ok().thenClose();
                default:
                    return ControlReply.error("unknown command: '" + words[0] + "' (try help)");
            }
        } catch (RuntimeException e) {
            LOG.warn("bug: control command '{}' failed", line, e);
            return ControlReply.error("internal error: " + e);
        }
    }

    // ---------------------------------------------------------------- hostfwd

    private ControlReply hostfwdAdd(List<String> args) {
        ControlReply refused = refuseArguments(args, "hostfwd_add", HmpHostfwd.ADD_FORM);
        if (refused != null) {
            return refused;
        }
        String rule = args.get(args.size() - 1);
        HostForward forward;
        try {
            forward = HmpHostfwd.parseAdd(rule);
        } catch (HmpHostfwd.BadRule e) {
            return ControlReply.error(e.getMessage());
        }
        InetSocketAddress bound;
        try {
            bound = HostForwards.add(network, forward);
        } catch (HostForwards.Refused e) {
            return notSetUp(rule, e.getMessage());
        }
        // The address as asked: an IPv4 wildcard may be bound as the IPv6 one.
        return ControlReply.ok("host forwarding rule for " + rule + " added: listening on "
                + Ipv4Address.toString(forward.hostAddress()) + ":" + bound.getPort());
    }

    private ControlReply hostfwdRemove(List<String> args) {
        ControlReply refused = refuseArguments(args, "hostfwd_remove", HmpHostfwd.REMOVE_FORM);
        if (refused != null) {
            return refused;
        }
        String rule = args.get(args.size() - 1);
        HmpHostfwd.HostEnd end;
        try {
            end = HmpHostfwd.parseRemove(rule);
        } catch (HmpHostfwd.BadRule e) {
            return ControlReply.error(e.getMessage());
        }
        boolean removed = HostForwards.remove(network, end.protocol(), end.hostAddress(), end.hostPort());
        // QEMU's own words, "host forwarding rule for RULE removed" or "... not found".
        String what = "host forwarding rule for " + rule;
        // Replied once the loop polled again: on NIO, closing a registered socket closes its
        // descriptor only at the selector's next poll, and until then the port still accepts
        // and cannot be bound again (a hostfwd_add of the same port would fail).
        return removed ? ControlReply.ok(what + " removed").thenAfterIo() : ControlReply.error(what + " not found");
    }

    /**
     * The error for arguments of a hostfwd command that are not {@code [netdev_id] RULE}
     * with this network's id, or null if they are (the rule is then the last).
     */
    private ControlReply refuseArguments(List<String> args, String command, String form) {
        if (args.isEmpty() || args.size() > 2) {
            return ControlReply.error("usage: " + command + " [netdev_id] " + form);
        }
        if (args.size() == 2 && !args.get(0).equals(netdevId)) {
            // QEMU's slirp_lookup: "unrecognized netdev id '%s'".
            return ControlReply.error("unrecognized netdev id '" + args.get(0) + "'");
        }
        return null;
    }

    private static ControlReply notSetUp(String rule, String why) {
        // QEMU: "Could not set up host forwarding rule '%s'"; jslirp adds why.
        return ControlReply.error("Could not set up host forwarding rule '" + rule + "' (" + why + ")");
    }

    // ---------------------------------------------------------------- info

    private ControlReply info(List<String> args) {
        String what = args.size() == 1 ? args.get(0) : "";
        switch (what) {
            case "usernet":
                NatService nat = network.nat();
                List<NatConnection> rows = nat.connections(MAX_USERNET_ROWS);
                return ControlReply.ok(UsernetTable.lines(netdevId, rows, nat.connectionCount()));
            case "stats":
                return ControlReply.ok(stats(network.stats().snapshot()));
            default:
                return ControlReply.error("usage: info usernet|stats");
        }
    }

    /** {@code name value} per counter, values aligned. */
    private static List<String> stats(Map<String, Long> counters) {
        if (counters.isEmpty()) {
            return List.of("(every counter is zero)");
        }
        int width = 0;
        for (String k : counters.keySet()) {
            width = Math.max(width, k.length());
        }
        List<String> lines = new ArrayList<>(counters.size());
        for (Map.Entry<String, Long> e : counters.entrySet()) {
            lines.add(String.format(Locale.ROOT, "%-" + width + "s %d", e.getKey(), e.getValue()));
        }
        return lines;
    }
}
