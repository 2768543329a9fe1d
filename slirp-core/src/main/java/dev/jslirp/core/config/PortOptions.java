package dev.jslirp.core.config;

import java.util.Objects;

/**
 * How a port of a network's switch treats its guest, fixed when the port is attached.
 *
 * @param name       what the port is, for logs and {@code info ports}
 * @param isolated   the guest reaches the network's own addresses (gateway, DHCP, DNS,
 *                   the NAT) but no other guest, and no other guest reaches it: a private
 *                   VLAN's isolated port, the network being its promiscuous port
 * @param restricted the guest may not use the NAT: nothing it sends leaves for the host
 *                   or the world ({@code restrict=on} for this port alone)
 * @param locked     the guest may send IPv4 only from the address DHCP gave its MAC (and
 *                   0.0.0.0 while it asks): anything else is dropped as spoofed
 */
public record PortOptions(String name, boolean isolated, boolean restricted, boolean locked) {
    /** Options of a port with no restriction, named {@code name}. */
    public static PortOptions named(String name) {
        return new PortOptions(name, false, false, false);
    }

    /** Checks the name. */
    public PortOptions {
        Objects.requireNonNull(name, "name");
    }

    /** The same options under another name. */
    public PortOptions withName(String newName) {
        return new PortOptions(newName, isolated, restricted, locked);
    }

    /** The options that differ from the default, as the command line spells them ({@code isolated=on,...}), or "". */
    public String describe() {
        StringBuilder s = new StringBuilder();
        if (isolated) {
            s.append("isolated=on");
        }
        if (restricted) {
            s.append(s.length() > 0 ? "," : "").append("restrict=on");
        }
        if (locked) {
            s.append(s.length() > 0 ? "," : "").append("lock=on");
        }
        return s.toString();
    }
}
