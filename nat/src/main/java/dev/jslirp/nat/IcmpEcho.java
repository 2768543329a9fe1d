package dev.jslirp.nat;

import dev.jslirp.core.config.ConfigException;

/** How the NAT sends the guest's echo requests (ping) to other hosts. */
public enum IcmpEcho {
    /** Unprivileged ping sockets if {@code net.ipv4.ping_group_range} allows, else raw sockets if permitted. The default. */
    AUTO("auto"),
    /** Only unprivileged ping sockets ({@code socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)}). */
    PING("ping"),
    /** Only raw sockets (needs CAP_NET_RAW). */
    RAW("raw"),
    /** Never: echo requests to other hosts are dropped and counted. */
    OFF("off");

    private final String text;

    IcmpEcho(String text) {
        this.text = text;
    }

    /** The name on the command line. */
    public String text() {
        return text;
    }

    /**
     * The mode named {@code text}.
     *
     * @throws ConfigException naming {@code icmp-echo} otherwise
     */
    public static IcmpEcho parse(String text) {
        return OptionNames.parse(values(), IcmpEcho::text, "icmp-echo", text);
    }
}
