package dev.jslirp.bench.soak;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.jslirp.control.ControlClient;
import dev.jslirp.control.ControlReply;
import dev.jslirp.transport.Endpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Looks at a running jslirp from outside: {@code /proc/PID} for its resident set, file
 * descriptors, threads and CPU time; its control socket's {@code info stats json} for
 * the NAT's flows and the buffer pool. Read as root, which may read {@code /proc/PID/fd}
 * of any process (also of a jslirp that dropped to another user with {@code --runas}).
 */
final class JslirpProbe implements AutoCloseable {
    private static final JsonFactory JSON = new JsonFactory();
    /** Clock ticks per second of {@code /proc/PID/stat}: USER_HZ, 100 on every Linux ABI. */
    private static final double USER_HZ = 100;

    private final long pid;
    private final ControlClient control;

    JslirpProbe(long pid, Path controlSocket) throws IOException {
        this.pid = pid;
        this.control = ControlClient.connect(new Endpoint.Unix(controlSocket), Duration.ofSeconds(30));
    }

    /** A sample now, {@code seconds} into the run, with the traffic {@code tally} counted so far. */
    Sample sample(double seconds, Tally tally) throws IOException {
        Path proc = Path.of("/proc", Long.toString(pid));
        Map<String, Long> status = statusNumbers(Files.readString(proc.resolve("status")));
        long fds;
        try (Stream<Path> s = Files.list(proc.resolve("fd"))) {
            fds = s.count();
        }
        String stat = Files.readString(proc.resolve("stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // Fields 14 and 15 of proc(5), utime and stime: 11 and 12 after the command name.
        double cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / USER_HZ;
        Map<String, Double> stats = stats();
        return new Sample(seconds, status.getOrDefault("VmRSS", -1L), fds, status.getOrDefault("Threads", -1L), cpu,
                gauge(stats, "tcp_flows"), gauge(stats, "tcp_half_open"), gauge(stats, "udp_flows"),
                gauge(stats, "tcp_buffered_bytes"), gauge(stats, "buffer_direct_bytes"),
                gauge(stats, "buffer_heap_bytes"), tally.sum("bulk.", ".bytes"), tally.sum("short.", ".done"),
                tally.sum("dns.", ".answers") - tally.get("dns.upstream.answers"), tally.sum("udp.", ".echoed"),
                tally.sum("udp.", ".lost"), tally.get("forward.cycles"), tally.errorCount());
    }

    /** Every number of {@code info stats json}, flattened: {@code gauges.tcp_flows}, {@code counters.dns.forwarded}. */
    Map<String, Double> stats() throws IOException {
        ControlReply r = control.send("info stats json");
        if (!r.isOk() || r.lines().isEmpty()) {
            throw new IOException("info stats json: " + r.text());
        }
        return flatten(r.lines().get(0));
    }

    /** The numbers of a JSON object as {@code path.to.key} to value; arrays are left out. */
    static Map<String, Double> flatten(String json) throws IOException {
        Map<String, Double> out = new HashMap<>();
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not a JSON object: " + json);
            }
            flatten(p, "", out);
        }
        return out;
    }

    private static void flatten(JsonParser p, String prefix, Map<String, Double> out) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = prefix + p.currentName();
            JsonToken v = p.nextToken();
            if (v == JsonToken.START_OBJECT) {
                flatten(p, key + ".", out);
            } else if (v.isNumeric()) {
                out.put(key, p.getDoubleValue());
            } else if (v.isStructStart()) {
                p.skipChildren();
            }
        }
    }

    private static long gauge(Map<String, Double> stats, String name) {
        Double v = stats.get("gauges." + name);
        return v == null ? -1 : v.longValue();
    }

    /** The numeric fields of a {@code /proc/PID/status}, units dropped ({@code VmRSS: 1234 kB} is 1234). */
    private static Map<String, Long> statusNumbers(String status) {
        Map<String, Long> m = new HashMap<>();
        for (String line : status.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String[] v = line.substring(colon + 1).trim().split("\\s+");
            if (v.length >= 1 && v[0].matches("\\d+")) {
                m.put(line.substring(0, colon), Long.parseLong(v[0]));
            }
        }
        return m;
    }

    /** Sends {@code command} on the control socket and returns the reply. */
    ControlReply command(String command) throws IOException {
        return control.send(command);
    }

    @Override
    public void close() throws IOException {
        control.close();
    }
}
