package dev.jslirp.dns;

import io.netty.util.collection.IntObjectHashMap;
import java.util.Arrays;
import java.util.Map;

/**
 * The names the service answers itself: {@link DnsConfig#hostName()} for the gateway
 * address and the {@code --dns-record} names. Looked up by the lower-cased wire-form
 * name of a {@link DnsMessageView}, by hash then bytes, so a lookup allocates nothing.
 */
final class LocalNames {
    /** Result of {@link #lookup} when the name is not local. */
    static final long NOT_LOCAL = -1;

    private final IntObjectHashMap<Entry> byHash = new IntObjectHashMap<>();

    private static final class Entry {
        final byte[] wireName;
        final int address;
        Entry next;

        Entry(byte[] wireName, int address) {
            this.wireName = wireName;
            this.address = address;
        }
    }

    /**
     * The names of {@code config}; {@code hostAddress} is what the host name maps to.
     * A {@code --dns-record} for the host name itself wins over the default.
     */
    LocalNames(DnsConfig config, int hostAddress) {
        if (config.hostName() != null) {
            add(config.hostName(), hostAddress);
        }
        for (Map.Entry<String, Integer> r : config.records().entrySet()) {
            add(r.getKey(), r.getValue());
        }
    }

    private void add(String dotted, int address) {
        byte[] wire = DnsMessageView.toWireName(dotted);
        int h = DnsMessageView.hashName(wire, wire.length);
        Entry head = byHash.get(h);
        for (Entry e = head; e != null; e = e.next) {
            if (Arrays.equals(e.wireName, wire)) {
                head = remove(head, e);
                break;
            }
        }
        Entry added = new Entry(wire, address);
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

    /**
     * The IPv4 address of the question's name as an unsigned value, or
     * {@link #NOT_LOCAL}; the view must hold a question.
     */
    long lookup(DnsMessageView q) {
        for (Entry e = byHash.get(q.nameHash()); e != null; e = e.next) {
            if (q.nameEquals(e.wireName, e.wireName.length)) {
                return e.address & 0xffffffffL;
            }
        }
        return NOT_LOCAL;
    }

    /** True if no name is local. */
    boolean isEmpty() {
        return byHash.isEmpty();
    }
}
