package dev.jslirp.slirp4netns;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jslirp slirp4netns [OPTION]... PID|PATH TAPNAME}: a drop-in for slirp4netns
 * 1.2, so that rootlesskit ({@code --slirp4netns-binary}) and podman
 * ({@code network_cmd_path}) can run jslirp where they run slirp4netns. The repository's
 * {@code jslirp-slirp4netns} executable starts it.
 *
 * <p>The command line is slirp4netns's (getopt_long: {@code --mtu=1500} or
 * {@code --mtu 1500}, {@code -m1500}, clustered flags such as {@code -c6}; an option
 * given twice takes the last value). {@code --help} prints slirp4netns's help listing
 * what jslirp supports: rootlesskit and podman detect features by searching that text.
 * A mistake is one line on stderr naming the option and what is wrong in slirp4netns's
 * words, and exit status 2 (slirp4netns exits 1 and prints its usage). Failing to start
 * (the namespace or tap cannot be opened, the API socket bound) exits 1, as slirp4netns.
 *
 * <p>Once running: with {@code --enable-seccomp} the {@link SyscallFilter} installed on
 * every thread; the start-up block on stdout, as slirp4netns prints it; {@code "1"}
 * written to the {@code -r} descriptor, which is then closed, once the tap is attached
 * and the API socket listens; exit 0 when the {@code -e} descriptor is closed by the
 * other side, and when the namespace goes away; SIGTERM and SIGINT close everything.
 */
@Command(name = "slirp4netns",
        description = "slirp4netns-compatible user-mode networking for a network namespace (see --help).",
        usageHelpAutoWidth = true)
public final class Slirp4netnsCommand implements Callable<Integer> {
    // Value options: lists, since getopt lets a later value replace an earlier one.
    @Option(names = {"-e", "--exit-fd"}, paramLabel = "FD")
    List<String> exitFd = new ArrayList<>();
    @Option(names = {"-r", "--ready-fd"}, paramLabel = "FD")
    List<String> readyFd = new ArrayList<>();
    @Option(names = {"-m", "--mtu"}, paramLabel = "MTU")
    List<String> mtu = new ArrayList<>();
    @Option(names = "--cidr", paramLabel = "CIDR")
    List<String> cidr = new ArrayList<>();
    @Option(names = "--netns-type", paramLabel = "TYPE")
    List<String> netnsType = new ArrayList<>();
    @Option(names = "--userns-path", paramLabel = "PATH")
    List<String> usernsPath = new ArrayList<>();
    @Option(names = {"-a", "--api-socket"}, paramLabel = "PATH")
    List<String> apiSocket = new ArrayList<>();
    @Option(names = "--outbound-addr", paramLabel = "IPv4")
    List<String> outboundAddr = new ArrayList<>();
    @Option(names = "--outbound-addr6", paramLabel = "IPv6")
    List<String> outboundAddr6 = new ArrayList<>();
    @Option(names = "--macaddress", paramLabel = "MAC")
    List<String> macaddress = new ArrayList<>();
    @Option(names = "--target-type", paramLabel = "TYPE")
    List<String> targetType = new ArrayList<>();

    // Flags: arrays, since getopt takes a flag given twice.
    @Option(names = {"-c", "--configure"})
    boolean[] configure = {};
    @Option(names = "--disable-host-loopback")
    boolean[] disableHostLoopback = {};
    @Option(names = "--no-host-loopback", hidden = true)
    boolean[] noHostLoopback = {};
    @Option(names = {"-6", "--enable-ipv6"})
    boolean[] enableIpv6 = {};
    @Option(names = "--enable-sandbox")
    boolean[] enableSandbox = {};
    @Option(names = "--create-sandbox", hidden = true)
    boolean[] createSandbox = {};
    @Option(names = "--enable-seccomp")
    boolean[] enableSeccomp = {};
    @Option(names = "--disable-dns")
    boolean[] disableDns = {};
    @Option(names = {"-h", "--help"})
    boolean[] help = {};
    @Option(names = {"-v", "--version"})
    boolean[] version = {};

    @Parameters(paramLabel = "PID|PATH TAPNAME", arity = "0..*")
    List<String> arguments = new ArrayList<>();

    @Spec
    CommandSpec spec;

    /** The usage text in slirp4netns's form, listing what jslirp supports. */
    static final List<String> HELP = List.of(
            "Usage: slirp4netns [OPTION]... PID|PATH TAPNAME",
            "User-mode networking for unprivileged network namespaces (jslirp).",
            "",
            "-c, --configure          bring up the interface",
            "-e, --exit-fd=FD         specify the FD for terminating slirp4netns",
            "-r, --ready-fd=FD        specify the FD to write to when the network is configured",
            "-m, --mtu=MTU            specify MTU (default=1500, max=65520)",
            "-6, --enable-ipv6        enable IPv6 (fd00::/64, router fd00::2, DNS fd00::3)",
            "-a, --api-socket=PATH    specify API socket path",
            "--cidr=CIDR              specify network address CIDR (default=10.0.2.0/24)",
            "--disable-host-loopback  prohibit connecting to 127.0.0.1:* (and [::1]:*) on the host namespace",
            "--netns-type=TYPE \t specify network namespace type ([path|pid], default=pid)",
            "--userns-path=PATH\t specify user namespace path",
            "--enable-seccomp         enable seccomp to limit syscalls (a deny-list of what jslirp never needs)",
            "--outbound-addr=IPv4     sets outbound ipv4 address to bound to",
            "--outbound-addr6=IPv6    sets outbound ipv6 address to bound to",
            "--disable-dns            disables 10.0.2.3 (or configured internal ip) to host dns redirect",
            "--macaddress=MAC         specify the MAC address of the TAP (only valid with -c)",
            "--target-type=TYPE       specify the target type ([netns], default=netns)",
            "-h, --help               show this help and exit",
            "-v, --version            show version and exit",
            "",
            // Callers search this text for option names to detect features: the ones jslirp
            // does not apply must not appear in it, not even here.
            "jslirp cannot sandbox a JVM as slirp4netns sandboxes itself: that option is accepted",
            "without effect.",
            "See README.md, \"Rootless containers\".");

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        if (help.length > 0) {
            HELP.forEach(out::println);
            out.flush();
            return 0;
        }
        if (version.length > 0) {
            versionLines().forEach(out::println);
            out.flush();
            return 0;
        }
        Slirp4netnsOptions options;
        try {
            options = Slirp4netnsOptions.check(raw());
        } catch (UsageException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        options.warnings().forEach(out::println);
        out.flush();
        return run(options, out);
    }

    /** The options as typed, last values. */
    Slirp4netnsOptions.Raw raw() {
        return new Slirp4netnsOptions.Raw(last(exitFd), last(readyFd), last(mtu), last(cidr), last(netnsType),
                last(usernsPath), last(apiSocket), last(outboundAddr), last(outboundAddr6), last(macaddress),
                last(targetType), configure.length > 0, disableHostLoopback.length > 0, noHostLoopback.length > 0,
                enableIpv6.length > 0, enableSandbox.length > 0, createSandbox.length > 0, enableSeccomp.length > 0,
                disableDns.length > 0, List.copyOf(arguments));
    }

    private static String last(List<String> values) {
        return values.isEmpty() ? null : values.get(values.size() - 1);
    }

    /** Starts, signals readiness, and waits for the end: exit fd, namespace gone, or a signal. */
    private int run(Slirp4netnsOptions options, PrintWriter out) throws InterruptedException {
        Logger log = LoggerFactory.getLogger("jslirp.slirp4netns");
        Slirp4netns running;
        try {
            running = Slirp4netns.start(options);
        } catch (IOException | RuntimeException e) {
            spec.commandLine().getErr().println("slirp4netns (jslirp): " + e.getMessage());
            spec.commandLine().getErr().flush();
            return 1;
        }
        if (options.seccomp()) {
            try {
                log.info("seccomp: {} system calls now fail with EPERM in every thread",
                        SyscallFilter.install().size());
            } catch (IOException e) {
                spec.commandLine().getErr().println("slirp4netns (jslirp): " + e.getMessage());
                spec.commandLine().getErr().flush();
                running.close();
                return 1;
            }
        }
        running.startupLines().forEach(out::println);
        out.flush();
        CountDownLatch stopped = new CountDownLatch(1);
        AtomicBoolean stopping = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            running.close();
            log.info("stopped; counters: {}", running.network().stats().snapshot());
            stopped.countDown();
        }, "slirp4netns-shutdown"));
        running.transport().ended().addListener(f -> {
            if (!stopping.get()) {
                log.info("{} has ended; exiting", running.transport().describe());
                exitLater(f.isSuccess() ? 0 : 1);
            }
        });
        if (options.exitFd() != null) {
            Thread watcher = new Thread(() -> {
                short events = options.exitFd().awaitHangUp();
                log.info("exit-fd event (poll events 0x{}); exiting", Integer.toHexString(events & 0xffff));
                exitLater(0);
            }, "slirp4netns-exit-fd");
            watcher.setDaemon(true);
            watcher.start();
        }
        if (options.readyFd() != null) {
            options.readyFd().signalReady();
        }
        stopped.await();
        return 0;
    }

    /** Exits from a thread of its own: the shutdown hook waits for the event loop. */
    private static void exitLater(int status) {
        Thread exit = new Thread(() -> System.exit(status), "slirp4netns-exit");
        exit.setDaemon(true);
        exit.start();
    }

    /** {@code --version}: slirp4netns's machine-readable form, then what jslirp is. */
    static List<String> versionLines() {
        Properties p = new Properties();
        try (InputStream in = Slirp4netnsCommand.class.getResourceAsStream("/dev/jslirp/cli/version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // The version stays unknown.
        }
        return List.of(
                "slirp4netns version 1.2.0+jslirp",
                "commit: none",
                "libslirp: none (jslirp " + p.getProperty("version", "(unknown version)") + ", a Java network stack)");
    }
}
