package dev.jslirp.control;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.NatConnection;
import dev.jslirp.nat.hostfwd.HostForward.Protocol;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The layout of {@code info usernet}: QEMU's to the byte for IPv4, widened columns once an IPv6 address is wider. */
class UsernetTableTest {
    private static final IpAddress GUEST = IpAddress.parse("10.0.2.15");
    private static final IpAddress GATEWAY = IpAddress.parse("10.0.2.2");
    private static final IpAddress GUEST6 = IpAddress.parse("fec0::5054:ff:fe12:3456");
    private static final IpAddress HOST6 = IpAddress.parse("fec0::2");

    private static NatConnection tcp(IpAddress src, int srcPort, IpAddress dst, int dstPort) {
        return new NatConnection(Protocol.TCP, "ESTABLISHED", src, srcPort, dst, dstPort, 5, 0, -1);
    }

    private static NatConnection udp(IpAddress src, int srcPort, IpAddress dst, int dstPort) {
        return new NatConnection(Protocol.UDP, NatConnection.UDP_FLOW, src, srcPort, dst, dstPort, 0, 0,
                TimeUnit.SECONDS.toNanos(236));
    }

    @Test
    void ipv4TableIsQemusToTheByte() {
        List<String> lines = UsernetTable.lines("n0", List.of(
                NatConnection.listener(Protocol.TCP, null, 2222, GUEST, 22, null),
                tcp(GUEST, 40512, GATEWAY, 8080),
                udp(GUEST, 35061, GATEWAY, 5353)), 3);
        assertThat(lines).containsExactly(
                "Hub -1 (n0):",
                "  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ",
                "  TCP[HOST_FORWARD]  -1               *  2222       10.0.2.15    22     0     0",
                "  TCP[ESTABLISHED]   -1       10.0.2.15 40512        10.0.2.2  8080     5     0",
                "  UDP[236 sec]       -1       10.0.2.15 35061        10.0.2.2  5353     0     0");
        assertThat(UsernetTable.HEADER).isEqualTo(lines.get(1));
    }

    @Test
    void severalGuestsAddTheVmColumnAfterQemusEight() {
        NatConnection first = tcp(GUEST, 40512, GATEWAY, 8080);
        NatConnection second = new NatConnection(Protocol.UDP, NatConnection.UDP_FLOW, IpAddress.parse("10.0.2.16"),
                35061, GATEWAY, 5353, 0, 0, TimeUnit.SECONDS.toNanos(236), null, 2);
        List<String> lines = UsernetTable.lines("n0", List.of(
                NatConnection.listener(Protocol.TCP, null, 2222, GUEST, 22, null), first, second), 3, true);
        assertThat(lines).containsExactly(
                "Hub -1 (n0):",
                "  Protocol[State]    FD  Source Address  Port   Dest. Address  Port RecvQ SendQ    VM",
                "  TCP[HOST_FORWARD]  -1               *  2222       10.0.2.15    22     0     0     -",
                "  TCP[ESTABLISHED]   -1       10.0.2.15 40512        10.0.2.2  8080     5     0     -",
                "  UDP[236 sec]       -1       10.0.2.16 35061        10.0.2.2  5353     0     0     2");
    }

    @Test
    void anIpv6AddressWiderThanFifteenWidensBothAddressColumnsOfTheWholeTable() {
        List<String> lines = UsernetTable.lines("n0", List.of(
                NatConnection.listener(Protocol.TCP, IpAddress.V6_LOOPBACK, 2222, IpAddress.parse("fec0::15"), 22, null),
                tcp(GUEST6, 40512, HOST6, 8080),
                tcp(GUEST, 40514, GATEWAY, 8080),
                udp(GUEST6, 35061, IpAddress.parse("fec0::3"), 53)), 5);
        assertThat(lines).containsExactly(
                "Hub -1 (n0):",
                "  Protocol[State]    FD          Source Address  Port           Dest. Address  Port RecvQ SendQ",
                "  TCP[HOST_FORWARD]  -1                     ::1  2222                fec0::15    22     0     0",
                "  TCP[ESTABLISHED]   -1 fec0::5054:ff:fe12:3456 40512                 fec0::2  8080     5     0",
                "  TCP[ESTABLISHED]   -1               10.0.2.15 40514                10.0.2.2  8080     5     0",
                "  UDP[236 sec]       -1 fec0::5054:ff:fe12:3456 35061                 fec0::3    53     0     0",
                "  (1 more not listed)");
    }

    /** The widest address there is (39 characters) still lines up, and a script splitting on spaces finds the same fields. */
    @Test
    void theLongestIpv6AddressKeepsColumnsAlignedAndFieldsInPlace() {
        IpAddress longest = IpAddress.parse("fec0:1234:5678:9abc:def0:1234:5678:9abc");
        List<String> lines = UsernetTable.lines("n0", List.of(tcp(longest, 1, HOST6, 2), tcp(GUEST, 3, GATEWAY, 4)), 2);
        String header = lines.get(1);
        int sourceEnd = header.indexOf("Source Address") + "Source Address".length();
        int destEnd = header.indexOf("Dest. Address") + "Dest. Address".length();
        for (String row : lines.subList(2, 4)) {
            assertThat(row).hasSameSizeAs(header);
            String[] f = row.trim().split(" +");
            assertThat(f).hasSize(8);
            assertThat(row.substring(0, sourceEnd)).endsWith(f[2]);
            assertThat(row.substring(0, destEnd)).endsWith(f[4]);
        }
        assertThat(lines.get(2).trim().split(" +")).containsExactly("TCP[ESTABLISHED]", "-1", longest.toString(), "1",
                "fec0::2", "2", "5", "0");
    }

    /** A unix listener's path and a guest forward's target take an address column, widened like an address, with - for the port. */
    @Test
    void unixPathsAndGuestForwardTargetsTakeTheAddressColumnWithADashForThePort() {
        List<String> lines = UsernetTable.lines("n0", List.of(
                NatConnection.listener(Protocol.UNIX, null, 0, GUEST, 22, java.nio.file.Path.of("/run/vm/ssh.sock")),
                NatConnection.guestForward(IpAddress.parse("10.0.2.100"), 1234,
                        new dev.jslirp.nat.HostTarget.Unix(java.nio.file.Path.of("/run/a.sock")))), 2);
        assertThat(lines.get(1)).isEqualTo(
                "  Protocol[State]    FD        Source Address  Port         Dest. Address  Port RecvQ SendQ");
        assertThat(lines.get(2).trim().split(" +")).containsExactly("UNIX[HOST_FORWARD]", "-1",
                "unix:/run/vm/ssh.sock", "-", "10.0.2.15", "22", "0", "0");
        assertThat(lines.get(3).trim().split(" +")).containsExactly("TCP[GUEST_FORWARD]", "-1", "10.0.2.100", "1234",
                "unix:/run/a.sock", "-", "0", "0");
        // The state names are one wider than libslirp's first column (as in QEMU): the rest shifts by one.
        int destEnd = lines.get(1).indexOf("Dest. Address") + "Dest. Address".length();
        assertThat(lines.get(3).substring(0, destEnd + 1)).endsWith("unix:/run/a.sock");
    }
}
