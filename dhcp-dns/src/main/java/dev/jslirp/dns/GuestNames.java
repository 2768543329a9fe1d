package dev.jslirp.dns;

import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import io.netty.util.collection.IntObjectHashMap;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The guests' DNS names, from their DHCP leases, as dnsmasq keeps them for a libvirt
 * network: the DHCP server registers the host name a client gave (option 12 or 81) with
 * the address it granted, until the lease ends; the DNS service answers {@code NAME} and
 * {@code NAME.DOMAIN} with that address (A), and the address's reverse name
 * ({@code d.c.b.a.in-addr.arpa}) with {@code NAME.DOMAIN} (PTR), so the guests find each
 * other by name.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>A name belongs to one client (MAC) at a time: another client's lease with the
 *       same name does not take it while the first is valid (dnsmasq: "not giving name
 *       ... to the DHCP lease of ... because the name exists"); a client renaming itself
 *       gives its old name up.</li>
 *   <li>An address has at most one name; a lease's end (release, decline, expiry) ends
 *       it. Expiry is lazy: lookups compare with the network clock.</li>
 *   <li>Bounded by the leases: one entry per address of the pool and of the static
 *       leases, and nothing a guest sends adds more.</li>
 * </ul>
 * The names the operator configured ({@code --dns-record}, the host name) are looked up
 * first and win over a guest's.
 *
 * <p>Lookups from DNS questions go by the question's lower-cased wire-form name and
 * allocate nothing. Confined to the network's event loop, where both services run.
 */
public final class GuestNames {
    /** One name and the lease it comes from. */
    private static final class Entry {
        final String name;
        final int address;
        /** The address as the DNS answer writes it, made once per lease, not per query. */
        final IpAddress ip;
        final long mac;
        long expiresAt;
        final byte[] bare;
        final byte[] qualified;
        final byte[] reverse;

        Entry(String name, int address, long mac, long expiresAt, String domain) {
            this.name = name;
            this.address = address;
            this.ip = IpAddress.ipv4(address);
            this.mac = mac;
            this.expiresAt = expiresAt;
            this.bare = DnsMessageView.toWireName(name);
            this.qualified = domain == null ? null : DnsMessageView.toWireName(name + "." + domain);
            this.reverse = DnsMessageView.toWireName(reverseName(address));
        }

        boolean validAt(long now) {
            return expiresAt - now > 0;
        }

        /** The name a PTR answer gives: qualified if there is a domain. */
        byte[] target() {
            return qualified != null ? qualified : bare;
        }
    }

    /** What {@link #register} did. */
    public enum Registration {
        /** The name is the client's now (or was already). */
        REGISTERED,
        /** Another client's valid lease has the name: not registered. */
        IN_USE,
    }

    private final String domain;
    private final Map<String, Entry> byName = new HashMap<>();
    private final IntObjectHashMap<Entry> byAddress = new IntObjectHashMap<>();
    /** Entries by the hash of each wire-form name they answer (bare, qualified, reverse). */
    private final IntObjectHashMap<Object> byWireHash = new IntObjectHashMap<>();

    /**
     * Names under {@code domain} (lower case, no trailing dot), or bare names only if null:
     * QEMU's {@code domainname=}, which DHCP also gives the guests.
     */
    public GuestNames(String domain) {
        this.domain = domain == null || domain.isEmpty() ? null : domain.toLowerCase(Locale.ROOT);
    }

    /** The domain guest names are qualified with, or null. */
    public String domain() {
        return domain;
    }

    /**
     * Registers {@code name} (a lower-case DNS label) for the client {@code mac} at
     * {@code address} until {@code expiresAt} (network clock; {@link Long#MAX_VALUE} for
     * good). Replaces what the address or the client had.
     */
    public Registration register(String name, int address, long mac, long expiresAt, long now) {
        Entry held = byName.get(name);
        if (held != null && held.mac != mac && held.validAt(now)) {
            return Registration.IN_USE;
        }
        if (held != null) {
            remove(held);
        }
        Entry old = byAddress.get(address);
        if (old != null) {
            remove(old);
        }
        // The client's other name, if it renamed itself or moved to another address.
        for (Entry e : byName.values().toArray(new Entry[0])) {
            if (e.mac == mac) {
                remove(e);
            }
        }
        Entry e = new Entry(name, address, mac, expiresAt, domain);
        byName.put(name, e);
        byAddress.put(address, e);
        index(e.bare, e);
        if (e.qualified != null) {
            index(e.qualified, e);
        }
        index(e.reverse, e);
        return Registration.REGISTERED;
    }

    /** The lease of {@code address} ended: its name goes. */
    public void forget(int address) {
        Entry e = byAddress.get(address);
        if (e != null) {
            remove(e);
        }
    }

    /** The name of {@code address}'s lease at {@code now}, or null. */
    public String nameOf(int address, long now) {
        Entry e = byAddress.get(address);
        return e != null && e.validAt(now) ? e.name : null;
    }

    /** The address of the guest named {@code name} (bare or qualified, any case) at {@code now}, or 0. */
    public int addressOf(String name, long now) {
        String n = name.toLowerCase(Locale.ROOT);
        if (domain != null && n.endsWith("." + domain)) {
            n = n.substring(0, n.length() - domain.length() - 1);
        }
        Entry e = byName.get(n);
        return e != null && e.validAt(now) ? e.address : 0;
    }

    /** The (IPv4) address of the guest the question names, or null. */
    IpAddress lookupAddress(DnsMessageView q, long now) {
        Entry e = find(q, now, false);
        return e == null ? null : e.ip;
    }

    /** The wire-form name the question's reverse name points to, or null. */
    byte[] lookupPointer(DnsMessageView q, long now) {
        Entry e = find(q, now, true);
        return e == null ? null : e.target();
    }

    private Entry find(DnsMessageView q, long now, boolean reverse) {
        Object o = byWireHash.get(q.nameHash());
        if (o == null) {
            return null;
        }
        if (o instanceof Entry one) {
            return answers(one, q, now, reverse) ? one : null;
        }
        for (Entry e : (Entry[]) o) {
            if (answers(e, q, now, reverse)) {
                return e;
            }
        }
        return null;
    }

    private static boolean answers(Entry e, DnsMessageView q, long now, boolean reverse) {
        if (!e.validAt(now)) {
            return false;
        }
        return reverse ? q.nameEquals(e.reverse, e.reverse.length)
                : q.nameEquals(e.bare, e.bare.length)
                        || (e.qualified != null && q.nameEquals(e.qualified, e.qualified.length));
    }

    private void index(byte[] wire, Entry e) {
        int h = DnsMessageView.hashName(wire, wire.length);
        Object o = byWireHash.get(h);
        if (o == null) {
            byWireHash.put(h, e);
        } else if (o instanceof Entry one) {
            byWireHash.put(h, new Entry[] {one, e});
        } else {
            Entry[] a = (Entry[]) o;
            Entry[] b = java.util.Arrays.copyOf(a, a.length + 1);
            b[a.length] = e;
            byWireHash.put(h, b);
        }
    }

    private void unindex(byte[] wire, Entry e) {
        int h = DnsMessageView.hashName(wire, wire.length);
        Object o = byWireHash.get(h);
        if (o == e) {
            byWireHash.remove(h);
        } else if (o instanceof Entry[] a) {
            Entry[] b = java.util.Arrays.stream(a).filter(x -> x != e).toArray(Entry[]::new);
            byWireHash.put(h, b.length == 1 ? b[0] : b);
        }
    }

    private void remove(Entry e) {
        byName.remove(e.name, e);
        byAddress.remove(e.address, e);
        unindex(e.bare, e);
        if (e.qualified != null) {
            unindex(e.qualified, e);
        }
        unindex(e.reverse, e);
    }

    /** {@code d.c.b.a.in-addr.arpa} for {@code a.b.c.d} (RFC 1035 section 3.5). */
    static String reverseName(int address) {
        return (address & 0xff) + "." + ((address >>> 8) & 0xff) + "." + ((address >>> 16) & 0xff) + "."
                + (address >>> 24) + ".in-addr.arpa";
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("guest names");
        byName.values().forEach(e -> s.append(' ').append(e.name).append('=').append(Ipv4Address.toString(e.address)));
        return s.toString();
    }
}
