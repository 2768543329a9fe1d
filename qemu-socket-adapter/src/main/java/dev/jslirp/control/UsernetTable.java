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
 *   Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ
 *   TCP[HOST_FORWARD]  -1               *  2222       10.0.2.15    22     0     0
 *   TCP[ESTABLISHED]   -1       10.0.2.15 40512        10.0.2.2  8080     0     0
 *   UDP[236 sec]       -1       10.0.2.15 35061        10.0.2.2  5353     0     0
 * </pre>
 *
 * <p>While several guests share the network, one more column is jslirp's: {@code VM}, the
 * port of the guest each flow belongs to (the numbers {@code info ports} lists), {@code -}
 * for listeners and forwards' flows no guest answered yet; a script reading QEMU's eight
 * columns reads them unchanged. With one guest, the QEMU drop-in case, the table is
 * QEMU's to the byte.
 *
 * <p>The FD column is -1 (libslirp's value for a socket without a descriptor): jslirp's
 * sockets are Netty channels whose descriptors it does not expose. {@code *} stands for
 * all addresses. What each column holds for each kind of row: {@link NatConnection}.
 *
 * <h2>IPv6</h2>
 * <p>libslirp's address columns are 15 characters wide ({@code %15s}), enough for any
 * IPv4 address but not for most IPv6 ones (up to 39), and libslirp itself prints IPv6
 * sockets wrongly (their IPv4 fields), so there is no layout of QEMU's to follow. While
 * every address fits, the table is QEMU's to the byte. When one is wider, both address
 * columns of the whole table, header included, widen to the longest address listed,
 * still right-aligned: the columns stay aligned for a reader, and every row keeps the
 * same whitespace-separated fields in the same order for a script (an IPv6 address has
 * no spaces; its port stays in the port column, so no brackets). A unix socket path or a
 * guest forward's target in an address column widens it the same way.
 *
 * <pre>
 * Hub -1 (n0):
 *   Protocol[State]    FD          Source Address  Port           Dest. Address  Port RecvQ SendQ
 *   TCP[HOST_FORWARD]  -1                     ::1  2222                fec0::15    22     0     0
 *   TCP[ESTABLISHED]   -1 fec0::5054:ff:fe12:3456 40512                 fec0::2  8080     5     0
 *   TCP[ESTABLISHED]   -1               10.0.2.15 40514                10.0.2.2  8080     5     0
 * </pre>
 */
final class UsernetTable {
    /** libslirp's width of the address columns. */
    private static final int ADDRESS_WIDTH = 15;
    /** The column header, as libslirp writes it. */
    static final String HEADER = header(ADDRESS_WIDTH, false);

    private UsernetTable() {
    }

    /**
     * The lines for {@code rows} of a network with netdev id {@code id}; {@code total}
     * is how many rows there are in all, the rest being reported as not listed.
     */
    static List<String> lines(String id, List<NatConnection> rows, int total) {
        return lines(id, rows, total, false);
    }

    /** {@link #lines(String, List, int)}, with the {@code VM} column if {@code withPorts}. */
    static List<String> lines(String id, List<NatConnection> rows, int total, boolean withPorts) {
        int width = ADDRESS_WIDTH;
        for (NatConnection c : rows) {
            width = Math.max(width, Math.max(source(c).length(), destination(c).length()));
        }
        List<String> out = new ArrayList<>(rows.size() + 3);
        // QEMU prints the hub a netdev is on, -1 for none: a -netdev with its own -device has none.
        out.add("Hub -1 (" + id + "):");
        out.add(header(width, withPorts));
        for (NatConnection c : rows) {
            out.add(row(c, width, withPorts));
        }
        if (total > rows.size()) {
            out.add("  (" + (total - rows.size()) + " more not listed)");
        }
        return out;
    }

    /** The header with address columns {@code width} wide (QEMU's for 15). */
    static String header(int width, boolean withPorts) {
        String h = format(width, "  Protocol[State]", "FD", "Source Address", "Port", "Dest. Address", "Port", "RecvQ",
                "SendQ");
        return withPorts ? h + String.format(Locale.ROOT, " %5s", "VM") : h;
    }

    /**
     * One row with address columns {@code width} wide: libslirp's
     * {@code "%-19s %3d %15s %5d %15s %5d %5d %5d"} for 15. A host end that no address and
     * port say (a unix socket listener's {@code unix:PATH}, a guest forward's target) takes
     * the address column, and {@code -} its port.
     */
    static String row(NatConnection c, int width, boolean withPorts) {
        String proto = c.protocol().name();
        String state = c.protocol() == HostForward.Protocol.UDP && !c.isListener()
                ? TimeUnit.NANOSECONDS.toSeconds(c.expiresInNanos()) + " sec" : c.state();
        String r = format(width, "  " + proto + "[" + state + "]", -1, source(c), sourcePort(c), destination(c),
                destinationPort(c), c.receiveQueue(), c.sendQueue());
        return withPorts ? r + String.format(Locale.ROOT, " %5s", c.guestPort() == 0 ? "-" : Integer.toString(c.guestPort()))
                : r;
    }

    private static boolean hostEndIsDestination(NatConnection c) {
        return c.hostEnd() != null && NatConnection.GUEST_FORWARD.equals(c.state());
    }

    private static String source(NatConnection c) {
        if (c.hostEnd() != null && !hostEndIsDestination(c)) {
            return c.hostEnd();
        }
        return c.sourceAddress() == null ? "*" : c.sourceAddress().toString();
    }

    private static String sourcePort(NatConnection c) {
        return c.hostEnd() != null && !hostEndIsDestination(c) ? "-" : Integer.toString(c.sourcePort());
    }

    private static String destination(NatConnection c) {
        return hostEndIsDestination(c) ? c.hostEnd() : String.valueOf(c.destinationAddress());
    }

    private static String destinationPort(NatConnection c) {
        return hostEndIsDestination(c) ? "-" : Integer.toString(c.destinationPort());
    }

    private static String format(int width, Object... columns) {
        return String.format(Locale.ROOT, "%-19s %3s %" + width + "s %5s %" + width + "s %5s %5s %5s", columns);
    }
}
