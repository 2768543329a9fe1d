package dev.jslirp.e2e;

import dev.jslirp.guest.GuestResult;
import dev.jslirp.guest.QemuGuest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The guest's own network tools (busybox {@code ip}, {@code arping}, {@code ping},
 * {@code udhcpc}, {@code nslookup}) driven over the console, with their output parsed into
 * values a test can compare between jslirp and libslirp.
 */
public final class GuestShell {
    /** Network commands may wait for timeouts in the guest; TCG on a loaded machine is slow. */
    public static final Duration NET_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern ARPING_MAC = Pattern.compile("\\[([0-9a-fA-F:]{17})]");
    private static final Pattern TTL = Pattern.compile("ttl=(\\d+)");
    private static final Pattern RECEIVED = Pattern.compile("(\\d+) packets transmitted, (\\d+) packets received");
    private static final Pattern NSLOOKUP_ADDRESS = Pattern.compile("(?m)^Address: *([0-9.]+)$");

    private final QemuGuest guest;

    /** Tools of {@code guest}. */
    public GuestShell(QemuGuest guest) {
        this.guest = guest;
    }

    /** The guest. */
    public QemuGuest guest() {
        return guest;
    }

    /** The guest interface whose MAC is {@code mac}. */
    public String interfaceWithMac(String mac) {
        String out = guest.runOk("for i in /sys/class/net/*; do [ \"$(cat $i/address)\" = '" + mac
                + "' ] && basename $i; done; true").strip();
        if (out.isEmpty() || out.contains("\n")) {
            throw new AssertionError("no single guest interface with MAC " + mac + ": '" + out + "'");
        }
        return out;
    }

    /** Gives {@code iface} {@code address}/24 and waits for carrier. */
    public void configureStatically(String iface, String address) {
        guest.runOk("ip -4 addr flush dev " + iface + " && ip addr add " + address + "/24 dev " + iface);
        guest.linkUp(iface);
    }

    /**
     * Stops the udhcpc daemons of {@code ifaces} and removes their IPv4 addresses and routes, so a
     * test starts from interfaces that are up but unconfigured.
     */
    public void reset(List<String> ifaces) {
        StringBuilder cmd = new StringBuilder();
        for (String i : ifaces) {
            cmd.append("p=/run/udhcpc-").append(i).append(".pid; [ -f $p ] && kill $(cat $p); rm -f $p; ")
                    .append("ip -4 addr flush dev ").append(i).append("; ip -4 route flush dev ").append(i)
                    .append("; ip neigh flush dev ").append(i).append("; ");
        }
        guest.runOk(cmd + "true");
    }

    /** The MAC {@code address} resolves to by ARP on {@code iface}, or null if nobody answered. */
    public String arpingMac(String iface, String address) {
        GuestResult r = guest.run("arping -c 1 -w 10 -I " + iface + " " + address, NET_TIMEOUT);
        Matcher m = ARPING_MAC.matcher(r.output());
        return r.isOk() && m.find() ? m.group(1).toLowerCase(java.util.Locale.ROOT) : null;
    }

    /** What one {@code ping} run saw. */
    public record Ping(int transmitted, int received, List<Integer> ttls, String output) {
        /** True if every request got its reply. */
        public boolean allAnswered() {
            return transmitted > 0 && received == transmitted;
        }
    }

    /**
     * Pings {@code address} from {@code iface} (bound to it, so several interfaces may share a
     * network): {@code count} requests of {@code size} data bytes.
     */
    public Ping ping(String iface, String address, int count, int size) {
        // -i 0.2: five requests a second keep the tests short; -W 3: how long to wait for the
        // last reply, plenty for a network in the same machine even under TCG.
        GuestResult r = guest.run("ping -c " + count + " -i 0.2 -s " + size + " -W 3 -I " + iface + " " + address,
                NET_TIMEOUT);
        return parsePing(r.output());
    }

    /** Pings a name or address the way a user would: no interface, 56 bytes, resolving names first. */
    public Ping ping(String target, int count) {
        GuestResult r = guest.run("ping -c " + count + " -W 5 " + target, NET_TIMEOUT);
        return parsePing(r.output());
    }

    static Ping parsePing(String output) {
        Matcher m = RECEIVED.matcher(output);
        int tx = 0;
        int rx = 0;
        if (m.find()) {
            tx = Integer.parseInt(m.group(1));
            rx = Integer.parseInt(m.group(2));
        }
        List<Integer> ttls = new ArrayList<>();
        Matcher t = TTL.matcher(output);
        while (t.find()) {
            ttls.add(Integer.parseInt(t.group(1)));
        }
        return new Ping(tx, rx, ttls, output);
    }

    /**
     * Runs udhcpc once on {@code iface} ({@code -q}: exits after the lease, {@code -n}: fails if
     * none) and returns the lease the guest's script saved; the event log is cleared first.
     */
    public Map<String, String> dhcp(String iface) {
        return dhcp(iface, "");
    }

    /** {@link #dhcp(String)} with more udhcpc options, e.g. {@code -B} (ask for broadcast replies). */
    public Map<String, String> dhcp(String iface, String options) {
        guest.runOk("rm -f /run/udhcpc/" + iface + ".events");
        guest.linkUp(iface);
        guest.runOk("udhcpc -i " + iface + " -q -n -t 5 -T 2 " + options, NET_TIMEOUT);
        return guest.dhcpLease(iface);
    }

    /**
     * Starts udhcpc as a daemon on {@code iface}: it gets a lease, goes to the background and
     * renews on SIGUSR1, releases on SIGUSR2. Its pid goes to {@code /run/udhcpc-IFACE.pid}.
     */
    public Map<String, String> startDhcpDaemon(String iface) {
        guest.runOk("rm -f /run/udhcpc/" + iface + ".events");
        guest.linkUp(iface);
        guest.runOk("udhcpc -i " + iface + " -n -t 5 -T 2 -p /run/udhcpc-" + iface + ".pid", NET_TIMEOUT);
        return guest.dhcpLease(iface);
    }

    /** Sends {@code signal} to the udhcpc daemon of {@code iface}. */
    public void signalDhcpDaemon(String iface, String signal) {
        guest.runOk("kill -" + signal + " $(cat /run/udhcpc-" + iface + ".pid)");
    }

    /** Stops the udhcpc daemon of {@code iface} (SIGTERM, no release), if it runs. */
    public void stopDhcpDaemon(String iface) {
        guest.run("p=/run/udhcpc-" + iface + ".pid; [ -f $p ] && kill $(cat $p); rm -f $p; true");
    }

    /** The udhcpc script's event log of {@code iface}, one {@code event ip} per line. */
    public List<String> dhcpEvents(String iface) {
        String out = guest.run("cat /run/udhcpc/" + iface + ".events 2>/dev/null").output();
        // The script writes "event ip"; ip is empty for deconfig, which leaves a trailing space.
        return out.isBlank() ? List.of() : Stream.of(out.strip().split("\n")).map(String::strip).toList();
    }

    /** Waits until the event log of {@code iface} has a line starting with {@code event}. */
    public List<String> awaitDhcpEvent(String iface, String event, Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<String> events = dhcpEvents(iface);
            if (events.stream().anyMatch(e -> e.startsWith(event))) {
                return events;
            }
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("no '" + event + "' event on " + iface + " within " + timeout + ": " + events);
            }
            sleep(200);
        }
    }

    /** What busybox nslookup answered. */
    public record Lookup(boolean ok, List<String> addresses, String output) {
    }

    /**
     * Looks {@code name} up with busybox nslookup (its own resolver, UDP only), asking
     * {@code server}, or the first nameserver of resolv.conf if null.
     */
    public Lookup nslookup(String name, String server) {
        GuestResult r = guest.run("nslookup -type=a " + name + (server == null ? "" : " " + server), NET_TIMEOUT);
        List<String> addresses = new ArrayList<>();
        // The first "Address:" lines name the server (with #53); answers follow "Name:".
        String out = r.output();
        int answers = out.indexOf("Name:");
        if (answers >= 0) {
            Matcher m = NSLOOKUP_ADDRESS.matcher(out.substring(answers));
            while (m.find()) {
                addresses.add(m.group(1));
            }
        }
        return new Lookup(r.isOk() && !addresses.isEmpty(), addresses, out);
    }

    /** The guest's resolv.conf. */
    public String resolvConf() {
        return guest.runOk("cat /etc/resolv.conf");
    }

    /** Sleeps; an interrupt fails the test. */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
