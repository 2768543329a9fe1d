package dev.jslirp.control;

import dev.jslirp.capture.PacketCapture;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes each control command to the network it is for and runs it on that network's
 * event loop ({@link ControlCommands}, one per network), where its tables live; and runs
 * the commands about the networks themselves: {@code network_add}, {@code network_remove},
 * {@code info networks}.
 *
 * <p>Which network: the netdev id where HMP takes one ({@code hostfwd_add n1 RULE}), or a
 * trailing id for jslirp's {@code info} commands ({@code info leases n1}); without one, the
 * first network (the one a single-network jslirp has). {@code info usernet} lists every
 * network, each under its {@code Hub -1 (ID):} line, as QEMU lists every user netdev. The
 * packet capture belongs to the network started first.
 *
 * <p>Replies complete on the network's loop; the session waits for them in order.
 */
final class ControlRouter {
    private static final Logger LOG = LoggerFactory.getLogger(ControlRouter.class);
    /** The router's own commands, after each network's. */
    static final List<String> HELP = List.of(
            "info networks -- the networks: id, transports, guests, leases",
            "network_add id=ID,listen=ADDR[,KEY=VALUE...] -- start another network (--network's form)",
            "network_remove ID -- stop a network and disconnect its guests",
            "(info leases|ports|stats [json] take a netdev id last; without one, the first network)");

    private final Networks networks;
    private final PacketCapture capture;
    private final String captureId;
    private final Map<String, ControlCommands> commands = new ConcurrentHashMap<>();

    /** Routes to {@code networks}; {@code capture} (null: none) is the first network's. */
    ControlRouter(Networks networks, PacketCapture capture) {
        this.networks = networks;
        this.capture = capture;
        List<Networks.Entry> all = networks.list();
        this.captureId = all.isEmpty() ? null : all.get(0).id();
    }

    /** Runs one command line; the reply completes on the network's loop or at once. Never fails. */
    CompletableFuture<ControlReply> executeLater(String line) {
        String trimmed = line.trim();
        String[] words = trimmed.isEmpty() ? new String[0] : trimmed.split("[ \t]+");
        try {
            return route(trimmed, words);
        } catch (RuntimeException e) {
            LOG.warn("bug: control command '{}' failed", line, e);
            return done(ControlReply.error("internal error: " + e));
        }
    }

    private CompletableFuture<ControlReply> route(String line, String[] words) {
        if (words.length == 0) {
            return done(ControlReply.ok());
        }
        List<String> args = Arrays.asList(words).subList(1, words.length);
        switch (words[0]) {
            case "network_add":
                return add(line.substring(words[0].length()).trim());
            case "network_remove":
                return remove(args);
            case "help":
            case "?":
                List<String> help = new ArrayList<>(ControlCommands.HELP);
                help.addAll(HELP);
                return done(ControlReply.ok(help));
            case "quit":
            case "q":
                return done(ControlReply.ok().thenClose());
            case "info":
                return info(line, args);
            case "hostfwd_add":
            case "hostfwd_remove":
                return args.size() == 2 ? byId(args.get(0), line) : first(line);
            case "pcap":
                Networks.Entry c = captureId == null ? null : networks.find(captureId);
                return c == null ? done(ControlReply.error("packet capture is not available here")) : on(c, line);
            default:
                return first(line);
        }
    }

    private CompletableFuture<ControlReply> info(String line, List<String> args) {
        String what = String.join(" ", args);
        if (what.equals("networks")) {
            return networksTable();
        }
        if (what.equals("usernet")) {
            return everyUsernet();
        }
        if (args.size() >= 2 && networks.find(args.get(args.size() - 1)) != null) {
            String id = args.get(args.size() - 1);
            return on(networks.find(id), "info " + String.join(" ", args.subList(0, args.size() - 1)));
        }
        return first(line);
    }

    /** {@code info usernet}: each network's table, in order, each computed on its own loop. */
    private CompletableFuture<ControlReply> everyUsernet() {
        List<Networks.Entry> all = networks.list();
        if (all.isEmpty()) {
            return done(ControlReply.ok());
        }
        CompletableFuture<List<String>> lines = CompletableFuture.completedFuture(new ArrayList<>());
        for (Networks.Entry e : all) {
            CompletableFuture<ControlReply> one = on(e, "info usernet");
            lines = lines.thenCombine(one, (acc, r) -> {
                acc.addAll(r.lines());
                return acc;
            });
        }
        return lines.thenApply(ControlReply::ok);
    }

    private CompletableFuture<ControlReply> networksTable() {
        List<Networks.Entry> all = networks.list();
        CompletableFuture<List<String>> lines = CompletableFuture.completedFuture(new ArrayList<>(List.of(
                String.format(Locale.ROOT, "  %-12s %-18s %6s %6s  %s", "Id", "Net", "Guests", "Leases", "Transports"))));
        for (Networks.Entry e : all) {
            CompletableFuture<String> row = onLoop(e, () -> String.format(Locale.ROOT, "  %-12s %-18s %6d %6d  %s",
                    e.id(), e.network().guest().config().toString().replaceAll(",.*", "").replace("net=", ""),
                    e.network().guest().ports().size(), e.network().dhcp().leases().size(),
                    e.transports()));
            lines = lines.thenCombine(row, (acc, r) -> {
                acc.add(r);
                return acc;
            });
        }
        return lines.thenApply(ControlReply::ok);
    }

    private CompletableFuture<ControlReply> add(String spec) {
        if (spec.isEmpty()) {
            return done(ControlReply.error("usage: network_add id=ID,listen=ADDR[,KEY=VALUE...]"));
        }
        return networks.add(spec).handle((lines, error) -> error == null ? ControlReply.ok(lines)
                : ControlReply.error(message(error)));
    }

    private CompletableFuture<ControlReply> remove(List<String> args) {
        if (args.size() != 1) {
            return done(ControlReply.error("usage: network_remove ID"));
        }
        String id = args.get(0);
        return networks.remove(id).handle((removed, error) -> {
            if (error != null) {
                return ControlReply.error(message(error));
            }
            commands.remove(id);
            return removed ? ControlReply.ok("network " + id + " removed")
                    : ControlReply.error("unrecognized netdev id '" + id + "'");
        });
    }

    private static String message(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        return c.getMessage() != null ? c.getMessage() : c.toString();
    }

    private CompletableFuture<ControlReply> byId(String id, String line) {
        Networks.Entry e = networks.find(id);
        // QEMU's slirp_lookup: "unrecognized netdev id '%s'".
        return e == null ? done(ControlReply.error("unrecognized netdev id '" + id + "'")) : on(e, line);
    }

    private CompletableFuture<ControlReply> first(String line) {
        List<Networks.Entry> all = networks.list();
        return all.isEmpty() ? done(ControlReply.error("no network is running (network_add starts one)"))
                : on(all.get(0), line);
    }

    /** Runs {@code line} on {@code e}'s loop with its commands. */
    private CompletableFuture<ControlReply> on(Networks.Entry e, String line) {
        ControlCommands c = commands.computeIfAbsent(e.id(),
                id -> new ControlCommands(e.network(), id, id.equals(captureId) ? capture : null));
        EventLoop loop = e.network().eventLoop();
        if (loop.inEventLoop()) {
            return c.executeLater(line);
        }
        CompletableFuture<ControlReply> f = new CompletableFuture<>();
        loop.execute(() -> c.executeLater(line).whenComplete((r, t) -> {
            if (t != null) {
                f.completeExceptionally(t);
            } else if (r.afterIo()) {
                // Replied once that loop polled its sockets again (see ControlSession).
                loop.execute(() -> loop.schedule(() -> f.complete(r), 0, java.util.concurrent.TimeUnit.NANOSECONDS));
            } else {
                f.complete(r);
            }
        }));
        return f;
    }

    private static <T> CompletableFuture<T> onLoop(Networks.Entry e, java.util.concurrent.Callable<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        EventLoop loop = e.network().eventLoop();
        Runnable run = () -> {
            try {
                f.complete(task.call());
            } catch (Exception ex) {
                f.completeExceptionally(ex);
            }
        };
        if (loop.inEventLoop()) {
            run.run();
        } else {
            loop.execute(run);
        }
        return f;
    }

    private static CompletableFuture<ControlReply> done(ControlReply r) {
        return CompletableFuture.completedFuture(r);
    }
}
