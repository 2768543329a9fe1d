package dev.jslirp.guest;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Pattern;

/**
 * A real Linux guest running under QEMU, attached to the network backend a test names, driven
 * through its serial console.
 *
 * <h2>Theory of operation</h2>
 *
 * <p>{@link Builder#start()} makes sure the {@link GuestImage} exists, starts
 * {@code qemu-system-x86_64} with the guest kernel and initramfs, one NIC on the test's
 * {@code -netdev}, and the serial console on QEMU's stdin/stdout ({@code -serial stdio}), then
 * waits for the guest's ready marker. Boot takes about 4 s under software emulation (TCG) on an
 * idle machine; KVM is used where it really works (see {@link Accelerator}). A guest may also
 * boot from the network through the card's iPXE ROM ({@link Builder#networkBoot}): about 12 s
 * under TCG, most of it unpacking the compressed kernel.
 *
 * <p>Commands: {@link #run} writes the command base64-encoded to the console; the guest's
 * command loop (not an interactive shell: no prompt, no echo, no terminal escapes) runs it with
 * {@code sh}, stdin from {@code /dev/null}, and frames stdout+stderr between markers holding a
 * per-boot nonce, the command id and the exit code ({@link ConsoleProtocol}). Kernel messages
 * are silenced on the console after boot ({@code dmesg -n 1}; {@code dmesg} keeps them), so the
 * output between the markers is exactly what the command printed. One command runs at a time.
 *
 * <p>Timeouts: a command that outlives its timeout gets Ctrl-C (SIGINT through the guest tty);
 * if it then ends within a few seconds, {@link GuestTimeoutException} reports the guest as still
 * usable; if not, the guest is marked unusable and later commands fail at once.
 *
 * <p>Debugging: the whole console, QEMU's stderr and host notes (QEMU command line, each command
 * with its id, exit codes) go to a transcript under {@code target/guest-logs/}; every failure
 * message names it.
 *
 * <p>Lifecycle: {@link #close()} stops QEMU through its own {@link Process} handle (SIGTERM,
 * then SIGKILL), never by name. A JVM shutdown hook kills guests a test forgot to close. The
 * guest powering off ({@code poweroff -f}) or panicking ends QEMU too ({@code -no-reboot},
 * {@code panic=-1}); {@link #isAlive()} and {@link #waitForExit} observe that.
 */
public final class QemuGuest implements AutoCloseable {
    /** QEMU's own default MAC for the first NIC. */
    public static final String DEFAULT_MAC = "52:54:00:12:34:56";
    /** Boot timeout unless the builder says otherwise; TCG on a loaded 2-core machine needs slack. */
    public static final Duration DEFAULT_BOOT_TIMEOUT = Duration.ofSeconds(60);
    /** Timeout of {@link #run(String)} and {@link #runOk(String)} unless the builder says otherwise. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(30);

    /** How long an interrupted command may take to end before the guest counts as hung. */
    private static final Duration INTERRUPT_GRACE = Duration.ofSeconds(5);
    private static final Duration STOP_GRACE = Duration.ofSeconds(5);
    private static final int TAIL_CHARS = 2000;
    private static final Pattern MAC = Pattern.compile("(?i)[0-9a-f]{2}(:[0-9a-f]{2}){5}");
    private static final Pattern MEMORY = Pattern.compile("[1-9][0-9]*[MG]?");
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");
    private static final SecureRandom RANDOM = new SecureRandom();

    /** QEMU processes not closed yet, killed by the shutdown hook if the JVM exits first. */
    private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(
                () -> LIVE.forEach(Process::destroyForcibly), "qemu-guest-reaper"));
    }

    private final String name;
    private final String accel;
    private final List<String> commandLine;
    private final Duration commandTimeout;
    private final ConsoleProtocol protocol;
    private final SerialConsole console;
    private final Process process;
    private final OutputStream consoleIn;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final Object commandLock = new Object();
    /** Next command id; guarded by commandLock. */
    private long nextId = 1;
    /** Set once the guest can no longer run commands; guarded by commandLock. */
    private String unusable;
    private Duration bootDuration = Duration.ZERO;

    private QemuGuest(Builder b, String accel, List<String> commandLine, ConsoleProtocol protocol,
            SerialConsole console, Process process) {
        this.name = b.name;
        this.accel = accel;
        this.commandLine = List.copyOf(commandLine);
        this.commandTimeout = b.commandTimeout;
        this.protocol = protocol;
        this.console = console;
        this.process = process;
        this.consoleIn = process.getOutputStream();
    }

    /** @return a builder; {@link Builder#netdev(String)} is required */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs a shell command in the guest with the default command timeout.
     *
     * @param shellCommand shell source, run by the guest's busybox {@code sh}; may span lines
     * @return exit code and output
     * @throws GuestTimeoutException if it runs longer than the default command timeout
     * @throws GuestException if the guest is unusable or QEMU exits meanwhile
     * @see #run(String, Duration)
     */
    public GuestResult run(String shellCommand) {
        return run(shellCommand, commandTimeout);
    }

    /**
     * Runs a shell command in the guest and waits for it to end. The command's stdin is
     * {@code /dev/null}; its stdout and stderr are returned together, in the order written.
     * Background jobs ({@code &}) keep running after it returns, but their output then lands
     * between commands and is discarded.
     *
     * @param shellCommand shell source, run by the guest's busybox {@code sh}; may span lines
     * @param timeout how long the command may run
     * @return exit code and output
     * @throws GuestTimeoutException if it runs longer than {@code timeout}; it is interrupted
     * @throws GuestException if the guest is unusable or QEMU exits meanwhile
     */
    public GuestResult run(String shellCommand, Duration timeout) {
        Objects.requireNonNull(shellCommand, "shellCommand");
        Objects.requireNonNull(timeout, "timeout");
        synchronized (commandLock) {
            if (unusable == null && !process.isAlive()) {
                unusable = "QEMU has exited" + exitSuffix();
            }
            if (unusable != null) {
                throw new GuestException("guest " + name + " cannot run commands: " + unusable
                        + "; command: " + shellCommand + details());
            }
            long id = nextId++;
            console.note("run #" + id + " (timeout " + timeout.toMillis() + " ms): " + shellCommand);
            try {
                consoleIn.write(protocol.encode(id, shellCommand));
                consoleIn.flush();
            } catch (IOException e) {
                unusable = "console input failed: " + e.getMessage();
                throw new GuestException("guest " + name + ": could not send command #" + id + ": "
                        + e.getMessage() + details(), e);
            }
            ConsoleProtocol.Completion done = console.await(t -> protocol.findCompletion(t, id), timeout);
            if (done != null) {
                return complete(id, done);
            }
            if (console.ended()) {
                unusable = "QEMU exited while command #" + id + " ran" + exitSuffix();
                throw new GuestException("guest " + name + ": " + unusable + "; command: " + shellCommand
                        + "\n  output so far: " + console.await(t -> protocol.partialOutput(t, id), Duration.ZERO)
                        + details());
            }
            return interruptAfterTimeout(id, shellCommand, timeout);
        }
    }

    /**
     * Runs a command that must succeed, with the default command timeout.
     *
     * @param shellCommand shell source
     * @return the command's output
     * @throws GuestException if it exits non-zero (the message holds its output), times out, or
     *     the guest is unusable
     */
    public String runOk(String shellCommand) {
        return runOk(shellCommand, commandTimeout);
    }

    /**
     * Runs a command that must succeed.
     *
     * @param shellCommand shell source
     * @param timeout how long the command may run
     * @return the command's output
     * @throws GuestException if it exits non-zero (the message holds its output), times out, or
     *     the guest is unusable
     */
    public String runOk(String shellCommand, Duration timeout) {
        GuestResult r = run(shellCommand, timeout);
        if (!r.isOk()) {
            throw new GuestException("guest " + name + ": command exited with " + r.exitCode() + ": "
                    + shellCommand + "\n--- output ---\n" + r.output() + "--- end of output ---"
                    + "\n  transcript: " + console.transcriptPath());
        }
        return r.output();
    }

    /**
     * Brings a guest interface up and waits until it has carrier. An emulated e1000 reports
     * link up about a second after {@code ip link set up}; frames sent before that are lost.
     *
     * @param iface the guest interface, e.g. {@code eth0}
     * @throws GuestException if the interface has no carrier within 10 s
     */
    public void linkUp(String iface) {
        requireInterfaceName(iface);
        runOk("ip link set " + iface + " up && i=0 && "
                + "while [ \"$(cat /sys/class/net/" + iface + "/carrier 2>/dev/null)\" != 1 ]; do "
                + "i=$((i + 1)); [ $i -le 100 ] || { echo 'no carrier on " + iface + "'; exit 1; }; sleep 0.1; done");
    }

    /**
     * Reads the DHCP lease the guest's udhcpc script saved for an interface (after e.g.
     * {@code udhcpc -i eth0 -q -n}): keys are udhcpc's variable names ({@code ip}, {@code mask},
     * {@code subnet}, {@code router}, {@code dns}, {@code domain}, {@code search},
     * {@code hostname}, {@code mtu}, {@code lease}, {@code serverid}, {@code broadcast},
     * {@code siaddr}, {@code optNN}...); lists such as several DNS servers are space-separated.
     *
     * @param iface the guest interface, e.g. {@code eth0}
     * @return the lease variables in file order
     * @throws GuestException if there is no lease file
     */
    public Map<String, String> dhcpLease(String iface) {
        requireInterfaceName(iface);
        Map<String, String> lease = new LinkedHashMap<>();
        for (String line : runOk("cat /run/udhcpc/" + iface + ".lease").split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                lease.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        return Collections.unmodifiableMap(lease);
    }

    /** @return the QEMU process id */
    public long pid() {
        return process.pid();
    }

    /** @return true while the QEMU process runs */
    public boolean isAlive() {
        return process.isAlive();
    }

    /**
     * Waits for QEMU to exit by itself (guest power-off or panic, a transport closing...).
     *
     * @param timeout how long to wait
     * @return QEMU's exit code, or empty if it still runs after {@code timeout}
     */
    public OptionalInt waitForExit(Duration timeout) {
        try {
            if (process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return OptionalInt.of(process.exitValue());
            }
            return OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        }
    }

    /** @return the file the console transcript is written to */
    public Path transcriptPath() {
        return console.transcriptPath();
    }

    /** @return the accelerator QEMU runs with: {@code kvm} or {@code tcg} */
    public String accelerator() {
        return accel;
    }

    /** @return time from starting QEMU to the guest's ready marker */
    public Duration bootDuration() {
        return bootDuration;
    }

    /** @return the full QEMU command line */
    public List<String> commandLine() {
        return commandLine;
    }

    /**
     * Stops QEMU (SIGTERM, then SIGKILL if it lingers) and waits for it to be gone. Idempotent;
     * also fine after QEMU exited by itself.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        console.note("closing guest " + name);
        try {
            consoleIn.close();
        } catch (IOException ignored) {
            // QEMU may be gone already
        }
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            if (!process.isAlive()) {
                LIVE.remove(process);
            }
            console.close(process.isAlive()
                    ? "QEMU pid " + process.pid() + " still alive after SIGKILL"
                    : "QEMU pid " + process.pid() + " ended with exit code " + process.exitValue());
        }
    }

    @Override
    public String toString() {
        return "QemuGuest[" + name + ", pid " + process.pid() + ", " + accel + "]";
    }

    private GuestResult complete(long id, ConsoleProtocol.Completion done) {
        console.discard(done.consumedChars());
        console.note("#" + id + " exit " + done.result().exitCode());
        return done.result();
    }

    private GuestResult interruptAfterTimeout(long id, String shellCommand, Duration timeout) {
        console.note("#" + id + " timed out after " + timeout.toMillis() + " ms, sending Ctrl-C");
        String message = "guest " + name + ": command #" + id + " timed out after " + timeout.toMillis()
                + " ms: " + shellCommand;
        ConsoleProtocol.Completion after = null;
        try {
            consoleIn.write(ConsoleProtocol.INTERRUPT);
            consoleIn.flush();
            after = console.await(t -> protocol.findCompletion(t, id), INTERRUPT_GRACE);
        } catch (IOException e) {
            // treated like a command that would not end
        }
        if (after != null) {
            complete(id, after);
            throw new GuestTimeoutException(message + " (interrupted; guest still usable)"
                    + "\n  output: " + after.result().output() + "\n  transcript: " + console.transcriptPath(),
                    after.result().output(), true);
        }
        String partial = console.await(t -> protocol.partialOutput(t, id), Duration.ZERO);
        unusable = "command #" + id + " did not end after its timeout and Ctrl-C";
        throw new GuestTimeoutException(message + " (it ignored Ctrl-C; guest unusable)"
                + "\n  output so far: " + partial + details(), partial, false);
    }

    private void awaitReady(Duration bootTimeout) {
        long start = System.nanoTime();
        String ready = protocol.readyMarker();
        Integer end = console.await(t -> {
            int i = t.toString().indexOf(ready);
            return i < 0 ? null : i + ready.length();
        }, bootTimeout);
        if (end == null) {
            String why = console.ended()
                    ? "QEMU exited during boot" + exitSuffix()
                    : "guest did not get ready within " + bootTimeout.toSeconds() + " s (accel " + accel + ")";
            String details = details();
            close();
            throw new GuestException("guest " + name + ": " + why + details);
        }
        console.discard(end);
        bootDuration = Duration.ofNanos(System.nanoTime() - start);
        console.note("guest ready after " + bootDuration.toMillis() + " ms");
    }

    private String exitSuffix() {
        try {
            if (process.waitFor(2, TimeUnit.SECONDS)) {
                return " (exit code " + process.exitValue() + ")";
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "";
    }

    private String details() {
        String stderr = console.stderrTail().strip();
        return (stderr.isEmpty() ? "" : "\n  QEMU stderr: " + stderr)
                + "\n  console tail: " + console.pendingTail(TAIL_CHARS).strip()
                + "\n  transcript: " + console.transcriptPath();
    }

    private static void requireInterfaceName(String iface) {
        if (!iface.matches("[A-Za-z0-9._-]{1,15}")) {
            throw new IllegalArgumentException("not an interface name: " + iface);
        }
    }

    private static String netdevId(String netdev) {
        for (String part : netdev.split(",")) {
            if (part.startsWith("id=") && part.length() > 3) {
                return part.substring(3);
            }
        }
        throw new IllegalArgumentException("netdev spec has no id=...: " + netdev);
    }

    /** QEMU option values double a comma to keep it from ending the value. */
    private static String qemuOptionValue(String s) {
        return s.replace(",", ",,");
    }

    /** Options for one guest; {@link #start()} boots it. */
    public static final class Builder {
        private String name = "guest";
        private String netdev;
        private NicModel nic = NicModel.VIRTIO_NET_PCI;
        private String mac = DEFAULT_MAC;
        private String memory = "256M";
        private Path pcap;
        private Path bootDir;
        private String bootScript;
        private final List<String> qemuArgs = new ArrayList<>();
        private final List<String> kernelArgs = new ArrayList<>();
        private Duration bootTimeout = DEFAULT_BOOT_TIMEOUT;
        private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
        private String qemuBinary = System.getenv().getOrDefault("JSLIRP_QEMU", "qemu-system-x86_64");
        private String accel;
        private Path logDir = Path.of(System.getProperty("jslirp.guest.logDir", "target/guest-logs"));

        private Builder() {}

        /**
         * @param name names the transcript file and threads, e.g. the test class
         * @return this
         */
        public Builder name(String name) {
            this.name = name.replaceAll("[^A-Za-z0-9._-]", "_");
            return this;
        }

        /**
         * The network backend, as QEMU's {@code -netdev} value; it must carry {@code id=}.
         * Examples: {@code user,id=n0};
         * {@code stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/x.sock};
         * {@code dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=5556,remote.type=inet,remote.host=127.0.0.1,remote.port=5555}.
         *
         * @param spec the {@code -netdev} value
         * @return this
         */
        public Builder netdev(String spec) {
            netdevId(spec);
            this.netdev = spec;
            return this;
        }

        /**
         * @param model the guest's network card; default {@link NicModel#VIRTIO_NET_PCI}
         * @return this
         */
        public Builder nic(NicModel model) {
            this.nic = Objects.requireNonNull(model, "model");
            return this;
        }

        /**
         * @param mac the NIC's MAC address, {@code xx:xx:xx:xx:xx:xx}; default {@value QemuGuest#DEFAULT_MAC}
         * @return this
         */
        public Builder mac(String mac) {
            if (!MAC.matcher(mac).matches()) {
                throw new IllegalArgumentException("mac must look like 52:54:00:12:34:56: " + mac);
            }
            this.mac = mac.toLowerCase(Locale.ROOT);
            return this;
        }

        /**
         * @param memory guest RAM in QEMU's {@code -m} syntax, e.g. {@code 256M} (default)
         * @return this
         */
        public Builder memory(String memory) {
            if (!MEMORY.matcher(memory).matches()) {
                throw new IllegalArgumentException("memory must look like 256M or 1G: " + memory);
            }
            this.memory = memory;
            return this;
        }

        /**
         * Records every frame on the netdev, both directions, with QEMU's {@code filter-dump}.
         *
         * @param file the pcap file to write
         * @return this
         */
        public Builder pcap(Path file) {
            this.pcap = file.toAbsolutePath();
            return this;
        }

        /**
         * Boots from the network instead of QEMU's {@code -kernel}: the first card keeps its
         * iPXE option ROM and QEMU boots it ({@code -boot n}); iPXE asks DHCP for its boot file,
         * fetches it over TFTP and runs it. {@link #start()} writes that file,
         * {@code bootDir/script}, as an iPXE script that loads the image's kernel and initramfs
         * (copied beside it as {@code bzImage} and {@code initrd.gz}) over TFTP and boots them
         * with the kernel command line the harness needs. The netdev must serve
         * {@code bootDir} by TFTP and name {@code script} as the boot file.
         *
         * @param bootDir the directory the network serves by TFTP
         * @param script  the boot file's name in it
         * @return this
         */
        public Builder networkBoot(Path bootDir, String script) {
            if (!script.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException("boot script name must be a plain file name: " + script);
            }
            this.bootDir = bootDir.toAbsolutePath();
            this.bootScript = script;
            return this;
        }

        /**
         * @param args more QEMU arguments, appended after the harness's own
         * @return this
         */
        public Builder qemuArgs(String... args) {
            qemuArgs.addAll(List.of(args));
            return this;
        }

        /**
         * @param args more kernel command-line words, appended to the harness's own
         * @return this
         */
        public Builder kernelArgs(String... args) {
            kernelArgs.addAll(List.of(args));
            return this;
        }

        /**
         * @param timeout how long boot may take until the guest accepts commands; default 60 s
         * @return this
         */
        public Builder bootTimeout(Duration timeout) {
            this.bootTimeout = requirePositive(timeout, "bootTimeout");
            return this;
        }

        /**
         * @param timeout timeout of {@link #run(String)} and {@link #runOk(String)}; default 30 s
         * @return this
         */
        public Builder commandTimeout(Duration timeout) {
            this.commandTimeout = requirePositive(timeout, "commandTimeout");
            return this;
        }

        /**
         * @param binary the QEMU executable; default {@code $JSLIRP_QEMU} or
         *     {@code qemu-system-x86_64} from PATH
         * @return this
         */
        public Builder qemuBinary(String binary) {
            this.qemuBinary = binary;
            return this;
        }

        /**
         * @param accel {@code kvm} or {@code tcg}; default: detected, see {@code JSLIRP_GUEST_ACCEL}
         * @return this
         */
        public Builder accel(String accel) {
            this.accel = accel;
            return this;
        }

        /**
         * @param dir where console transcripts go; default {@code target/guest-logs} or system
         *     property {@code jslirp.guest.logDir}
         * @return this
         */
        public Builder logDir(Path dir) {
            this.logDir = dir;
            return this;
        }

        /**
         * Builds the image if needed, starts QEMU and waits until the guest accepts commands.
         *
         * @return the running guest; close it
         * @throws GuestException if the image cannot be built, QEMU cannot start, or the guest
         *     does not boot in time (QEMU is stopped then)
         */
        public QemuGuest start() {
            if (netdev == null) {
                throw new IllegalStateException("netdev(...) is required, e.g. \"user,id=n0\"");
            }
            GuestImage image = GuestImage.ensureBuilt();
            String chosenAccel = accel != null ? accel : Accelerator.choose();
            ConsoleProtocol protocol = new ConsoleProtocol(HexFormat.of().formatHex(nonceBytes()));
            List<String> cmd = commandLine(image, chosenAccel, protocol);
            if (bootDir != null) {
                writeBootFiles(image, protocol);
            }
            Path transcript = logDir.toAbsolutePath()
                    .resolve(name + "-" + LocalDateTime.now().format(LOG_TIME) + ".log");
            SerialConsole console;
            try {
                console = new SerialConsole(transcript, name);
            } catch (IOException e) {
                throw new GuestException("cannot create console transcript " + transcript + ": " + e, e);
            }
            console.note("image " + image.directory() + "; starting: " + String.join(" ", cmd));
            Process process;
            try {
                process = new ProcessBuilder(cmd).start();
            } catch (IOException e) {
                console.close();
                throw new GuestException("cannot start " + qemuBinary + " (Debian package qemu-system-x86): "
                        + e.getMessage(), e);
            }
            LIVE.add(process);
            console.note("QEMU pid " + process.pid() + ", accel " + chosenAccel);
            console.start(process.getInputStream(), process.getErrorStream());
            QemuGuest guest = new QemuGuest(this, chosenAccel, cmd, protocol, console, process);
            guest.awaitReady(bootTimeout);
            return guest;
        }

        private List<String> kernelCommandLine(ConsoleProtocol protocol) {
            List<String> kernel = new ArrayList<>(List.of("console=ttyS0", "quiet", "panic=-1", protocol.kernelArgument()));
            kernel.addAll(kernelArgs);
            return kernel;
        }

        /** The iPXE script of {@link #networkBoot}, with the kernel and initramfs beside it. */
        private void writeBootFiles(GuestImage image, ConsoleProtocol protocol) {
            try {
                Files.copy(image.bzImage(), bootDir.resolve("bzImage"),
                        StandardCopyOption.REPLACE_EXISTING);
                Files.copy(image.initrd(), bootDir.resolve("initrd.gz"),
                        StandardCopyOption.REPLACE_EXISTING);
                // Relative names resolve against the script's own tftp:// URI.
                Files.writeString(bootDir.resolve(bootScript), "#!ipxe\n"
                        + "kernel bzImage " + String.join(" ", kernelCommandLine(protocol)) + "\n"
                        + "initrd initrd.gz\n"
                        + "boot\n");
            } catch (IOException e) {
                throw new GuestException("cannot write the network boot files to " + bootDir + ": " + e, e);
            }
        }

        private List<String> commandLine(GuestImage image, String chosenAccel, ConsoleProtocol protocol) {
            String id = netdevId(netdev);
            List<String> cmd = new ArrayList<>(List.of(
                    qemuBinary,
                    "-nodefaults", "-no-reboot", "-display", "none",
                    "-accel", chosenAccel,
                    "-m", memory, "-smp", "1"));
            if (bootDir == null) {
                cmd.addAll(List.of(
                        "-kernel", image.kernel().toString(),
                        "-initrd", image.initrd().toString(),
                        "-append", String.join(" ", kernelCommandLine(protocol))));
            } else {
                cmd.addAll(List.of("-boot", "n"));
            }
            cmd.addAll(List.of(
                    "-serial", "stdio",
                    "-netdev", netdev,
                    // romfile= : no PXE option ROM (needs no ipxe files, boots faster), unless
                    // the guest boots from the network through it.
                    "-device", nic.qemuDevice() + ",netdev=" + id + ",mac=" + mac + (bootDir == null ? ",romfile=" : "")));
            if (pcap != null) {
                cmd.addAll(List.of("-object",
                        "filter-dump,id=jslirp-dump-" + id + ",netdev=" + id + ",file=" + qemuOptionValue(pcap.toString())));
            }
            cmd.addAll(qemuArgs);
            return cmd;
        }

        private static byte[] nonceBytes() {
            byte[] b = new byte[6];
            RANDOM.nextBytes(b);
            return b;
        }

        private static Duration requirePositive(Duration d, String what) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive: " + d);
            }
            return d;
        }
    }
}
