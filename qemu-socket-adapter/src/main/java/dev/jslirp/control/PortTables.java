package dev.jslirp.control;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.iface.PortStatus;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.dhcp.LeaseInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The text of {@code info leases} (as libvirt's {@code net-dhcp-leases} lists dnsmasq's
 * leases) and {@code info ports} (the switch's ports, one guest each). Call on the
 * network's event loop, where the lease table and the switch live.
 *
 * <pre>
 *   MAC                Address          Hostname         Expires  Port
 *   52:54:00:12:34:56  10.0.2.15        vm1              3587 s      1
 *
 *   Port  MAC                Frames in    Bytes in  Frames out   Bytes out  Drops in Drops out   Queue State Options   Transport
 *      1  52:54:00:12:34:56         10        1204          12        1500         0         0       0 ok    -         stream unix:/tmp/j.sock
 * </pre>
 */
final class PortTables {
    static final String LEASES_HEADER = "  MAC                Address          Hostname         Expires  Port";
    static final String PORTS_HEADER = "  Port  MAC                Frames in    Bytes in  Frames out   Bytes out  Drops in"
            + " Drops out   Queue State Options   Transport";

    private PortTables() {
    }

    /** {@code info leases}: each lease, with the port its address is on now ({@code -}: no guest has it). */
    static List<String> leases(JslirpNetwork network) {
        List<String> out = new ArrayList<>();
        out.add(LEASES_HEADER);
        for (LeaseInfo l : network.dhcp().leases()) {
            GuestPort p = network.guest().portOf(IpAddress.ipv4(l.address()));
            String expires = l.remainingSeconds() < 0 ? "never" : l.remainingSeconds() + " s";
            out.add(String.format(Locale.ROOT, "  %-17s  %-15s  %-15s %8s %5s", l.mac() == 0 ? "-"
                    : MacAddress.toString(l.mac()), Ipv4Address.toString(l.address()),
                    l.hostname() == null ? "-" : l.hostname(), l.state().equals("BOUND") || l.state().equals("STATIC")
                            ? expires : l.state().toLowerCase(Locale.ROOT), p == null ? "-" : Integer.toString(p.id())));
        }
        return out;
    }

    /** {@code info ports}: each port of the network's switch. */
    static List<String> ports(JslirpNetwork network) {
        List<String> out = new ArrayList<>();
        out.add(PORTS_HEADER);
        for (PortStatus p : network.guest().ports()) {
            String options = p.options().describe();
            out.add(String.format(Locale.ROOT, "  %4d  %-17s %10d %11d %11d %11d %9d %9d %7s %-5s %-9s %s", p.id(),
                    p.mac() == 0 ? "-" : MacAddress.toString(p.mac()), p.framesIn(), p.bytesIn(), p.framesOut(),
                    p.bytesOut(), p.dropsIn(), p.dropsOut(), p.queuedBytes() < 0 ? "-" : Long.toString(p.queuedBytes()),
                    p.writable() ? "ok" : "full", options.isEmpty() ? "-" : options, p.name()));
        }
        return out;
    }
}
