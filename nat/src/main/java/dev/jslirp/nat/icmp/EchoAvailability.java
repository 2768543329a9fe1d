package dev.jslirp.nat.icmp;

import dev.jslirp.nat.IcmpEcho;
import dev.jslirp.nat.linux.IcmpSockets;
import dev.jslirp.nat.linux.NativeSockets;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Which kind of ICMP socket a family gets, decided once at start-up by opening one of
 * each kind allowed ({@link IcmpSockets#probe}), and the words the start-up log says it
 * with. A family without either is off, and the reason is kept for the counter that
 * counts the requests dropped for it.
 *
 * @param kind   the kind of socket, or null if the family is off
 * @param reason why it is off: {@link IcmpCounter#DROPPED_NOT_PERMITTED},
 *               {@link IcmpCounter#DROPPED_UNSUPPORTED} or {@link IcmpCounter#DROPPED_OFF};
 *               null if on
 * @param why    the reason in words, for the log; null if on
 */
record EchoAvailability(IcmpSockets.Kind kind, IcmpCounter reason, String why) {
    /** The sysctl that lets a group open ping sockets (both families; ip(7), icmp(7)). */
    static final String SYSCTL = "net.ipv4.ping_group_range";
    private static final Path RANGE = Path.of("/proc/sys/net/ipv4/ping_group_range");

    static EchoAvailability off(IcmpCounter reason, String why) {
        return new EchoAvailability(null, reason, why);
    }

    /** What {@code mode} gives the family here; opens and closes a socket or two. Linux with epoll only. */
    static EchoAvailability probe(IcmpEcho mode, boolean ipv6) {
        boolean denied = false;
        for (IcmpSockets.Kind kind : kinds(mode)) {
            int errno = IcmpSockets.probe(ipv6, kind);
            if (errno == 0) {
                return new EchoAvailability(kind, null, null);
            }
            denied |= NativeSockets.isPermissionDenied(errno);   // EACCES: ping_group_range; EPERM: no CAP_NET_RAW
        }
        if (!denied) {
            return off(IcmpCounter.DROPPED_UNSUPPORTED, "the host has no ICMP sockets of this family");
        }
        String ping = "unprivileged ICMP sockets are not allowed by " + SYSCTL + " = " + pingGroupRange();
        String raw = "raw sockets need CAP_NET_RAW";
        return off(IcmpCounter.DROPPED_NOT_PERMITTED,
                mode == IcmpEcho.PING ? ping + " (--icmp-echo ping)" : mode == IcmpEcho.RAW ? raw + " (--icmp-echo raw)"
                        : ping + " and " + raw);
    }

    private static List<IcmpSockets.Kind> kinds(IcmpEcho mode) {
        switch (mode) {
            case PING:
                return List.of(IcmpSockets.Kind.PING);
            case RAW:
                return List.of(IcmpSockets.Kind.RAW);
            case AUTO:
                return List.of(IcmpSockets.Kind.PING, IcmpSockets.Kind.RAW);
            default:
                return List.of();
        }
    }

    /** True if echo requests of the family go out. */
    boolean isOn() {
        return kind != null;
    }

    /**
     * The sysctl's current value and this process's group, for the log line that names it:
     * {@code "1 0" (jslirp's group is 0)}. Reads two small files of /proc, once, at start-up.
     */
    static String pingGroupRange() {
        String range;
        try {
            range = Files.readAllLines(RANGE).get(0).trim().replaceAll("\\s+", " ");
        } catch (IOException | RuntimeException e) {
            return "(unreadable)";
        }
        String gid = "?";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Gid:")) {
                    gid = line.substring(4).trim().split("\\s+")[1];   // the effective group
                }
            }
        } catch (IOException | RuntimeException e) {
            // keep "?"
        }
        return "\"" + range + "\" (jslirp's group is " + gid + ")";
    }
}
