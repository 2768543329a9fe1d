package dev.jslirp.bench.soak;

import dev.jslirp.transport.tap.NetworkNamespace;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The endurance soak's traffic and measurements (issue 13), against a jslirp serving a
 * network namespace ({@code jslirp --netns}); {@code benchmarks/soak/run-soak.sh} creates
 * the namespace, starts jslirp and this driver, and checks jslirp's log afterwards.
 *
 * <h2>Theory of operation</h2>
 * <p>One process plays both ends. The host's side is this process as it starts, in the
 * machine's namespace; the guest's side is threads that entered the namespace (see
 * {@link Workers}), so their sockets go through the namespace's kernel, its tap and jslirp.
 * <ol>
 *   <li>Host servers on 127.0.0.1 and ::1 (TCP: {@link TcpTraffic}; UDP echo) and the DNS
 *       upstream ({@link DnsTraffic.Upstream}) start; the upstream's port goes to
 *       {@code WORK/dns-port}, for the script to give jslirp ({@code --dns-upstream}).</li>
 *   <li>Once jslirp's pid file {@code WORK/jslirp.pid} appears (written when it serves),
 *       the guest's servers start in the namespace (TCP {@value #GUEST_TCP_PORT}, UDP
 *       {@value #GUEST_UDP_PORT}, both families) and four forwards to them are added over
 *       the control socket {@code WORK/control.sock}.</li>
 *   <li>For the run's length, at once: bulk TCP each way on four paths (the guest to the
 *       host's 127.0.0.1 via 10.0.2.2 and to its ::1 via fec0::2; the host to the guest
 *       through the IPv4 and the IPv6 forward), alternating upload and download at
 *       {@code --bulk-rate}; short connections on the same four paths; DNS queries to
 *       10.0.2.3 and fec0::3; UDP echoes on the four paths; a forward added, used and
 *       removed every {@code --churn-every} seconds.</li>
 *   <li>Every {@code --interval} seconds, a {@link Sample} of jslirp ({@link JslirpProbe})
 *       goes to {@code WORK/samples.csv}; a progress line every minute.</li>
 *   <li>At the end the traffic stops, jslirp's heap is collected ({@code jcmd PID GC.run}:
 *       Netty reports a leaked buffer when its collector finds it unreachable, and the
 *       next allocations then log it) and a little traffic follows; then the report
 *       ({@link SoakReport}) goes to standard output and {@code WORK/report.txt}.</li>
 * </ol>
 * Exit status: 0 if the run passed, 1 if it failed, 2 for a usage error.
 */
public final class Soak {
    static final int GUEST_TCP_PORT = 7000;
    static final int GUEST_UDP_PORT = 7001;
    private static final InetAddress LOOPBACK4 = address("127.0.0.1");
    private static final InetAddress LOOPBACK6 = address("::1");

    /** The command line. */
    record Options(Path work, NetworkNamespace netns, double minutes, double interval, double bulkMegabytesPerSecond,
                   long bulkBytes, double shortPerSecond, double dnsPerSecond, double udpPerSecond,
                   double churnEverySeconds, InetAddress gateway4, InetAddress gateway6, InetAddress dns4,
                   InetAddress dns6, InetAddress guest6, SoakReport.Limits limits) {
        static final String USAGE = String.join("\n",
                "usage: Soak --work DIR --netns PATH [options]",
                "  --minutes M          traffic time (default 30)",
                "  --interval S         seconds between samples (default 5)",
                "  --bulk-rate MB       MB/s of each bulk transfer, four at a time (default 4)",
                "  --bulk-size MB       MB per bulk transfer (default 8)",
                "  --short-rate N       short connections a second on each of four paths (default 5)",
                "  --dns-rate N         DNS queries a second to each of 10.0.2.3 and fec0::3 (default 5)",
                "  --udp-rate N         UDP echoes a second on each of four paths (default 20)",
                "  --churn-every S      seconds between run-time forwards (default 2)",
                "  --guest6 ADDR        the namespace's IPv6 address (default fec0::15, jslirp --netns-static)",
                "  --judge-after M      judge fd and flow growth in runs of at least M minutes (default 10)",
                "  --max-fd-growth N    fail if open fds rise by more than N over the second half (default 32)",
                "  --max-flow-growth N  fail if flows rise by more than N over the second half (default 64)",
                "  --max-udp-loss PCT   fail if more UDP echoes are lost (default 1.0)");

        static Options parse(String... args) {
            Map<String, String> o = new LinkedHashMap<>();
            for (int i = 0; i < args.length; i += 2) {
                if (!args[i].startsWith("--") || i + 1 >= args.length) {
                    throw new IllegalArgumentException("expected --option value, got '" + args[i] + "'");
                }
                o.put(args[i].substring(2), args[i + 1]);
            }
            List<String> known = List.of("work", "netns", "minutes", "interval", "bulk-rate", "bulk-size", "short-rate",
                    "dns-rate", "udp-rate", "churn-every", "guest6", "judge-after", "max-fd-growth", "max-flow-growth",
                    "max-udp-loss");
            for (String k : o.keySet()) {
                if (!known.contains(k)) {
                    throw new IllegalArgumentException("unknown option --" + k);
                }
            }
            if (!o.containsKey("work") || !o.containsKey("netns")) {
                throw new IllegalArgumentException("--work and --netns are required");
            }
            return new Options(Path.of(o.get("work")), NetworkNamespace.of(o.get("netns")),
                    positive(o, "minutes", 30), positive(o, "interval", 5), positive(o, "bulk-rate", 4),
                    (long) (positive(o, "bulk-size", 8) * 1_000_000), positive(o, "short-rate", 5),
                    positive(o, "dns-rate", 5), positive(o, "udp-rate", 20), positive(o, "churn-every", 2),
                    address("10.0.2.2"), address("fec0::2"), address("10.0.2.3"), address("fec0::3"),
                    address(o.getOrDefault("guest6", "fec0::15")),
                    new SoakReport.Limits(positive(o, "judge-after", 10), positive(o, "max-fd-growth", 32),
                            positive(o, "max-flow-growth", 64), positive(o, "max-udp-loss", 1.0)));
        }

        private static double positive(Map<String, String> o, String key, double dflt) {
            String v = o.get(key);
            if (v == null) {
                return dflt;
            }
            try {
                double d = Double.parseDouble(v);
                if (d > 0 && Double.isFinite(d)) {
                    return d;
                }
            } catch (NumberFormatException e) {
                // refused below
            }
            throw new IllegalArgumentException("--" + key + ": expected a positive number, got '" + v + "'");
        }
    }

    private final Options options;
    private final Tally tally = new Tally();
    private final Workers workers = new Workers(tally);
    private final ExecutorService connections = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "soak-server");
        t.setDaemon(true);
        return t;
    });
    private final List<AutoCloseable> closing = new ArrayList<>();

    private Soak(Options options) {
        this.options = options;
    }

    public static void main(String... args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("soak: " + e.getMessage() + "\n" + Options.USAGE);
            System.exit(2);
            return;
        }
        System.exit(new Soak(options).run() ? 0 : 1);
    }

    private boolean run() throws Exception {
        Path work = options.work();
        // Host side: servers on the loopback, the DNS upstream.
        InetSocketAddress host4 = tcpServer(new ServerSocket(0, 128, LOOPBACK4));
        InetSocketAddress host6 = tcpServer(new ServerSocket(0, 128, LOOPBACK6));
        InetSocketAddress udp4 = udpServer(new DatagramSocket(new InetSocketAddress(LOOPBACK4, 0)), "udp.host4");
        InetSocketAddress udp6 = udpServer(new DatagramSocket(new InetSocketAddress(LOOPBACK6, 0)), "udp.host6");
        DnsTraffic.Upstream upstream = new DnsTraffic.Upstream(tally);
        closing.add(upstream);
        writeAtomically(work.resolve("dns-port"), upstream.port() + "\n");

        long pid = awaitPid(work.resolve("jslirp.pid"), Duration.ofMinutes(3));
        System.out.println("soak: jslirp is pid " + pid + "; starting the namespace's servers and the forwards");
        NetworkNamespace ns = options.netns();
        tcpServer(ns.call(() -> new ServerSocket(GUEST_TCP_PORT, 128, address("::"))));
        udpServer(ns.call(() -> new DatagramSocket(new InetSocketAddress(address("::"), GUEST_UDP_PORT))), "udp.guest");

        try (JslirpProbe probe = new JslirpProbe(pid, work.resolve("control.sock"));
             ForwardChurn churn = new ForwardChurn(work.resolve("control.sock"), options.guest6(), GUEST_TCP_PORT,
                     GUEST_UDP_PORT, tally)) {
            InetSocketAddress fwd4 = new InetSocketAddress(LOOPBACK4, churn.add("tcp:127.0.0.1:0-:" + GUEST_TCP_PORT));
            InetSocketAddress fwd6 = new InetSocketAddress(LOOPBACK6,
                    churn.add("tcp:[::1]:0-[" + options.guest6().getHostAddress() + "]:" + GUEST_TCP_PORT));
            InetSocketAddress fwdUdp4 = new InetSocketAddress(LOOPBACK4,
                    churn.add("udp:127.0.0.1:0-:" + GUEST_UDP_PORT));
            InetSocketAddress fwdUdp6 = new InetSocketAddress(LOOPBACK6,
                    churn.add("udp:[::1]:0-[" + options.guest6().getHostAddress() + "]:" + GUEST_UDP_PORT));
            awaitReachable(fwd4);
            awaitReachable(fwd6);

            Map<String, InetSocketAddress> guestToHost = Map.of(
                    "gw4", new InetSocketAddress(options.gateway4(), host4.getPort()),
                    "gw6", new InetSocketAddress(options.gateway6(), host6.getPort()));
            Map<String, InetSocketAddress> hostToGuest = Map.of("fwd4", fwd4, "fwd6", fwd6);
            startTraffic(ns, guestToHost, hostToGuest,
                    Map.of("gw4", new InetSocketAddress(options.gateway4(), udp4.getPort()),
                            "gw6", new InetSocketAddress(options.gateway6(), udp6.getPort())),
                    Map.of("fwd4", fwdUdp4, "fwd6", fwdUdp6), churn);

            List<Sample> samples = sampleUntilTheEnd(probe);
            List<String> late = workers.stop(Duration.ofSeconds(90));
            if (!late.isEmpty()) {
                tally.error("stop", "workers still running 90 s after the end: " + late);
            }
            afterTheEnd(pid, ns, guestToHost);
            Sample last = probe.sample(samples.get(samples.size() - 1).seconds(), tally);
            SoakReport.Verdict v = SoakReport.judge(samples, tally, options.minutes(), options.limits());
            String text = v.text() + String.format(Locale.ROOT, "after the traffic and a full GC: RSS %.1f MiB, "
                    + "%d fds, %d TCP flows, %d UDP flows, pool direct %.1f MiB%n", last.rssKib() / 1024.0, last.fds(),
                    last.tcpFlows(), last.udpFlows(), last.directBytes() / (1024.0 * 1024));
            System.out.print(text);
            Files.writeString(work.resolve("report.txt"), text);
            return v.passed();
        } finally {
            for (AutoCloseable c : closing) {
                c.close();
            }
            connections.shutdownNow();
        }
    }

    /** Starts every worker. */
    private void startTraffic(NetworkNamespace ns, Map<String, InetSocketAddress> guestToHost,
                              Map<String, InetSocketAddress> hostToGuest, Map<String, InetSocketAddress> udpGuestToHost,
                              Map<String, InetSocketAddress> udpHostToGuest, ForwardChurn churn) {
        double bulkRate = options.bulkMegabytesPerSecond() * 1_000_000;
        guestToHost.forEach((path, to) -> {
            workers.startIn(ns, "bulk." + path, 0, bulk(path, to, bulkRate, "g2h", "h2g"));
            workers.startIn(ns, "short." + path, options.shortPerSecond(), shortConnection(path, to));
        });
        hostToGuest.forEach((path, to) -> {
            workers.start("bulk." + path, 0, bulk(path, to, bulkRate, "h2g", "g2h"));
            workers.start("short." + path, options.shortPerSecond(), shortConnection(path, to));
        });
        udpGuestToHost.forEach((path, to) -> workers.startIn(ns, "udp." + path, options.udpPerSecond(), udp(path, to)));
        udpHostToGuest.forEach((path, to) -> workers.start("udp." + path, options.udpPerSecond(), udp(path, to)));
        for (String family : List.of("v4", "v6")) {
            InetSocketAddress server = new InetSocketAddress(family.equals("v4") ? options.dns4() : options.dns6(), 53);
            boolean[] aaaa = {false};
            workers.startIn(ns, "dns." + family, options.dnsPerSecond(), () -> {
                aaaa[0] = !aaaa[0];
                if (!DnsTraffic.query(server, aaaa[0], options.gateway4().getAddress(),
                        options.gateway6().getAddress())) {
                    tally.error("dns." + family, "no answer from " + server + " after " + DnsTraffic.TRIES + " tries");
                } else {
                    tally.add("dns." + family + ".answers", 1);
                }
            });
        }
        workers.start("forward", 1 / options.churnEverySeconds(), churn::cycle);
    }

    /** Alternately an upload and a download of the bulk size; {@code up}/{@code down} name each one's direction. */
    private Workers.Operation bulk(String path, InetSocketAddress to, double rate, String up, String down) {
        long[] count = {0};
        return () -> {
            boolean upload = count[0]++ % 2 == 0;
            long n = upload ? TcpTraffic.upload(to, options.bulkBytes(), new Pacer(rate))
                    : TcpTraffic.download(to, options.bulkBytes(), new Pacer(rate));
            tally.add("bulk." + path + "." + (upload ? up : down) + ".bytes", n);
        };
    }

    private Workers.Operation shortConnection(String path, InetSocketAddress to) {
        return () -> {
            ThreadLocalRandom r = ThreadLocalRandom.current();
            TcpTraffic.echo(to, 1 + r.nextInt(1000), r.nextInt(PatternData.PERIOD));
            tally.add("short." + path + ".done", 1);
        };
    }

    private Workers.Operation udp(String path, InetSocketAddress to) {
        UdpTraffic.Client client = new UdpTraffic.Client(to);
        return () -> tally.add("udp." + path + (client.echo() ? ".echoed" : ".lost"), 1);
    }

    /** Samples every interval until the run's end; a progress line each minute. */
    private List<Sample> sampleUntilTheEnd(JslirpProbe probe) throws IOException, InterruptedException {
        List<Sample> samples = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + (long) (options.minutes() * 60e9);
        long intervalNanos = (long) (options.interval() * 1e9);
        long nextProgress = start;
        try (PrintWriter csv = new PrintWriter(Files.newBufferedWriter(options.work().resolve("samples.csv"),
                StandardCharsets.UTF_8))) {
            csv.println(Sample.CSV_HEADER);
            for (long next = start; next <= end; next += intervalNanos) {
                long wait = next - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                Sample s = probe.sample((System.nanoTime() - start) / 1e9, tally);
                samples.add(s);
                csv.println(s.csv());
                csv.flush();
                if (System.nanoTime() >= nextProgress) {
                    nextProgress += 60_000_000_000L;
                    System.out.printf(Locale.ROOT, "soak: %5.1f/%.0f min: RSS %.1f MiB, %d fds, %d TCP + %d UDP flows, "
                                    + "pool direct %.1f MiB; %.2f GiB bulk, %d short, %d DNS, %d UDP, %d forwards, "
                                    + "%d errors%n", s.seconds() / 60, options.minutes(), s.rssKib() / 1024.0, s.fds(),
                            s.tcpFlows(), s.udpFlows(), s.directBytes() / (1024.0 * 1024),
                            s.bulkBytes() / (1024.0 * 1024 * 1024), s.shortConnections(), s.dnsAnswers(),
                            s.udpEchoes(), s.forwardCycles(), s.errors());
                }
            }
        }
        return samples;
    }

    /**
     * After the traffic: a full collection in jslirp, so that a buffer leaked during the
     * run is found unreachable, then a few seconds of short connections and DNS, whose
     * allocations make Netty's leak detector report what the collector found.
     */
    private void afterTheEnd(long pid, NetworkNamespace ns, Map<String, InetSocketAddress> guestToHost)
            throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process gc = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run").redirectErrorStream(true)
                .start();
        String out = new String(gc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!gc.waitFor(60, TimeUnit.SECONDS) || gc.exitValue() != 0) {
            tally.error("gc", "jcmd " + pid + " GC.run failed: " + out);
        }
        Workers after = new Workers(tally);
        guestToHost.forEach((path, to) -> after.startIn(ns, "short." + path, options.shortPerSecond(),
                shortConnection(path, to)));
        Thread.sleep(5000);
        after.stop(Duration.ofSeconds(30));
    }

    /** Serves {@link TcpTraffic} on {@code server} (bound); returns its address. */
    private InetSocketAddress tcpServer(ServerSocket server) {
        closing.add(server);
        Thread accept = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    connections.execute(() -> {
                        try {
                            TcpTraffic.serve(s);
                        } catch (IOException e) {
                            tally.error("server", e);
                        }
                    });
                } catch (IOException e) {
                    if (!server.isClosed()) {
                        tally.error("server", e);
                    }
                }
            }
        }, "soak-accept-" + server.getLocalPort());
        accept.setDaemon(true);
        accept.start();
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    /** Echoes UDP on {@code socket} (bound); returns its address. */
    private InetSocketAddress udpServer(DatagramSocket socket, String name) {
        closing.add(socket);
        Thread t = new Thread(() -> UdpTraffic.serve(socket, tally, name), "soak-" + name);
        t.setDaemon(true);
        t.start();
        return (InetSocketAddress) socket.getLocalSocketAddress();
    }

    /** Retries a short connection to {@code to} for up to a minute: the guest's servers and neighbours settling. */
    private void awaitReachable(InetSocketAddress to) throws IOException, InterruptedException {
        long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (true) {
            try {
                TcpTraffic.echo(to, 4, 0);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > end) {
                    throw new IOException("the namespace's server is not reachable through " + to + ": " + e, e);
                }
                Thread.sleep(200);
            }
        }
    }

    private static long awaitPid(Path pidFile, Duration timeout) throws IOException, InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (Files.exists(pidFile)) {
                String s = Files.readString(pidFile).trim();
                if (!s.isEmpty()) {
                    return Long.parseLong(s);
                }
            }
            Thread.sleep(100);
        }
        throw new IOException("no jslirp pid file at " + pidFile + " after " + timeout.toSeconds() + " s");
    }

    private static void writeAtomically(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalArgumentException("not an address: " + literal, e);
        }
    }

}
