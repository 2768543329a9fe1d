package dev.jslirp.dns;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.IpAddress;
import io.netty.util.collection.IntObjectHashMap;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The names the service answers itself: {@link DnsConfig#hostName()} for the host
 * (gateway) addresses, an A record of the IPv4 one and an AAAA record of the IPv6 one
 * for each family the network serves, and the {@code --dns-record} names with their A
 * and AAAA records. Looked up by the lower-cased wire-form name of a
 * {@link DnsMessageView}, by hash then bytes, so a lookup allocates nothing.
 */
final class LocalNames {
    private final IntObjectHashMap<Entry> byHash = new IntObjectHashMap<>();

    /** A local name and its addresses: each null if the name has no record of that family. */
    static final class Entry {
        final byte[] wireName;
        final IpAddress ipv4;
        final IpAddress ipv6;
        Entry next;

        Entry(byte[] wireName, IpAddress ipv4, IpAddress ipv6) {
            this.wireName = wireName;
            this.ipv4 = ipv4;
            this.ipv6 = ipv6;
        }
    }

    /**
     * The names of {@code config} on network {@code net}. A {@code --dns-record} for the
     * host name itself replaces the default (both families).
     */
    LocalNames(DnsConfig config, NetworkConfig net) {
        if (config.hostName() != null) {
            add(config.hostName(), net.ipv4() ? net.hostAddress() : null, net.ipv6() ? net.ipv6Host() : null);
        }
        for (Map.Entry<String, List<IpAddress>> r : config.records().entrySet()) {
            IpAddress v4 = null;
            IpAddress v6 = null;
            for (IpAddress a : r.getValue()) {
                if (a.isIpv4()) {
                    v4 = a;
                } else {
                    v6 = a;
                }
            }
            add(r.getKey(), v4, v6);
        }
    }

    private void add(String dotted, IpAddress ipv4, IpAddress ipv6) {
        byte[] wire = DnsMessageView.toWireName(dotted);
        int h = DnsMessageView.hashName(wire, wire.length);
        Entry head = byHash.get(h);
        for (Entry e = head; e != null; e = e.next) {
            if (Arrays.equals(e.wireName, wire)) {
                head = remove(head, e);
                break;
            }
        }
        Entry added = new Entry(wire, ipv4, ipv6);
        added.next = head;
        byHash.put(h, added);
    }

    private static Entry remove(Entry head, Entry victim) {
        if (head == victim) {
            return head.next;
        }
        for (Entry e = head; e.next != null; e = e.next) {
            if (e.next == victim) {
                e.next = victim.next;
                break;
            }
        }
        return head;
    }

    /** The local entry of the question's name, or null if the name is not local; the view must hold a question. */
    Entry lookup(DnsMessageView q) {
        for (Entry e = byHash.get(q.nameHash()); e != null; e = e.next) {
            if (q.nameEquals(e.wireName, e.wireName.length)) {
                return e;
            }
        }
        return null;
    }

    /** True if no name is local. */
    boolean isEmpty() {
        return byHash.isEmpty();
    }
}
