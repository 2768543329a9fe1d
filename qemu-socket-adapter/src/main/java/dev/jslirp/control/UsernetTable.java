package dev.jslirp.control;

import dev.jslirp.nat.NatConnection;
import dev.jslirp.nat.hostfwd.HostForward;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The text of {@code info usernet}, laid out as QEMU prints it (the {@code Hub} line of
 * QEMU's {@code hmp_info_usernet}, then libslirp's {@code slirp_connection_info}), so
 * scripts that read QEMU's table read jslirp's:
 *
 * <pre>
 * Hub -1 (n0):
 *   Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ    VM
 *   TCP[HOST_FORWARD]  -1               *  2222       10.0.2.15    22     0     0     -
 *   TCP[ESTABLISHED]   -1       10.0.2.15 40512        10.0.2.2  8080     0     0     1
 *   UDP[236 sec]       -1       10.0.2.15 35061        10.0.2.2  5353     0     0     2
 * </pre>
 *
 * <p>One column is jslirp's: {@code VM}, the port of the guest each flow belongs to (the
 * numbers {@code info ports} lists), {@code -} for listeners and forwards' flows no guest
 * answered yet; a script reading QEMU's eight columns reads them unchanged.
 *
 * <p>The FD column is -1 (libslirp's value for a socket without a descriptor): jslirp's
 * sockets are Netty channels whose descriptors it does not expose. {@code *} stands for
 * all addresses. What each column holds for each kind of row: {@link NatConnection}.
 */
final class UsernetTable {
    /** The column header, as libslirp writes it. */
    static final String HEADER = "  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ    VM";

    private UsernetTable() {
    }

    /**
     * The lines for {@code rows} of a network with netdev id {@code id}; {@code total}
     * is how many rows there are in all, the rest being reported as not listed.
     */
    static List<String> lines(String id, List<NatConnection> rows, int total) {
        List<String> out = new ArrayList<>(rows.size() + 3);
        // QEMU prints the hub a netdev is on, -1 for none: a -netdev with its own -device has none.
        out.add("Hub -1 (" + id + "):");
        out.add(HEADER);
        for (NatConnection c : rows) {
            out.add(row(c));
        }
        if (total > rows.size()) {
            out.add("  (" + (total - rows.size()) + " more not listed)");
        }
        return out;
    }

    /** One row: libslirp's {@code "%-19s %3d %15s %5d %15s %5d %5d %5d"}. */
    static String row(NatConnection c) {
        String proto = c.protocol().name();
        String state = c.protocol() == HostForward.Protocol.UDP && !c.isListener()
                ? TimeUnit.NANOSECONDS.toSeconds(c.expiresInNanos()) + " sec" : c.state();
        String source = c.sourceAddress() == null ? "*" : c.sourceAddress().toString();
        return String.format(Locale.ROOT, "%-19s %3d %15s %5d %15s %5d %5d %5d %5s", "  " + proto + "[" + state + "]", -1,
                source, c.sourcePort(), c.destinationAddress(), c.destinationPort(), c.receiveQueue(), c.sendQueue(),
                c.guestPort() == 0 ? "-" : Integer.toString(c.guestPort()));
    }
}
