package dev.jslirp.slirp4netns;

import dev.jslirp.core.wire.Ipv4Address;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The addresses of a slirp4netns network, all derived from {@code --cidr} as
 * slirp4netns derives them ({@code slirp4netns_config_from_cidr} in its main.c):
 * gateway (the host) at network + 2, DNS at + 3, the first DHCP address at + 15 and
 * the address slirp4netns recommends for the namespace (the one {@code --configure}
 * gives the tap, and port forwards go to by default) at + 100.
 *
 * @param network     the network address
 * @param prefix      the prefix length, {@value #MIN_PREFIX}..{@value #MAX_PREFIX}
 * @param gateway     network + 2
 * @param dns         network + 3
 * @param dhcpStart   network + 15
 * @param recommended network + 100
 */
record SlirpAddresses(int network, int prefix, int gateway, int dns, int dhcpStart, int recommended) {
    /** slirp4netns's {@code DEFAULT_CIDR}. */
    static final String DEFAULT_CIDR = "10.0.2.0/24";
    /** slirp4netns's {@code NETWORK_PREFIX_MIN} is 1; jslirp's network needs at least 8 ({@code NetworkConfig}). */
    static final int MIN_PREFIX = 8;
    /** slirp4netns's {@code NETWORK_PREFIX_MAX}: the recommended address (+100) must fit in the network. */
    static final int MAX_PREFIX = 25;
    /** slirp4netns's {@code cidr_regex}: four decimal groups, a slash, one or two digits. */
    private static final Pattern CIDR = Pattern.compile("(([0-9]{1,3}\\.){3}[0-9]{1,3})/([0-9]{1,2})");

    /** The addresses of {@value #DEFAULT_CIDR}. */
    static SlirpAddresses defaults() {
        return parse(DEFAULT_CIDR);
    }

    /**
     * Parses {@code --cidr}, with slirp4netns's checks and messages.
     *
     * @throws UsageException naming {@code --cidr}
     */
    static SlirpAddresses parse(String cidr) {
        Matcher m = CIDR.matcher(cidr);
        if (!m.matches()) {
            throw bad(cidr, "invalid CIDR: " + cidr);
        }
        int network;
        try {
            network = Ipv4Address.parse(m.group(1));
        } catch (IllegalArgumentException e) {
            throw bad(cidr, "invalid network address: " + m.group(1));
        }
        int prefix = Integer.parseInt(m.group(3));
        if (prefix < 1 || prefix > MAX_PREFIX) {
            throw bad(cidr, "prefix length needs to be 1-" + MAX_PREFIX);
        }
        if (prefix < MIN_PREFIX) {
            throw bad(cidr, "prefix length needs to be " + MIN_PREFIX + "-" + MAX_PREFIX + " for jslirp");
        }
        if ((network & Ipv4Address.mask(prefix)) != network) {
            throw bad(cidr, "CIDR needs to be a network address like 10.0.2.0/24, not like 10.0.2.100/24");
        }
        return new SlirpAddresses(network, prefix, network + 2, network + 3, network + 15, network + 100);
    }

    private static UsageException bad(String cidr, String why) {
        return UsageException.invalid("--cidr", cidr, why);
    }

    /** The netmask. */
    int netmask() {
        return Ipv4Address.mask(prefix);
    }

    /** {@code a.b.c.d/len}. */
    String cidr() {
        return Ipv4Address.toString(network) + "/" + prefix;
    }
}
