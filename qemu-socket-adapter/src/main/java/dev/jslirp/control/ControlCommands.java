package dev.jslirp.control;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.capture.PacketCapture;
import dev.jslirp.metrics.NetworkMetrics;
import dev.jslirp.metrics.StatsJson;
import dev.jslirp.core.buffer.MemoryBudget;
import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.nat.NatConnection;
import dev.jslirp.nat.NatService;
import dev.jslirp.nat.hostfwd.HostForward;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
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
                    + " -- redirect TCP or UDP connections (or a host unix socket's) from host to guest",
            "hostfwd_remove [netdev_id] " + HmpHostfwd.REMOVE_FORM + " -- remove host-to-guest redirection",
            "info usernet -- show user network stack connection states (VM: the guest's port)",
            "info leases -- the DHCP leases: MAC, address, host name, seconds left, port",
            "info ports -- the guests' ports: MAC, frames and bytes each way, drops, queue, options, transport",
            "info stats -- show jslirp's counters (counters at zero are left out)",
            "info stats json -- every counter, gauge and latency histogram as one line of JSON",
            "pcap start FILE -- capture every frame to FILE (an absolute path) in pcap format",
            "pcap stop -- stop the capture and close its file",
            "pcap -- say whether a capture runs, and to which file",
            "help -- show this list",
            "quit -- close this connection");

    private final JslirpNetwork network;
    private final String netdevId;
    private final PacketCapture capture;
    private final NetworkMetrics metrics;

    /**
     * Commands for {@code network}, started as netdev {@code netdevId}, with its packet
     * capture ({@code null}: the pcap commands answer that there is none).
     */
    ControlCommands(JslirpNetwork network, String netdevId, PacketCapture capture) {
        this.network = Objects.requireNonNull(network, "network");
        this.netdevId = Objects.requireNonNull(netdevId, "netdevId");
        this.capture = capture;
        this.metrics = new NetworkMetrics(network);
    }

    /**
     * Runs one command line on the event loop; the reply is complete at once, except for
     * commands that wait for another thread ({@code pcap start} opens its file on the
     * capture's writer thread), whose reply completes from there. Never fails.
     */
    CompletableFuture<ControlReply> executeLater(String line) {
        String[] words = line.trim().split("[ \t]+");
        if (words[0].equals("pcap")) {
            try {
                return pcap(Arrays.asList(words).subList(1, words.length));
            } catch (RuntimeException e) {
                LOG.warn("bug: control command '{}' failed", line, e);
                return CompletableFuture.completedFuture(ControlReply.error("internal error: " + e));
            }
        }
        return CompletableFuture.completedFuture(execute(line));
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
            bound = RunTimeForwards.add(network, forward);
        } catch (RunTimeForwards.Refused e) {
            return notSetUp(rule, e.getMessage());
        }
        // The address as asked (all addresses: both families), the port as bound; or the unix socket.
        return ControlReply.ok("host forwarding rule for " + rule + " added: listening on "
                + forward.hostEnd(bound == null ? 0 : bound.getPort()));
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
        boolean removed = end.hostPath() != null ? RunTimeForwards.removeUnix(network, end.hostPath())
                : RunTimeForwards.remove(network, end.protocol(), end.hostAddress(), end.hostPort());
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

    // ---------------------------------------------------------------- pcap

    private CompletableFuture<ControlReply> pcap(List<String> args) {
        if (capture == null) {
            return done(ControlReply.error("packet capture is not available here"));
        }
        String what = args.isEmpty() ? "" : args.get(0);
        switch (what) {
            case "":
                Path file = capture.file();
                return done(ControlReply.ok(file == null ? "no capture is running" : "capturing to " + file));
            case "start":
                if (args.size() < 2) {
                    return done(ControlReply.error("usage: pcap start FILE"));
                }
                String name = String.join(" ", args.subList(1, args.size()));
                Path path;
                try {
                    path = Path.of(name);
                } catch (InvalidPathException e) {
                    return done(ControlReply.error("cannot capture to '" + name + "': " + e.getMessage()));
                }
                if (!path.isAbsolute()) {
                    return done(ControlReply.error("cannot capture to '" + name
                            + "': give an absolute path (jslirp's working directory is not the client's)"));
                }
                return reply(capture.start(path), "cannot capture to " + path + ": ");
            case "stop":
                return reply(capture.stop(), "");
            default:
                return done(ControlReply.error("usage: pcap [start FILE|stop]"));
        }
    }

    private static CompletableFuture<ControlReply> done(ControlReply r) {
        return CompletableFuture.completedFuture(r);
    }

    /** The capture's answer as a reply: its line, or ERROR with {@code prefix} and the reason. */
    private static CompletableFuture<ControlReply> reply(CompletableFuture<String> answer, String prefix) {
        return answer.handle((line, error) -> {
            if (error == null) {
                return ControlReply.ok(line);
            }
            Throwable t = PacketCapture.unwrap(error);
            String why = t instanceof IOException || t instanceof IllegalStateException ? t.getMessage() : t.toString();
            return ControlReply.error(t instanceof IllegalStateException ? why : prefix + why);
        });
    }

    // ---------------------------------------------------------------- info

    private ControlReply info(List<String> args) {
        String what = String.join(" ", args);
        switch (what) {
            case "usernet":
                NatService nat = network.nat();
                List<NatConnection> rows = nat.connections(MAX_USERNET_ROWS);
                return ControlReply.ok(UsernetTable.lines(netdevId, rows, nat.connectionCount(),
                        network.guest().ports().size() > 1));
            case "stats":
                List<String> lines = new ArrayList<>(stats(network.stats().snapshot()));
                lines.addAll(stats(memory(network.guest().memory())));
                return ControlReply.ok(lines);
            case "stats json":
                return ControlReply.ok(StatsJson.write(metrics.snapshotOnLoop()));
            case "leases":
                return ControlReply.ok(PortTables.leases(network));
            case "ports":
                return ControlReply.ok(PortTables.ports(network));
            default:
                return ControlReply.error("usage: info usernet|leases|ports|stats|stats json");
        }
    }

    /** The memory budget's use against its limit, which {@code info stats} always shows after the counters. */
    private static Map<String, Long> memory(MemoryBudget memory) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("memory.bytes", memory.used());
        m.put("memory.limit_bytes", memory.limit());
        m.put("memory.high_water_bytes", memory.highWater());
        m.put("memory.refusals", memory.refusals());
        return m;
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
