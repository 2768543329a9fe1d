package dev.jslirp.nat;

import dev.jslirp.core.config.ConfigException;

/**
 * Which datagrams from the host reach a UDP flow the guest opened (RFC 4787 section 5,
 * "Filtering Behavior").
 */
public enum UdpFiltering {
    /**
     * From anybody: a guest port is one host socket, not connected, that every remote
     * writes to (endpoint-independent mapping and filtering), and a datagram from a host
     * or port the guest never wrote to reaches the guest from where it came. libslirp's
     * behaviour, and what a TFTP server answering from a new port, STUN or SIP need.
     * The default.
     */
    ENDPOINT("endpoint"),
    /**
     * Only from the address and port the guest sent to: one connected host socket per
     * remote (address- and port-dependent mapping and filtering, a "symmetric" NAT), so the
     * kernel drops the rest. Reads go to the guest without allocating, and ICMP port
     * unreachable is reported on every transport.
     */
    ADDRESS_PORT("address-port");

    private final String text;

    UdpFiltering(String text) {
        this.text = text;
    }

    /** The name on the command line. */
    public String text() {
        return text;
    }

    /**
     * The filtering named {@code text} ({@code endpoint} or {@code address-port}).
     *
     * @throws ConfigException naming {@code udp-filtering} otherwise
     */
    public static UdpFiltering parse(String text) {
        return OptionNames.parse(values(), UdpFiltering::text, "udp-filtering", text);
    }
}
