package dev.jslirp.e2e.nat;

import dev.jslirp.guest.GuestResult;
import dev.jslirp.guest.QemuGuest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The guest's side of the NAT tests: its own TCP clients and servers (busybox {@code wget},
 * {@code nc}, {@code httpd}) and {@code udptool} (build-guest-image.sh), driven over the console,
 * with their output turned into values. Every measured time is taken inside the guest from
 * {@code /proc/uptime} (10 ms steps), so console round trips do not count.
 */
public final class NatShell {
    /** Transfers of many megabytes under TCG on a loaded machine. */
    public static final Duration TRANSFER_TIMEOUT = Duration.ofSeconds(120);
    /** The guest's HTTP server (busybox httpd) port. */
    public static final int GUEST_HTTP_PORT = 8080;
    /** The guest's TCP server that answers each connection with the SHA-256 of what it received. */
    public static final int GUEST_SHA_PORT = 7777;
    /** The guest's UDP echo server (udptool echo) port. */
    public static final int GUEST_UDP_ECHO_PORT = 7000;
    /**
     * A second UDP echo server, for a forward of its own: libslirp sends a guest's datagram from
     * a port two UDP forwards lead to through whichever of their sockets it finds first.
     */
    public static final int GUEST_UDP_ECHO_PORT_2 = 7001;
    /** The file the guest's HTTP server serves, under its document root. */
    public static final String GUEST_FILE = "/file";
    private static final Pattern SHA = Pattern.compile("(?m)^([0-9a-f]{64})\\b");
    private static final Pattern ELAPSED = Pattern.compile("(?m)^elapsed ([0-9.]+) ([0-9.]+)$");
    private static final String CLOCK = "cut -d' ' -f1 /proc/uptime";

    private final QemuGuest guest;

    /** Tools of {@code guest}. */
    public NatShell(QemuGuest guest) {
        this.guest = guest;
    }

    /**
     * Starts the guest's servers (they listen on every interface, for every network's port
     * forwards): busybox httpd serving {@value #GUEST_FILE}, {@code fileBytes} random bytes;
     * {@code nc -ll -e sha256sum} (a fresh sha256sum per connection: it answers after the
     * client's FIN); udptool's echo server. Returns the file's SHA-256.
     */
    public String startServers(int fileBytes) {
        String out = guest.runOk("mkdir -p /tmp/www && head -c " + fileBytes + " /dev/urandom > /tmp/www" + GUEST_FILE
                + " && sha256sum /tmp/www" + GUEST_FILE
                + " && httpd -p " + GUEST_HTTP_PORT + " -h /tmp/www"
                + " && { setsid nc -ll -p " + GUEST_SHA_PORT + " -e sha256sum > /dev/null 2>&1 & }"
                + " && { setsid udptool echo " + GUEST_UDP_ECHO_PORT + " > /tmp/udp-echo.log 2>&1 & }"
                + " && { setsid udptool echo " + GUEST_UDP_ECHO_PORT_2 + " > /tmp/udp-echo-2.log 2>&1 & }"
                + " && sleep 0.2 && netstat -lnut", TRANSFER_TIMEOUT);
        for (String listening : List.of(":" + GUEST_HTTP_PORT + " ", ":" + GUEST_SHA_PORT + " ",
                ":" + GUEST_UDP_ECHO_PORT + " ", ":" + GUEST_UDP_ECHO_PORT_2 + " ")) {
            if (!out.contains(listening)) {
                throw new AssertionError("guest server on " + listening + " is not listening:\n" + out);
            }
        }
        return sha(out);
    }

    /** What a guest command transferred: the SHA-256 it printed, the time it took, its output. */
    public record Transfer(String sha256, double seconds, String output) {
        /** Megabytes (10^6 bytes) per second for {@code bytes}. */
        public double megabytesPerSecond(long bytes) {
            return seconds <= 0 ? Double.POSITIVE_INFINITY : bytes / 1e6 / seconds;
        }
    }

    /** {@code wget -q -O - URL | sha256sum}, timed. */
    public Transfer download(String url) {
        return timed("wget -q -O - " + url + " | sha256sum");
    }

    /**
     * Writes {@code bytes} random bytes to {@code file} in the guest and returns their SHA-256.
     */
    public String randomFile(String file, int bytes) {
        return sha(guest.runOk("head -c " + bytes + " /dev/urandom > " + file + " && sha256sum " + file,
                TRANSFER_TIMEOUT));
    }

    /**
     * {@code nc ADDRESS PORT < FILE}, timed: nc sends the file, half-closes at its end, and prints
     * what the server answers until the server closes.
     */
    public Transfer upload(String file, String address, int port) {
        return timed("nc " + address + " " + port + " < " + file);
    }

    /** Runs {@code command}, which prints a SHA-256, and times it. */
    public Transfer timed(String command) {
        GuestResult r = guest.run("s=$(" + CLOCK + "); " + command + "; e=$(" + CLOCK + "); echo \"elapsed $s $e\"",
                TRANSFER_TIMEOUT);
        return new Transfer(shaOrNull(r.output()), elapsed(r.output()), r.output());
    }

    /** A guest command's exit code, output and duration. */
    public record Timed(int exitCode, String output, double seconds) {
    }

    /** Runs {@code command} and measures it in the guest. */
    public Timed time(String command, Duration timeout) {
        GuestResult r = guest.run("s=$(" + CLOCK + "); " + command + "; rc=$?; e=$(" + CLOCK + "); "
                + "echo; echo \"elapsed $s $e\"; exit $rc", timeout);
        String out = r.output();
        return new Timed(r.exitCode(), out.substring(0, Math.max(0, out.lastIndexOf("\nelapsed "))), elapsed(out));
    }

    /** What one {@code udptool send} run saw, per datagram ({@code ok SIZE RTT}, {@code timeout}...). */
    public record UdpExchange(int sent, int ok, List<String> results, String output) {
        /** True if every datagram came back intact. */
        public boolean allEchoed() {
            return sent > 0 && ok == sent;
        }
    }

    private static final Pattern SUMMARY = Pattern.compile("(?m)^sent (\\d+) ok (\\d+)$");
    private static final Pattern RESULT = Pattern.compile("(?m)^(ok \\d+|mismatch .*|timeout|error \\w+)");

    /**
     * {@code udptool send ADDRESS PORT SIZE COUNT TIMEOUT_MS}: COUNT datagrams of SIZE bytes, each
     * waiting for its echo.
     */
    public UdpExchange udpEcho(String address, int port, int size, int count, int timeoutMillis) {
        GuestResult r = guest.run("udptool send " + address + " " + port + " " + size + " " + count + " " + timeoutMillis,
                Duration.ofMillis((long) count * timeoutMillis).plus(Duration.ofSeconds(30)));
        String out = r.output();
        Matcher s = SUMMARY.matcher(out);
        List<String> results = new ArrayList<>();
        Matcher m = RESULT.matcher(out);
        while (m.find()) {
            results.add(m.group(1));
        }
        return s.find() ? new UdpExchange(Integer.parseInt(s.group(1)), Integer.parseInt(s.group(2)), results, out)
                : new UdpExchange(0, 0, results, out);
    }

    /** The guest's UDP echo server's log: {@code echo SIZE ADDRESS:PORT} per datagram. */
    public List<String> udpEchoLog() {
        return log("/tmp/udp-echo.log");
    }

    /** The second UDP echo server's log ({@link #GUEST_UDP_ECHO_PORT_2}). */
    public List<String> udpEcho2Log() {
        return log("/tmp/udp-echo-2.log");
    }

    private List<String> log(String file) {
        String out = guest.runOk("cat " + file);
        return out.isBlank() ? List.of() : List.of(out.strip().split("\n"));
    }

    private static String sha(String output) {
        String s = shaOrNull(output);
        if (s == null) {
            throw new AssertionError("no SHA-256 in: " + output);
        }
        return s;
    }

    private static String shaOrNull(String output) {
        Matcher m = SHA.matcher(output);
        return m.find() ? m.group(1) : null;
    }

    private static double elapsed(String output) {
        Matcher m = ELAPSED.matcher(output);
        if (!m.find()) {
            throw new AssertionError("no elapsed time in: " + output);
        }
        return Double.parseDouble(m.group(2)) - Double.parseDouble(m.group(1));
    }
}
