package dev.jslirp.cli;

import dev.jslirp.capture.CaptureLimits;
import dev.jslirp.control.ControlClientCommand;
import dev.jslirp.control.ControlServer;
import dev.jslirp.core.config.ConfigException;
import dev.jslirp.metrics.MetricsServer;
import dev.jslirp.supervision.PidFile;
import dev.jslirp.supervision.PrivilegeDrop;
import dev.jslirp.supervision.ReadyFd;
import dev.jslirp.supervision.RunAs;
import dev.jslirp.supervision.Supervisor;
import dev.jslirp.supervision.SystemdNotify;
import dev.jslirp.supervision.ThreadCredentials;
import dev.jslirp.slirp4netns.Slirp4netnsCommand;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.nat.HostTarget;
import dev.jslirp.nat.guestfwd.GuestForward;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.tap.StaticAddresses;
import dev.jslirp.transport.tap.TapOptions;
import dev.jslirp.transport.tap.TapTransport;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code jslirp} command: QEMU's user-mode network as a process of its own.
 *
 * <p>Options come in two spellings that can be mixed: one option per
 * {@code -netdev user} key ({@code --net}, {@code --hostfwd}...), or QEMU's whole
 * {@code -netdev user,...} value in {@code --netdev-user}. Everything is checked before
 * anything starts; a mistake is one line on stderr naming the option and the form it
 * takes, and exit status 2. Once running, jslirp logs where it listens and the exact
 * {@code -netdev} argument for QEMU, and runs until SIGINT or SIGTERM, when it closes
 * its sockets (removing its unix socket file) and exits.
 *
 * <p>Where options are declared: what is fixed (transports, control, supervision, logging)
 * is annotated here; the network settings are one table, {@link NetworkSettings#DECLARED},
 * whose options {@link SettingOptions} adds to this command with picocli's programmatic
 * API. A new network setting is one entry in that table, not an option here.
 */
@Command(name = "jslirp",
        mixinStandardHelpOptions = true,
        versionProvider = JslirpCommand.Version.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        synopsisHeading = "Usage: ",
        customSynopsis = {"jslirp (--listen ADDR | --connect ADDR | --dgram ADDR[,remote=ADDR] | --tap NAME"
                + " | --netns PID|PATH|NAME)... [OPTIONS] [--network SPEC]...",
            "       jslirp control ADDR [COMMAND...]"},
        descriptionHeading = "%n",
        description = {
            "A pure-Java replacement for QEMU's user-mode networking (-netdev user, libslirp), running beside "
                + "QEMU: gateway, DHCP, DNS, NAT to host sockets and port forwards for one guest or a LAN of "
                + "several (each a port of the network's switch), attached to QEMU through stream or datagram "
                + "sockets, or to Linux network namespaces or tap devices as slirp4netns does; and several "
                + "separate networks in one process.",
            "Options of QEMU's -netdev user keep their names and forms; --netdev-user takes a whole "
                + "-netdev user value. Mistakes exit with status 2."
        },
        footerHeading = "%nExamples:%n",
        subcommands = {ControlClientCommand.class, Slirp4netnsCommand.class},
        modelTransformer = SettingOptions.class)
public final class JslirpCommand implements Callable<Integer> {
    /**
     * Examples with the QEMU arguments each needs, printed as they are: a QEMU argument
     * cannot be broken across lines, so this section is not wrapped to the terminal.
     */
    static final List<String> EXAMPLES = List.of(
            "  jslirp --listen unix:/tmp/jslirp.sock --hostfwd tcp::2222-:22",
            "    QEMU: -netdev stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/jslirp.sock"
                    + " -device virtio-net-pci,netdev=n0",
            "",
            "  jslirp --listen tcp:127.0.0.1:5555 --netdev-user 'user,id=n0,net=10.0.2.0/24,hostfwd=tcp::2222-:22'",
            "    QEMU >= 7.2: -netdev stream,id=n0,server=off,addr.type=inet,addr.host=127.0.0.1,addr.port=5555",
            "    older QEMU:  -netdev socket,id=n0,connect=127.0.0.1:5555",
            "",
            "  jslirp --connect unix:/tmp/qemu.sock --reconnect-delay 500ms",
            "    QEMU: -netdev stream,id=n0,server=on,addr.type=unix,addr.path=/tmp/qemu.sock",
            "",
            "  jslirp --dgram udp:127.0.0.1:5555,remote=127.0.0.1:5556",
            "    QEMU: -netdev dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=5556,"
                    + "remote.type=inet,remote.host=127.0.0.1,remote.port=5555",
            "    older QEMU: -netdev socket,id=n0,udp=127.0.0.1:5555,localaddr=127.0.0.1:5556",
            "",
            "  jslirp --dgram unix:/tmp/jslirp.dgram,remote=/tmp/qemu.dgram",
            "    QEMU: -netdev dgram,id=n0,local.type=unix,local.path=/tmp/qemu.dgram,"
                    + "remote.type=unix,remote.path=/tmp/jslirp.dgram",
            "",
            "  A network namespace (as root; jslirp creates tap0 inside, sets its MTU and brings it up):",
            "    ip netns add ns1",
            "    jslirp --netns ns1 --hostfwd tcp::8080-:80 &",
            "    ip netns exec ns1 udhcpc -i tap0        (or dhclient tap0; gets 10.0.2.15, router 10.0.2.2)",
            "    ip netns exec ns1 ping 10.0.2.2",
            "    ip netns exec ns1 ping -6 fec0::2      (IPv6: the kernel takes fec0::/64 from jslirp's router advertisements)",
            "  A process's namespace, e.g. one made by unshare, by its PID:",
            "    unshare --net sleep infinity & jslirp --netns $! --netns-static",
            "  Without root, as slirp4netns (the user needs access to /dev/net/tun):",
            "    unshare --user --map-root-user --net sleep infinity &",
            "    nsenter -t $! -U --preserve-credentials jslirp --netns $! --netns-static",
            "",
            "  jslirp --tap tap0      (a tap in jslirp's own namespace, e.g. for a bridge or to move: ip link set tap0 netns NS)",
            "",
            "  Several VMs on one LAN, as libvirt's default network (each QEMU on the same socket; names from DHCP):",
            "    jslirp --listen unix:/tmp/lan.sock --domainname lan.test --hostfwd tcp::2201-vm1:22 \\",
            "           --listen unix:/tmp/dmz.sock,isolated=on,restrict=on --control unix:/tmp/lan.ctl",
            "    (in the VMs: udhcpc -x hostname:vm1 ...; ping vm2; ssh vm2.lan.test)",
            "    jslirp control unix:/tmp/lan.ctl info leases",
            "  Separate networks in one process:",
            "    jslirp --listen unix:/tmp/vm0.sock --network 'id=vm1,listen=unix:/tmp/vm1.sock,net=10.0.3.0/24'",
            "",
            "  Port forwards at run time, as QEMU's monitor (hostfwd_add, hostfwd_remove, info usernet):",
            "    jslirp --listen unix:/tmp/jslirp.sock --control unix:/tmp/jslirp.ctl &",
            "    jslirp control unix:/tmp/jslirp.ctl hostfwd_add tcp::2222-:22",
            "    jslirp control unix:/tmp/jslirp.ctl info usernet",
            "    jslirp control unix:/tmp/jslirp.ctl hostfwd_remove tcp::2222",
            "",
            "jslirp logs the exact -netdev argument for its address (or, for a tap, what to run in the namespace) "
                    + "when it starts.");

    /** Where the guests' frames come from: one or more, each guest a port of the network. */
    static final class TransportOptions {
        @Option(names = "--listen", paramLabel = TransportSpec.STREAM_FORM, order = 1, description = {
            "Listen for QEMU started with -netdev stream,server=off (QEMU >= 7.2) or -netdev socket,connect= "
                + "(TCP only). Each QEMU that connects is a guest on the network (up to --max-ports); the "
                + "network (leases, forwards) outlives VM restarts. A stale socket file is replaced and "
                + "removed at exit. Port 0 picks a free port."})
        List<String> listen = new ArrayList<>();

        @Option(names = "--connect", paramLabel = TransportSpec.STREAM_FORM, order = 2, description = {
            "Connect to QEMU started with -netdev stream,server=on or -netdev socket,listen=, and reconnect "
                + "when the connection fails or ends."})
        List<String> connect = new ArrayList<>();

        @Option(names = "--dgram", paramLabel = "udp:HOST:PORT[,remote=HOST:PORT]|unix:PATH[,remote=PATH]", order = 3,
                description = {
                    "Exchange bare frames in datagrams with QEMU's -netdev dgram (or -netdev socket,udp=): bind "
                        + "HOST:PORT or PATH (QEMU's remote), send to remote= (QEMU's local address), or to "
                        + "the sender of the first datagram if remote= is left out. unix needs epoll."})
        List<String> dgram = new ArrayList<>();

        @Option(names = "--tap", paramLabel = "NAME", order = 4, description = {
            "Serve the tap device NAME in jslirp's own network namespace instead of a QEMU: created if missing "
                + "(and removed when jslirp exits), or attached if it exists (a persistent tap from "
                + "'ip tuntap add dev NAME mode tap', kept). jslirp sets its MTU and brings it up; whatever uses "
                + "the tap gets its address by DHCP. Needs epoll, and CAP_NET_ADMIN unless the tap is yours."})
        List<String> tap = new ArrayList<>();

        @Option(names = "--netns", paramLabel = "PID|PATH|NAME", order = 5, description = {
            "Give a network namespace user-mode networking, as slirp4netns does: the namespace of process PID, "
                + "at PATH (/proc/PID/ns/net, /run/netns/NAME) or named NAME by ip netns. jslirp creates a tap "
                + "inside (--netns-ifname, default tap0), sets its MTU and brings it up; a DHCP client in the "
                + "namespace (udhcpc -i tap0) gets the address, and the kernel its IPv6 address by SLAAC, unless "
                + "--netns-static. Needs epoll, and root "
                + "(CAP_SYS_ADMIN and CAP_NET_ADMIN over the namespace's user namespace)."})
        List<String> netns = new ArrayList<>();
    }

    /** How the transport behaves. */
    static final class TuningOptions {
        @Option(names = "--reconnect-delay", paramLabel = "DURATION", order = 10, description = {
            "With --connect: wait this long between attempts, e.g. 500ms, 2s (default: 1s)."})
        String reconnectDelay;

        @Option(names = "--io", paramLabel = "auto|epoll|nio", order = 11, description = {
            "I/O transport: native epoll (Linux), Java NIO, or auto: epoll when available (default: auto)."})
        String io;

        @Option(names = "--netns-ifname", paramLabel = "NAME", order = 12, description = {
            "With --netns: the tap's name inside the namespace (default: tap0)."})
        String netnsIfname;

        @Option(names = "--netns-static", order = 13, description = {
            "With --netns: give the tap the first DHCP address (10.0.2.15/24 by default) and a default route via "
                + "the gateway at once, instead of leaving it to a DHCP client; with IPv6 (ipv6=on, the default) "
                + "also the IPv6 prefix with the same digits (fec0::15/64) and a default route via fe80::2, instead "
                + "of SLAAC. The namespace's resolv.conf stays yours to set (nameserver 10.0.2.3)."})
        boolean netnsStatic;

        @Option(names = "--tap-offload", paramLabel = "on|off", order = 14, description = {
            "With --tap or --netns: segmentation offload on the tap (default: on, unless the same network also "
                + "serves QEMU through --listen, --connect or --dgram). The namespace's kernel hands "
                + "jslirp TCP super-frames of up to 64 KiB with partial checksums, and jslirp sends it such "
                + "super-frames for the kernel to segment, instead of every segment crossing the tap one by one. "
                + "A super-frame switched from the tap to a QEMU guest on the same network is dropped, hence "
                + "off there by default."})
        String tapOffload;
    }

    /** More networks in the same process. */
    static final class NetworkOptions {
        @Option(names = "--network", paramLabel = "SPEC", order = 50, description = {
            "Another network in this process, with its own LAN, addresses, forwards and limits, on an event loop "
                + "of its own: id=, one or more transports as listen=, connect=, dgram=, tap=, netns= (their "
                + "options' forms; ',,' is a comma in a value) and any network setting by its key, e.g. "
                + "'id=n1,listen=unix:/run/n1.sock,net=10.0.3.0/24,hostfwd=tcp::2223-:22'. Repeatable; also at "
                + "run time: network_add and network_remove on the control socket. The options above make the "
                + "first network (n0, or --netdev-user's id=)."})
        List<String> networks = new ArrayList<>();
    }

    /** Control socket and observability. */
    static final class ControlOptions {
        @Option(names = "--control", paramLabel = ControlServer.FORM, order = 60, description = {
            "Accept QEMU monitor commands for this network on a control socket: hostfwd_add, hostfwd_remove, "
                + "info usernet, and jslirp's info stats [json], pcap start FILE, pcap stop (one per line, each "
                + "reply ends with OK or ERROR: ...). Send them with "
                + "'jslirp control ADDR COMMAND'. A unix socket is made owner-only (0600) and removed at exit; "
                + "TCP only on loopback."})
        String control;

        @Option(names = "--pcap", paramLabel = "FILE", order = 61, description = {
            "Capture every frame of the guest's link, both ways, to FILE in pcap format (tshark, Wireshark). "
                + "Written off the event loop; frames are dropped from the capture, and counted, when the disk "
                + "falls behind. An existing FILE is replaced only if it is a capture. Also at run time: "
                + "'pcap start FILE' / 'pcap stop' on the control socket."})
        String pcap;

        @Option(names = "--pcap-max-size", paramLabel = "BYTES", order = 62, description = {
            "Rotate the capture when FILE reaches this size: FILE becomes FILE.1, and so on (at least 128k; "
                + "default: 64m)."})
        String pcapMaxSize;

        @Option(names = "--pcap-files", paramLabel = "N", order = 63, description = {
            "Capture files kept, FILE and FILE.1 to FILE.(N-1), 1..1000 (default: 2); disk use is at most "
                + "N times --pcap-max-size. With 1, FILE starts over when full."})
        String pcapFiles;

        @Option(names = "--metrics", paramLabel = MetricsServer.FORM, order = 64, description = {
            "Serve every counter, gauges (flows, leases, buffers) and latency histograms (host TCP connect, "
                + "upstream DNS) at http://HOST:PORT/metrics in Prometheus's text format, e.g. "
                + "tcp:127.0.0.1:9464 (port 0: a free one, logged). The control socket's 'info stats json' "
                + "gives the same as JSON."})
        String metrics;
    }

    /** Logging and running under a supervisor. */
    static final class SupervisionOptions {
        @Spec
        CommandSpec spec;

        String logLevel;

        @Option(names = "--log-level", paramLabel = "error|warn|info|debug|trace", order = 70, description = {
            "How much to log (default: info)."})
        void logLevel(String level) {
            String l = level.trim().toLowerCase(Locale.ROOT);
            if (!LOG_LEVELS.contains(l)) {
                // Checked as it is parsed: logging is set up from it before anything else runs.
                throw new ParameterException(spec.commandLine(), "invalid --log-level: '" + level + "' (expected " + String.join("|", LOG_LEVELS)
                        + ")");
            }
            this.logLevel = l;
        }

        @Option(names = "--log-file", paramLabel = "PATH", order = 71, description = {
            "Append the log to PATH (created if missing) instead of writing it to standard error. Mistakes in the "
                + "command line still go to standard error."})
        String logFile;

        @Option(names = "--pid-file", paramLabel = "PATH", order = 72, description = {
            "Write jslirp's process id to PATH once it serves; removed at exit."})
        String pidFile;

        @Option(names = "--ready-fd", paramLabel = "FD", order = 73, description = {
            "Write '1' to the inherited file descriptor FD and close it once jslirp serves, as slirp4netns's -r "
                + "(e.g. --ready-fd 3 3>&1). With NOTIFY_SOCKET set (systemd Type=notify), jslirp also sends "
                + "READY=1 there."})
        String readyFd;

        @Option(names = "--runas", paramLabel = RunAs.FORM, order = 74, description = {
            "With --netns or --tap, started as root: once the tap is set up and every socket bound, become USER "
                + "(a name or uid) and GROUP (a name or gid; default: USER's primary group) with no supplementary "
                + "groups and no capabilities, as passt and pasta do. Checked in every thread and logged."})
        String runas;
    }

    /** The levels {@code --log-level} takes. */
    static final List<String> LOG_LEVELS = List.of("error", "warn", "info", "debug", "trace");

    /**
     * Exactly one is required, checked in {@link #buildPlan()} rather than by picocli,
     * which would demand it of {@code jslirp control} too.
     */
    @ArgGroup(exclusive = false, validate = false, multiplicity = "0..1", order = 1,
            heading = "%nWhere the guests' frames come from (one or more, each repeatable; every guest is a port of "
                    + "the network's switch; each value may end with port options " + PortSpec.FORM + ": isolated "
                    + "from the other guests, restricted from the NAT, locked to its DHCP address):%n")
    TransportOptions transport;

    @ArgGroup(exclusive = false, validate = false, order = 2, heading = "%nTransport:%n")
    TuningOptions tuning;

    // Groups 3 to 5, the network settings, are made by SettingOptions from NetworkSettings.DECLARED.

    @ArgGroup(exclusive = false, validate = false, order = 6, heading = "%nSeveral networks:%n")
    NetworkOptions more;

    @ArgGroup(exclusive = false, validate = false, order = 7, heading = "%nControl and observability:%n")
    ControlOptions controlOptions;

    @ArgGroup(exclusive = false, validate = false, order = 8, heading = "%nSupervision and logging:%n")
    SupervisionOptions supervision;

    @Spec
    CommandSpec spec;

    /** The command line with jslirp's error handling: one line on stderr and status 2 for a usage error. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new JslirpCommand());
        // An argument starting with @ is itself, as for QEMU and slirp4netns, not picocli's
        // argument file ("@." escaped as an InitializationException; found by fuzzing).
        cl.setExpandAtFiles(false);
        cl.setParameterExceptionHandler(JslirpCommand::usageError);
        cl.getHelpSectionMap().put(CommandLine.Model.UsageMessageSpec.SECTION_KEY_FOOTER,
                help -> String.join(System.lineSeparator(), EXAMPLES) + System.lineSeparator());
        return cl;
    }

    /** Runs jslirp until SIGINT or SIGTERM; exits with 2 on a usage error, 1 if it cannot start. */
    public static void main(String... args) {
        System.exit(commandLine().execute(args));
    }

    private static int usageError(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        String msg = String.valueOf(ex.getMessage()).replace(System.lineSeparator(), " ").replace('\n', ' ').trim();
        if (msg.startsWith("Error: ")) {
            msg = msg.substring("Error: ".length());
        }
        String name = cl.getCommandSpec().qualifiedName();
        cl.getErr().println(name + ": " + msg + " (see " + name + " --help)");
        cl.getErr().flush();
        return cl.getCommandSpec().exitCodeOnInvalidInput();
    }

    /**
     * Checks every option and turns them into what to start.
     *
     * @throws ParameterException naming the option at fault
     */
    Jslirp.Plan plan() {
        try {
            return buildPlan();
        } catch (CliException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** {@code plan} with its taps' offload off if it also has QEMU transports (see --tap-offload). */
    private static Jslirp.NetworkPlan withOffloadOnlyAmongTaps(Jslirp.NetworkPlan plan) {
        if (plan.transports().stream().allMatch(ts -> ts instanceof TransportSpec.Tap)) {
            return plan;
        }
        List<TransportSpec> ts = plan.transports().stream().map(x -> x.withTapOffload(false)).toList();
        return new Jslirp.NetworkPlan(plan.id(), plan.configs(), ts);
    }

    /** smb= and guestfwd's cmd: start processes per connection, which only the epoll transport does. */
    private static void checkNeedsEpoll(NetworkSettings.Configs configs, IoTransport io) {
        if (io == IoTransport.EPOLL) {
            return;
        }
        if (configs.smb() != null) {
            throw new CliException("invalid smb: smbd runs per connection on the epoll I/O transport (Linux), not "
                    + "--io " + io.optionName());
        }
        for (GuestForward f : configs.nat().guestForwards()) {
            if (f.target() instanceof HostTarget.Command) {
                throw new CliException("invalid " + f.option() + ": '" + f + "': commands need the epoll I/O "
                        + "transport (Linux), not --io " + io.optionName());
            }
        }
    }

    private Jslirp.Plan buildPlan() {
        TransportOptions tr = transport != null ? transport : new TransportOptions();
        List<String> networkSpecs = more == null ? List.of() : more.networks;
        boolean topTransports = !(tr.listen.isEmpty() && tr.connect.isEmpty() && tr.dgram.isEmpty() && tr.tap.isEmpty()
                && tr.netns.isEmpty());
        if (!topTransports && networkSpecs.isEmpty()) {
            throw new CliException("Missing required argument (specify one of these): "
                    + "--listen, --connect, --dgram, --tap, --netns, or --network");
        }
        TuningOptions t = tuning != null ? tuning : new TuningOptions();
        ControlOptions c = controlOptions != null ? controlOptions : new ControlOptions();

        IoTransport io = ioTransport(t.io);

        NetworkSettings settings = new NetworkSettings();
        String netdevId = "n0";
        for (String s : SettingOptions.netdevUserValues(spec)) {
            NetdevUserString.Parsed parsed = NetdevUserString.parse(s);
            if (parsed.id() != null) {
                netdevId = parsed.id();
            }
            for (NetdevUserString.Pair p : parsed.pairs()) {
                settings.netdevUser(p.key(), p.value());
            }
        }
        SettingOptions.collect(spec, settings);
        if (!topTransports && !settings.isEmpty()) {
            throw new CliException("the network options given (" + settings.entries().get(0).source()
                    + "...) apply to the network of --listen, --connect, --dgram, --tap or --netns; give them in "
                    + "--network's string for that network");
        }

        List<Jslirp.NetworkPlan> networks = new ArrayList<>();
        List<TransportSpec> transports = new ArrayList<>();
        if (topTransports) {
            NetworkSettings.Configs configs = settings.build();
            Duration delay = t.reconnectDelay == null ? Duration.ofSeconds(1)
                    : Values.duration("--reconnect-delay", t.reconnectDelay);
            tr.listen.forEach(v -> transports.add(TransportSpec.listen(v)));
            tr.connect.forEach(v -> transports.add(TransportSpec.connect(v, delay)));
            tr.dgram.forEach(v -> transports.add(TransportSpec.dgram(v)));
            // A super-frame switched to a QEMU port would be dropped there (no port cuts it to the
            // MTU yet): offload is on by default only while taps are the network's only ports.
            boolean onlyTaps = tr.listen.isEmpty() && tr.connect.isEmpty() && tr.dgram.isEmpty();
            boolean offload = t.tapOffload == null ? TapOptions.DEFAULT_OFFLOAD && onlyTaps
                    : Values.flag("--tap-offload", t.tapOffload);
            tr.tap.forEach(v -> transports.add(TransportSpec.tap(v).withTapOffload(offload)));
            tr.netns.forEach(v -> transports.add(TransportSpec.netns(v, t.netnsIfname, t.netnsStatic)
                    .withTapOffload(offload)));
            networks.add(new Jslirp.NetworkPlan(netdevId, configs, transports));
        }
        if ((t.netnsIfname != null || t.netnsStatic) && tr.netns.isEmpty()) {
            throw new CliException((t.netnsIfname != null ? "--netns-ifname" : "--netns-static")
                    + " applies to --netns only");
        }
        if (t.tapOffload != null && tr.tap.isEmpty() && tr.netns.isEmpty()) {
            throw new CliException("--tap-offload applies to --tap and --netns only");
        }
        if (t.reconnectDelay != null && tr.connect.isEmpty()) {
            throw new CliException("--reconnect-delay applies to --connect only");
        }
        for (String n : networkSpecs) {
            Jslirp.NetworkPlan p = withOffloadOnlyAmongTaps(NetworkSpec.parse(n));
            for (Jslirp.NetworkPlan other : networks) {
                if (other.id().equals(p.id())) {
                    throw new CliException("--network " + p.id() + ": the id is taken (by "
                            + (other == networks.get(0) && topTransports ? "the network of --listen..., id=" + other.id()
                            + " in --netdev-user" : "another --network") + ")");
                }
            }
            networks.add(p);
        }
        if (t.netnsStatic && topTransports) {
            try {
                StaticAddresses.of(networks.get(0).configs().network());
            } catch (ConfigException e) {
                throw CliException.relabel(e, "--netns-static");
            }
        }
        for (Jslirp.NetworkPlan p : networks) {
            checkNeedsEpoll(p.configs(), io);
            for (TransportSpec ts : p.transports()) {
                ts.checkSupported(io);
            }
        }
        Endpoint control = null;
        if (c.control != null) {
            try {
                control = ControlServer.parseEndpoint("--control", c.control);
            } catch (ConfigException e) {
                throw CliException.relabel(e, "--control");
            }
        }
        Endpoint.Inet metrics = null;
        if (c.metrics != null) {
            Endpoint e;
            try {
                e = Endpoint.parse("--metrics", c.metrics, "tcp");
            } catch (ConfigException ce) {
                throw CliException.relabel(ce, "--metrics");
            }
            if (!(e instanceof Endpoint.Inet inet)) {
                throw new CliException("invalid --metrics: '" + c.metrics + "' (expected " + MetricsServer.FORM
                        + ", e.g. tcp:127.0.0.1:9464)");
            }
            metrics = inet;
        }
        return new Jslirp.Plan(io, networks, LinkBuffers.DEFAULT, control, captureOptions(c), metrics);
    }

    /** {@code --pcap} and its bounds: what to capture to at start (file null: nothing) and the bounds of any capture. */
    private static Jslirp.Capture captureOptions(ControlOptions c) {
        int maxSize = c.pcapMaxSize == null ? CaptureLimits.DEFAULT_FILE_BYTES : Values.bytes("--pcap-max-size",
                c.pcapMaxSize);
        int files = c.pcapFiles == null ? CaptureLimits.DEFAULT_FILES : Values.integer("--pcap-files", c.pcapFiles);
        CaptureLimits limits;
        try {
            limits = new CaptureLimits(maxSize, files, CaptureLimits.DEFAULT_QUEUED_BYTES);
        } catch (ConfigException e) {
            throw CliException.relabel(e, "--" + e.option());
        }
        Path file = null;
        if (c.pcap != null) {
            try {
                file = Path.of(c.pcap).toAbsolutePath();
            } catch (InvalidPathException e) {
                throw new CliException("invalid --pcap: '" + c.pcap + "' (" + e.getMessage() + ")");
            }
            if (Files.isDirectory(file)) {
                throw new CliException("invalid --pcap: '" + c.pcap + "' is a directory (expected a file)");
            }
        }
        return new Jslirp.Capture(file, limits);
    }

    private static IoTransport ioTransport(String name) {
        if (name == null || name.equalsIgnoreCase("auto")) {
            return IoTransport.best();
        }
        IoTransport io;
        try {
            io = IoTransport.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CliException("invalid --io: '" + name + "' (expected auto|epoll|nio)");
        }
        if (!io.isAvailable()) {
            throw new CliException("invalid --io: " + io.optionName() + " is not available here: "
                    + io.unavailabilityReason() + " (expected auto|epoll|nio)");
        }
        return io;
    }

    /** The {@code --log-level} given, lower case, or null. */
    String logLevel() {
        return supervision == null ? null : supervision.logLevel;
    }

    /**
     * What the supervision options ask for, checked: a pid file's directory exists, a ready
     * descriptor is open, {@code NOTIFY_SOCKET} (if set) is an address.
     *
     * @throws ParameterException naming the option at fault
     */
    Supervisor supervisor() {
        SupervisionOptions o = supervision != null ? supervision : new SupervisionOptions();
        PidFile pid = null;
        ReadyFd ready = null;
        SystemdNotify notify;
        try {
            if (o.pidFile != null) {
                pid = PidFile.at(Path.of(o.pidFile));
            }
        } catch (IllegalArgumentException e) { // InvalidPathException too
            throw new ParameterException(spec.commandLine(), "invalid --pid-file: " + e.getMessage());
        }
        try {
            if (o.readyFd != null) {
                ready = ReadyFd.of(Values.integer("--ready-fd", o.readyFd));
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "invalid --ready-fd: " + e.getMessage());
        } catch (CliException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        try {
            notify = SystemdNotify.fromEnvironment(System.getenv(SystemdNotify.ENV));
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "invalid environment: " + e.getMessage());
        }
        return new Supervisor(pid, ready, notify);
    }

    /**
     * {@code --runas}, checked against the transport and this process: null without it.
     *
     * @throws ParameterException naming {@code --runas}: not a tap, an unknown user or
     *                            group, or a process that cannot change its user
     */
    PrivilegeDrop.Decision runAs(Jslirp.Plan plan) {
        String value = supervision == null ? null : supervision.runas;
        if (value == null) {
            return null;
        }
        if (!(plan.transport() instanceof TransportSpec.Tap)) {
            throw new ParameterException(spec.commandLine(), "--runas applies to --netns and --tap only (a QEMU "
                    + "socket needs no root to begin with: start jslirp as the user)");
        }
        try {
            return PrivilegeDrop.decide(RunAs.parse(value), ThreadCredentials.current());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "invalid --runas: " + e.getMessage());
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "invalid --runas: cannot read this process's "
                    + "credentials: " + e.getMessage());
        }
    }

    /**
     * Opens {@code --log-file} for appending, or returns null without one.
     *
     * @throws ParameterException naming {@code --log-file} if it cannot be opened
     */
    private PrintStream openLogFile() {
        String path = supervision == null ? null : supervision.logFile;
        if (path == null) {
            return null;
        }
        try {
            return new PrintStream(new FileOutputStream(path, true), true, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ParameterException(spec.commandLine(), "invalid --log-file: cannot open '" + path
                    + "' for appending (" + e.getMessage() + ")");
        }
    }

    /** Starts jslirp and waits for SIGINT/SIGTERM. */
    @Override
    public Integer call() throws InterruptedException {
        // Before plan(): it loads Netty, whose first logger fixes slf4j-simple's settings.
        configureLogging();
        Jslirp.Plan plan = plan();
        Supervisor supervisor = supervisor();
        PrivilegeDrop.Decision runAs = runAs(plan);
        PrintWriter err = spec.commandLine().getErr();
        PrintStream logFile = openLogFile();
        if (logFile != null) {
            // slf4j-simple writes to whatever System.err is at each line.
            System.setErr(logFile);
        }
        Logger log = LoggerFactory.getLogger("jslirp");
        Jslirp jslirp;
        try {
            jslirp = Jslirp.start(plan);
        } catch (IOException e) {
            log.error("cannot start: {}", e.getMessage());
            err.println("jslirp: " + e.getMessage());
            err.flush();
            return 1;
        }
        List<String> lines = jslirp.startupLines();
        lines.forEach(log::info);
        if (runAs != null && !dropPrivileges(runAs, supervisor, jslirp, log, err)) {
            return 1;
        }
        AtomicBoolean stopping = new AtomicBoolean();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            supervisor.stopping();
            log.info("stopping");
            jslirp.close();
            log.info("stopped; counters: {}", jslirp.counters());
            supervisor.stopped();
            stopped.countDown();
        }, "jslirp-shutdown"));
        try {
            supervisor.serving(lines.get(0));
        } catch (IOException e) {
            log.error("{}", e.getMessage());
            err.println("jslirp: " + e.getMessage());
            err.flush();
            return 1;
        }
        exitWhenTheTapEnds(jslirp, log, stopping);
        stopped.await();
        return 0;
    }

    /**
     * {@code --runas}, once everything is bound and before jslirp says it serves (so a
     * supervisor that sees it ready sees it unprivileged); the pid file is written just
     * before, while root may still write its directory. On failure jslirp is closed.
     *
     * @return false if the drop failed
     */
    private static boolean dropPrivileges(PrivilegeDrop.Decision runAs, Supervisor supervisor, Jslirp jslirp,
                                          Logger log, PrintWriter err) {
        if (runAs.drop() == null) {
            log.warn("{}", runAs.warning());
            return true;
        }
        try {
            supervisor.writePidFile();
            log.info("{}", runAs.drop().apply());
            return true;
        } catch (IOException e) {
            log.error("{}", e.getMessage());
            err.println("jslirp: " + e.getMessage());
            err.flush();
            jslirp.close();
            return false;
        }
    }

    /**
     * With {@code --tap}/{@code --netns}: when the tap has ended on its own there is
     * nothing left to serve, so jslirp exits, as slirp4netns and pasta do: status 0
     * when the namespace went away, 1 when the tap was lost (deleted). The shutdown
     * hook closes the rest; {@code stopping} says the hook itself closed the tap.
     */
    private static void exitWhenTheTapEnds(Jslirp jslirp, Logger log, AtomicBoolean stopping) {
        if (jslirp.transports().size() == 1 && jslirp.transport() instanceof TapTransport tap) {
            tap.ended().addListener(f -> {
                if (stopping.get()) {
                    return;
                }
                log.info("{} has ended; exiting", tap.describe());
                // Not on the event loop: the shutdown hook waits for it.
                Thread exit = new Thread(() -> System.exit(f.isSuccess() ? 0 : 1), "jslirp-exit");
                exit.setDaemon(true);
                exit.start();
            });
        }
    }

    /** slf4j-simple reads its settings once, when the first logger is made: set them before that. */
    private void configureLogging() {
        String logLevel = logLevel();
        if (logLevel != null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", logLevel);
            if (logLevel.equals("debug")) {
                // Netty's own debug output is about its internals; keep it out unless tracing.
                System.setProperty("org.slf4j.simpleLogger.log.io.netty", "info");
            }
        }
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", "info");
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
        setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd HH:mm:ss.SSS");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        setIfAbsent("org.slf4j.simpleLogger.showShortLogName", "true");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    /** {@code --version}: jslirp's and Netty's versions, and the I/O transports available. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = JslirpCommand.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {
                "jslirp " + p.getProperty("version", "(unknown version)"),
                "Netty " + p.getProperty("netty", "?") + ", I/O: epoll "
                        + (IoTransport.EPOLL.isAvailable() ? "available" : "not available") + ", nio available",
                "Java " + System.getProperty("java.version")
            };
        }
    }
}
