package dev.jslirp.dhcp;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which addresses the server may give: static leases by MAC, checked against the
 * network, and the dynamic pool of {@code poolSize} addresses from {@code dhcpstart}
 * without the network's own addresses, its network and broadcast addresses, anything
 * outside it, and the static ones. Built once at start; read-only after.
 */
final class AddressPlan {
    private final NetworkConfig net;
    private final long[] staticMacs;
    private final int[] staticAddresses;
    private final int[] pool;

    /**
     * @throws ConfigException ({@code dhcp-static}) for a static address outside the
     *         network, on one of its own addresses, or given to two MACs
     */
    AddressPlan(NetworkConfig net, DhcpConfig config) {
        this.net = net;
        Map<Long, Integer> statics = config.staticLeases();
        staticMacs = new long[statics.size()];
        staticAddresses = new int[statics.size()];
        Set<Integer> seen = new HashSet<>();
        int i = 0;
        for (Map.Entry<Long, Integer> e : statics.entrySet()) {
            int a = e.getValue();
            String where = MacAddress.toString(e.getKey()) + "=" + Ipv4Address.toString(a);
            if (!isAssignable(a)) {
                throw new ConfigException("dhcp-static", where + ": expected an address inside "
                        + Ipv4Address.toString(net.network()) + "/" + net.prefixLength()
                        + " other than its network, broadcast, host and DNS addresses");
            }
            if (!seen.add(a)) {
                throw new ConfigException("dhcp-static", where + ": address given to two MACs");
            }
            staticMacs[i] = e.getKey();
            staticAddresses[i] = a;
            i++;
        }
        int[] candidates = new int[config.poolSize()];
        int n = 0;
        for (int k = 0; k < config.poolSize(); k++) {
            int a = net.dhcpStart() + k;
            if (isAssignable(a) && !seen.contains(a)) {
                candidates[n++] = a;
            }
        }
        pool = Arrays.copyOf(candidates, n);
    }

    /** The dynamic pool, ascending. */
    int[] pool() {
        return pool.clone();
    }

    /** The static address of {@code mac}, or 0. */
    int staticAddressOf(long mac) {
        for (int i = 0; i < staticMacs.length; i++) {
            if (staticMacs[i] == mac) {
                return staticAddresses[i];
            }
        }
        return 0;
    }

    /** An address a client may hold: inside the network, and not one the network uses itself. */
    boolean isAssignable(int a) {
        return net.inNetwork(a) && a != net.network() && a != net.broadcast() && !net.isOwnAddress(a);
    }
}
