package dev.jslirp.slirp4netns;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.control.RunTimeForwards;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.nat.hostfwd.HostForward;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commands of the slirp4netns API socket ({@code api.c} of slirp4netns 1.2), with
 * its replies to the letter, so that rootlesskit's and podman's port drivers read them
 * as they read slirp4netns's:
 * <ul>
 *   <li>{@code add_hostfwd} {@code {proto, host_addr, host_port, guest_addr,
 *       guest_port}} → {@code {"return":{"id":N}}}; ids count from 1 and are never
 *       reused. An empty or missing {@code host_addr} is 0.0.0.0, an empty or missing
 *       {@code guest_addr} the recommended address (network + 100);</li>
 *   <li>{@code list_hostfwd} → {@code {"entries":[{"id":..,"proto":..,"host_addr":..,
 *       "host_port":..,"guest_addr":..,"guest_port":..},...]}} (no {@code "return"}
 *       around it: slirp4netns's own shape);</li>
 *   <li>{@code remove_hostfwd} {@code {id}} → {@code {"return":{}}}.</li>
 * </ul>
 * Errors are {@code {"error":{"desc":"bad request: ..."}}} with slirp4netns's texts;
 * where slirp4netns only says that libslirp failed ({@code slirp_add_hostfwd failed}),
 * jslirp logs why. Where slirp4netns would crash or take a nonsense value (no
 * {@code proto}, a negative or fractional port), jslirp answers with the error for that
 * argument. The forwards live in the NAT ({@link HostForwards}, shared with the control
 * socket's {@code hostfwd_add}). Runs on the network's event loop; never throws.
 */
final class ApiCommands {
    private static final Logger LOG = LoggerFactory.getLogger(ApiCommands.class);

    /** One forward the API added, as {@code list_hostfwd} shows it. */
    private record Entry(int id, HostForward forward) {
    }

    private final JslirpNetwork network;
    private final int recommendedGuest;
    /** By id, in the order added. */
    private final Map<Integer, Entry> entries = new LinkedHashMap<>();
    private int nextId = 1;

    /** Commands for {@code network}, whose default guest for forwards is {@code recommendedGuest}. */
    ApiCommands(JslirpNetwork network, int recommendedGuest) {
        this.network = Objects.requireNonNull(network, "network");
        this.recommendedGuest = recommendedGuest;
    }

    /** The reply to what a client sent, as read by {@link ApiRequest#parse}. */
    String execute(ApiRequest.Parsed parsed) {
        switch (parsed.outcome()) {
            case REQUEST:
                return execute(parsed.request());
            case NOT_OBJECT:
                return error("json_object() failed");
            default:
                return error("cannot parse JSON");
        }
    }

    private String execute(ApiRequest request) {
        if (request.execute() == null) {
            return error("no execute found");
        }
        try {
            switch (request.execute()) {
                case "add_hostfwd":
                    return add(request);
                case "list_hostfwd":
                    return list();
                case "remove_hostfwd":
                    return remove(request);
                default:
                    return error("unknown execute");
            }
        } catch (RuntimeException e) {
            LOG.warn("bug: API request {} failed", request, e);
            return error(request.execute() + ": internal error");
        }
    }

    private String add(ApiRequest r) {
        String proto = r.string("proto");
        HostForward.Protocol protocol = "tcp".equals(proto) ? HostForward.Protocol.TCP
                : "udp".equals(proto) ? HostForward.Protocol.UDP : null;
        if (protocol == null) {
            return error("add_hostfwd: bad arguments.proto");
        }
        long hostAddr = address(r.string("host_addr"), 0);
        if (hostAddr < 0) {
            return error("add_hostfwd: bad arguments.host_addr");
        }
        int hostPort = r.wholeNumber("host_port", 1, 65535);
        if (hostPort < 0) {
            return error("add_hostfwd: bad arguments.host_port");
        }
        long guestAddr = address(r.string("guest_addr"), recommendedGuest);
        if (guestAddr < 0) {
            return error("add_hostfwd: bad arguments.guest_addr");
        }
        int guestPort = r.wholeNumber("guest_port", 1, 65535);
        if (guestPort < 0) {
            return error("add_hostfwd: bad arguments.guest_port");
        }
        HostForward forward = new HostForward(protocol, (int) hostAddr, hostPort, (int) guestAddr, guestPort);
        try {
            RunTimeForwards.add(network, forward);
        } catch (RunTimeForwards.Refused e) {
            LOG.warn("add_hostfwd {}: {}", forward, e.getMessage());
            return error("add_hostfwd: slirp_add_hostfwd failed");
        }
        int id = nextId++;
        entries.put(id, new Entry(id, forward));
        LOG.info("add_hostfwd {} as id {}", forward, id);
        return "{\"return\":{\"id\":" + id + "}}";
    }

    private String list() {
        StringBuilder s = new StringBuilder("{\"entries\":[");
        String sep = "";
        for (Entry e : entries.values()) {
            HostForward f = e.forward();
            s.append(sep).append("{\"id\":").append(e.id())
                    .append(",\"proto\":\"").append(f.protocol() == HostForward.Protocol.TCP ? "tcp" : "udp")
                    .append("\",\"host_addr\":\"").append(f.hostAddress() == null ? "0.0.0.0" : f.hostAddress())
                    .append("\",\"host_port\":").append(f.hostPort())
                    .append(",\"guest_addr\":\"").append(f.guestAddress() == null ? "0.0.0.0" : f.guestAddress())
                    .append("\",\"guest_port\":").append(f.guestPort()).append('}');
            sep = ",";
        }
        return s.append("]}").toString();
    }

    private String remove(ApiRequest r) {
        Entry e = entries.get(r.wholeNumber("id", 1, Integer.MAX_VALUE));
        if (e == null) {
            return error("remove_hostfwd: bad arguments.id");
        }
        HostForward f = e.forward();
        if (!RunTimeForwards.remove(network, f.protocol(), f.hostAddress(), f.hostPort())) {
            return error("remove_hostfwd: slirp_remove_hostfwd failed");
        }
        entries.remove(e.id());
        LOG.info("remove_hostfwd id {} ({})", e.id(), f);
        return "{\"return\":{}}";
    }

    /**
     * A dotted quad as {@code inet_pton} takes it, as an unsigned value; {@code missing}
     * for null or empty; -1 if it is no address.
     */
    private static long address(String text, int missing) {
        if (text == null || text.isEmpty()) {
            return missing & 0xffffffffL;
        }
        if (!text.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) {
            return -1;
        }
        try {
            return Ipv4Address.parse(text) & 0xffffffffL;
        } catch (IllegalArgumentException e) {
            return -1;
        }
    }

    /** slirp4netns's error object: {@code {"error":{"desc":"bad request: WHAT"}}}. */
    static String error(String what) {
        return "{\"error\":{\"desc\":\"bad request: " + what + "\"}}";
    }

    /** How many forwards the API holds. */
    int size() {
        return entries.size();
    }
}
