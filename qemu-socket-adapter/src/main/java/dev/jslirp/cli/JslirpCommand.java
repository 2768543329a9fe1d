package dev.jslirp.cli;

import dev.jslirp.control.ControlClientCommand;
import dev.jslirp.control.ControlServer;
import dev.jslirp.core.config.ConfigException;
import dev.jslirp.slirp4netns.Slirp4netnsCommand;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.tap.TapTransport;
import java.io.IOException;
import java.io.InputStream;
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
 */
@Command(name = "jslirp",
        mixinStandardHelpOptions = true,
        versionProvider = JslirpCommand.Version.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        synopsisHeading = "Usage: ",
        customSynopsis = {"jslirp (--listen ADDR | --connect ADDR | --dgram ADDR[,remote=ADDR] | --tap NAME"
                + " | --netns PID|PATH|NAME) [OPTIONS]",
            "       jslirp control ADDR [COMMAND...]"},
        descriptionHeading = "%n",
        description = {
            "A pure-Java replacement for QEMU's user-mode networking (-netdev user, libslirp), running beside "
                + "QEMU: gateway, DHCP, DNS, NAT to host sockets and port forwards for one guest, attached to "
                + "QEMU through a stream or datagram socket, or to a Linux network namespace or tap device "
                + "as slirp4netns does.",
            "Options of QEMU's -netdev user keep their names and forms; --netdev-user takes a whole "
                + "-netdev user value. Mistakes exit with status 2."
        },
        footerHeading = "%nExamples:%n",
        subcommands = {ControlClientCommand.class, Slirp4netnsCommand.class})
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
            "  A process's namespace, e.g. one made by unshare, by its PID:",
            "    unshare --net sleep infinity & jslirp --netns $! --netns-static",
            "  Without root, as slirp4netns (the user needs access to /dev/net/tun):",
            "    unshare --user --map-root-user --net sleep infinity &",
            "    nsenter -t $! -U --preserve-credentials jslirp --netns $! --netns-static",
            "",
            "  jslirp --tap tap0      (a tap in jslirp's own namespace, e.g. for a bridge or to move: ip link set tap0 netns NS)",
            "",
            "  Port forwards at run time, as QEMU's monitor (hostfwd_add, hostfwd_remove, info usernet):",
            "    jslirp --listen unix:/tmp/jslirp.sock --control unix:/tmp/jslirp.ctl &",
            "    jslirp control unix:/tmp/jslirp.ctl hostfwd_add tcp::2222-:22",
            "    jslirp control unix:/tmp/jslirp.ctl info usernet",
            "    jslirp control unix:/tmp/jslirp.ctl hostfwd_remove tcp::2222",
            "",
            "jslirp logs the exact -netdev argument for its address (or, for a tap, what to run in the namespace) "
                    + "when it starts.");

    /** Where QEMU's frames come from: exactly one. */
    static final class TransportOptions {
        @Option(names = "--listen", paramLabel = "unix:PATH|tcp:HOST:PORT", order = 1, description = {
            "Listen for QEMU started with -netdev stream,server=off (QEMU >= 7.2) or -netdev socket,connect= "
                + "(TCP only). One QEMU at a time; the network (leases, forwards) outlives VM restarts. "
                + "A stale socket file is replaced and removed at exit. Port 0 picks a free port."})
        String listen;

        @Option(names = "--connect", paramLabel = "unix:PATH|tcp:HOST:PORT", order = 2, description = {
            "Connect to QEMU started with -netdev stream,server=on or -netdev socket,listen=, and reconnect "
                + "when the connection fails or ends."})
        String connect;

        @Option(names = "--dgram", paramLabel = "udp:HOST:PORT[,remote=HOST:PORT]|unix:PATH[,remote=PATH]", order = 3,
                description = {
                    "Exchange bare frames in datagrams with QEMU's -netdev dgram (or -netdev socket,udp=): bind "
                        + "HOST:PORT or PATH (QEMU's remote), send to remote= (QEMU's local address), or to "
                        + "the sender of the first datagram if remote= is left out. unix needs epoll."})
        String dgram;

        @Option(names = "--tap", paramLabel = "NAME", order = 4, description = {
            "Serve the tap device NAME in jslirp's own network namespace instead of a QEMU: created if missing "
                + "(and removed when jslirp exits), or attached if it exists (a persistent tap from "
                + "'ip tuntap add dev NAME mode tap', kept). jslirp sets its MTU and brings it up; whatever uses "
                + "the tap gets its address by DHCP. Needs epoll, and CAP_NET_ADMIN unless the tap is yours."})
        String tap;

        @Option(names = "--netns", paramLabel = "PID|PATH|NAME", order = 5, description = {
            "Give a network namespace user-mode networking, as slirp4netns does: the namespace of process PID, "
                + "at PATH (/proc/PID/ns/net, /run/netns/NAME) or named NAME by ip netns. jslirp creates a tap "
                + "inside (--netns-ifname, default tap0), sets its MTU and brings it up; a DHCP client in the "
                + "namespace (udhcpc -i tap0) gets the address, unless --netns-static. Needs epoll, and root "
                + "(CAP_SYS_ADMIN and CAP_NET_ADMIN over the namespace's user namespace)."})
        String netns;
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
                + "the gateway at once, instead of leaving it to a DHCP client. The namespace's resolv.conf stays "
                + "yours to set (nameserver 10.0.2.3)."})
        boolean netnsStatic;
    }

    /** QEMU's -netdev user keys. */
    static final class QemuUserOptions {
        @Option(names = "--netdev-user", paramLabel = "KEY=VALUE,...", order = 20, description = {
            "A whole -netdev user value as QEMU takes it, e.g. 'user,id=n0,net=10.0.2.0/24,hostfwd=tcp::2222-:22'. "
                + "Keys: net host dns dhcpstart restrict hostfwd hostname domainname dnssearch tftp-server-name "
                + "bootfile; id= names the netdev in the printed QEMU line; ',,' is a comma in a value. "
                + "Unsupported QEMU keys (tftp, smb, guestfwd, ipv6-*) are refused. Combines with the options "
                + "below; a key given both ways is an error."})
        List<String> netdevUser = new ArrayList<>();

        @Option(names = "--net", paramLabel = "ADDR/LEN", order = 21, description = {
            "The guest network, a.b.c.d/len or a.b.c.d/m.m.m.m (default: 10.0.2.0/24)."})
        String net;

        @Option(names = "--host", paramLabel = "ADDR", order = 22, description = {
            "The gateway, which also stands for the host (default: .2 of the network, 10.0.2.2)."})
        String host;

        @Option(names = "--dns", paramLabel = "ADDR", order = 23, description = {
            "The DNS server address the guest is offered (default: .3, 10.0.2.3)."})
        String dns;

        @Option(names = "--dhcpstart", paramLabel = "ADDR", order = 24, description = {
            "The first address DHCP hands out (default: .15, 10.0.2.15)."})
        String dhcpstart;

        @Option(names = "--restrict", paramLabel = "on|off", order = 25, description = {
            "on: isolate the guest from the host and the outside (yes|no also accepted; default: off)."})
        String restrict;

        @Option(names = "--hostfwd", paramLabel = "[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT", order = 26,
                description = {"Forward a host port into the guest, e.g. tcp::2222-:22. Repeatable."})
        List<String> hostfwd = new ArrayList<>();

        @Option(names = "--hostname", paramLabel = "NAME", order = 27, description = {
            "Host name DHCP gives the guest."})
        String hostname;

        @Option(names = "--domainname", paramLabel = "NAME", order = 28, description = {
            "Domain name DHCP gives the guest."})
        String domainname;

        @Option(names = "--dnssearch", paramLabel = "DOMAIN", order = 29, description = {
            "A DNS search domain DHCP gives the guest. Repeatable."})
        List<String> dnssearch = new ArrayList<>();

        @Option(names = "--tftp-server-name", paramLabel = "NAME", order = 30, description = {
            "TFTP server name DHCP announces (option 66)."})
        String tftpServerName;

        @Option(names = "--bootfile", paramLabel = "FILE", order = 31, description = {
            "Boot file name DHCP announces (BOOTP file, option 67)."})
        String bootfile;

        @Option(names = "--mtu", paramLabel = "BYTES", order = 32, description = {
            "IP MTU of the guest link, 576..65520 (default: 1500)."})
        String mtu;
    }

    /** jslirp's own settings. */
    static final class JslirpOptions {
        @Option(names = "--dns-upstream", paramLabel = "ADDR[:PORT]", order = 40, description = {
            "Forward the guest's DNS queries to this resolver (IPv4, port 53 by default). Repeatable; "
                + "default: the host's /etc/resolv.conf."})
        List<String> dnsUpstream = new ArrayList<>();

        @Option(names = "--dns-record", paramLabel = "NAME=ADDR", order = 41, description = {
            "Answer NAME with IPv4 address ADDR without asking upstream. Repeatable."})
        List<String> dnsRecord = new ArrayList<>();

        @Option(names = "--no-host-loopback", order = 42, description = {
            "Do not let connections to the gateway address reach the host's loopback."})
        boolean noHostLoopback;

        @Option(names = "--dhcp-static", paramLabel = "MAC=ADDR", order = 43, description = {
            "Always give address ADDR to MAC aa:bb:cc:dd:ee:ff. Repeatable."})
        List<String> dhcpStatic = new ArrayList<>();

        @Option(names = "--dhcp-pool-size", paramLabel = "N", order = 44, description = {
            "Addresses in the DHCP pool from --dhcpstart, 1..1024 (default: 16)."})
        String dhcpPoolSize;

        @Option(names = "--control", paramLabel = ControlServer.FORM, order = 45, description = {
            "Accept QEMU monitor commands for this network on a control socket: hostfwd_add, hostfwd_remove, "
                + "info usernet, info stats (one per line, each reply ends with OK or ERROR: ...). Send them with "
                + "'jslirp control ADDR COMMAND'. A unix socket is made owner-only (0600) and removed at exit; "
                + "TCP only on loopback."})
        String control;
    }

    /** Bounds of the NAT. */
    static final class LimitOptions {
        @Option(names = "--max-tcp-flows", paramLabel = "N", order = 50, description = {
            "TCP connections at once, 1..1000000 (default: 4096)."})
        String maxTcpFlows;

        @Option(names = "--max-half-open", paramLabel = "N", order = 51, description = {
            "TCP connections still connecting on the host at once, 1..65536 (default: 256)."})
        String maxHalfOpen;

        @Option(names = "--max-udp-flows", paramLabel = "N", order = 52, description = {
            "UDP flows at once, 1..1000000 (default: 1024)."})
        String maxUdpFlows;

        @Option(names = "--tcp-buffer", paramLabel = "BYTES", order = 53, description = {
            "Buffer per TCP flow and direction, 16k..64m, e.g. 256k, 1m (default: 1m)."})
        String tcpBuffer;
    }

    /**
     * Exactly one is required, checked in {@link #buildPlan()} rather than by picocli,
     * which would demand it of {@code jslirp control} too.
     */
    @ArgGroup(exclusive = true, multiplicity = "0..1", order = 1,
            heading = "%nWhere the guest's frames come from (exactly one):%n")
    TransportOptions transport;

    @ArgGroup(exclusive = false, validate = false, order = 2, heading = "%nTransport:%n")
    TuningOptions tuning;

    @ArgGroup(exclusive = false, validate = false, order = 3, heading = "%nQEMU -netdev user options:%n")
    QemuUserOptions user;

    @ArgGroup(exclusive = false, validate = false, order = 4, heading = "%njslirp options:%n")
    JslirpOptions own;

    @ArgGroup(exclusive = false, validate = false, order = 5, heading = "%nNAT limits:%n")
    LimitOptions limits;

    /** Logging. */
    static final class LogOptions {
        @Option(names = "--log-level", paramLabel = "error|warn|info|debug|trace", order = 60, description = {
            "How much to log (default: info)."})
        String logLevel;
    }

    @ArgGroup(exclusive = false, validate = false, order = 6, heading = "%nLogging:%n")
    LogOptions logging;

    @Spec
    CommandSpec spec;

    /** The command line with jslirp's error handling: one line on stderr and status 2 for a usage error. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new JslirpCommand());
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

    private Jslirp.Plan buildPlan() {
        if (transport == null) {
            String choices = this.spec.argGroups().stream().filter(g -> g.exclusive())
                    .map(g -> g.synopsis()).findFirst().orElse("--listen ADDR");
            throw new CliException("Missing required argument (specify one of these): " + choices);
        }
        TuningOptions t = tuning != null ? tuning : new TuningOptions();
        QemuUserOptions u = user != null ? user : new QemuUserOptions();
        JslirpOptions o = own != null ? own : new JslirpOptions();
        LimitOptions l = limits != null ? limits : new LimitOptions();

        IoTransport io = ioTransport(t.io);
        checkLogLevel();

        NetworkSettings settings = new NetworkSettings();
        String netdevId = "n0";
        for (String s : u.netdevUser) {
            NetdevUserString.Parsed parsed = NetdevUserString.parse(s);
            if (parsed.id() != null) {
                netdevId = parsed.id();
            }
            for (NetdevUserString.Pair p : parsed.pairs()) {
                settings.netdevUser(p.key(), p.value());
            }
        }
        option(settings, "net", u.net);
        option(settings, "host", u.host);
        option(settings, "dns", u.dns);
        option(settings, "dhcpstart", u.dhcpstart);
        option(settings, "restrict", u.restrict);
        u.hostfwd.forEach(v -> settings.option("hostfwd", v));
        option(settings, "hostname", u.hostname);
        option(settings, "domainname", u.domainname);
        u.dnssearch.forEach(v -> settings.option("dnssearch", v));
        option(settings, "tftp-server-name", u.tftpServerName);
        option(settings, "bootfile", u.bootfile);
        option(settings, "mtu", u.mtu);
        o.dnsUpstream.forEach(v -> settings.option("dns-upstream", v));
        o.dnsRecord.forEach(v -> settings.option("dns-record", v));
        if (o.noHostLoopback) {
            settings.option("host-loopback", "off");
        }
        o.dhcpStatic.forEach(v -> settings.option("dhcp-static", v));
        option(settings, "dhcp-pool-size", o.dhcpPoolSize);
        option(settings, "max-tcp-flows", l.maxTcpFlows);
        option(settings, "max-half-open", l.maxHalfOpen);
        option(settings, "max-udp-flows", l.maxUdpFlows);
        option(settings, "tcp-buffer", l.tcpBuffer);
        NetworkSettings.Configs configs = settings.build();

        TransportSpec spec;
        if (transport.listen != null) {
            spec = TransportSpec.listen(transport.listen);
        } else if (transport.connect != null) {
            Duration delay = t.reconnectDelay == null ? Duration.ofSeconds(1)
                    : Values.duration("--reconnect-delay", t.reconnectDelay);
            spec = TransportSpec.connect(transport.connect, delay);
        } else if (transport.tap != null) {
            spec = TransportSpec.tap(transport.tap);
        } else if (transport.netns != null) {
            spec = TransportSpec.netns(transport.netns, t.netnsIfname, t.netnsStatic);
        } else {
            spec = TransportSpec.dgram(transport.dgram);
        }
        if ((t.netnsIfname != null || t.netnsStatic) && transport.netns == null) {
            throw new CliException((t.netnsIfname != null ? "--netns-ifname" : "--netns-static")
                    + " applies to --netns only");
        }
        if (t.reconnectDelay != null && !(spec instanceof TransportSpec.Connect)) {
            throw new CliException("--reconnect-delay applies to --connect only");
        }
        spec.checkSupported(io);
        Endpoint control = null;
        if (o.control != null) {
            try {
                control = ControlServer.parseEndpoint("--control", o.control);
            } catch (ConfigException e) {
                throw CliException.relabel(e, "--control");
            }
        }
        return new Jslirp.Plan(io, configs, spec, netdevId, LinkBuffers.DEFAULT, control);
    }

    private static void option(NetworkSettings settings, String key, String value) {
        if (value != null) {
            settings.option(key, value);
        }
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

    private String logLevel() {
        return logging == null ? null : logging.logLevel;
    }

    private void checkLogLevel() {
        String logLevel = logLevel();
        if (logLevel != null && !List.of("error", "warn", "info", "debug", "trace").contains(logLevel)) {
            throw new CliException("invalid --log-level: '" + logLevel + "' (expected error|warn|info|debug|trace)");
        }
    }

    /** Starts jslirp and waits for SIGINT/SIGTERM. */
    @Override
    public Integer call() throws InterruptedException {
        // Before plan(): it loads Netty, whose first logger fixes slf4j-simple's settings.
        try {
            checkLogLevel();
        } catch (CliException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        configureLogging();
        Jslirp.Plan plan = plan();
        Logger log = LoggerFactory.getLogger("jslirp");
        Jslirp jslirp;
        try {
            jslirp = Jslirp.start(plan);
        } catch (IOException e) {
            spec.commandLine().getErr().println("jslirp: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return 1;
        }
        jslirp.startupLines().forEach(log::info);
        AtomicBoolean stopping = new AtomicBoolean();
        exitWhenTheTapEnds(jslirp, log, stopping);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            log.info("stopping");
            jslirp.close();
            log.info("stopped; counters: {}", jslirp.network().stats().snapshot());
            stopped.countDown();
        }, "jslirp-shutdown"));
        stopped.await();
        return 0;
    }

    /**
     * With {@code --tap}/{@code --netns}: when the tap has ended on its own there is
     * nothing left to serve, so jslirp exits, as slirp4netns and pasta do: status 0
     * when the namespace went away, 1 when the tap was lost (deleted). The shutdown
     * hook closes the rest; {@code stopping} says the hook itself closed the tap.
     */
    private static void exitWhenTheTapEnds(Jslirp jslirp, Logger log, AtomicBoolean stopping) {
        if (jslirp.transport() instanceof TapTransport tap) {
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
