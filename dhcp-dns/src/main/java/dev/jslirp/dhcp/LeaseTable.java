package dev.jslirp.dhcp;

import java.util.ArrayList;
import java.util.List;

/**
 * The dynamic pool: one {@link Lease} per address, created up front, so the table
 * never grows with what a guest sends (a client that is not remembered takes over an
 * address that is free, or gets nothing). Static leases live outside (the server
 * looks them up by MAC first) and their addresses are not in the pool.
 *
 * <h2>Theory of operation</h2>
 * <p>A client is remembered on at most one lease. Expiry is lazy: an offer or lease
 * whose time has passed counts as free wherever it is looked at, so no timer is
 * needed and time is whatever {@code now} the caller passes (the network clock).
 * Choosing an address for a client follows RFC 2131 section 4.3.1: its current
 * binding, else its previous (released or expired) address if nobody took it since,
 * else the address it asks for if free, else a never-used address, else the one free
 * the longest.
 *
 * <p>Not thread-safe: used on the network's event loop only.
 */
final class LeaseTable {
    private final Lease[] leases;
    private final int first;

    /** A pool of {@code addresses}, in order of preference (lowest first). */
    LeaseTable(int[] addresses) {
        leases = new Lease[addresses.length];
        for (int i = 0; i < addresses.length; i++) {
            leases[i] = new Lease(addresses[i]);
        }
        first = addresses.length > 0 ? addresses[0] : 0;
    }

    /** Addresses in the pool. */
    int size() {
        return leases.length;
    }

    /** The lease of {@code address}, or null if it is not in the pool. */
    Lease leaseOf(int address) {
        // Addresses are ascending from `first` with a few gaps (own or static ones
        // skipped), so the index is at most (address - first): search down from there.
        long d = (address & 0xffffffffL) - (first & 0xffffffffL);
        if (d < 0) {
            return null;
        }
        for (int i = (int) Math.min(d, leases.length - 1L); i >= 0; i--) {
            if (leases[i].address == address) {
                return leases[i];
            }
        }
        return null;
    }

    /**
     * The lease remembering {@code client}: offered, bound, or free since but not
     * taken by anyone else. Null if none.
     */
    Lease forClient(ClientKey client, long now) {
        for (Lease l : leases) {
            if (client.matches(l)) {
                expireIfDue(l, now);
                return l;
            }
        }
        return null;
    }

    /**
     * Chooses an address to offer {@code client} (RFC 2131 section 4.3.1), or null if
     * the pool has none free.
     *
     * @param requested option 50 of the DISCOVER, or 0
     */
    Lease choose(ClientKey client, int requested, long now) {
        Lease mine = forClient(client, now);
        if (mine != null) {
            return mine;
        }
        if (requested != 0) {
            Lease l = leaseOf(requested);
            if (l != null && isFree(l, now)) {
                return l;
            }
        }
        Lease oldest = null;
        for (Lease l : leases) {
            if (!isFree(l, now)) {
                continue;
            }
            if (!l.owned) {
                return l;
            }
            if (oldest == null || l.freedAt - oldest.freedAt < 0) {
                oldest = l;
            }
        }
        return oldest;
    }

    /**
     * The lease of {@code address} if {@code client} may have it: it is the client's,
     * or free. Null otherwise (not in the pool, or someone else's).
     */
    Lease claimable(ClientKey client, int address, long now) {
        Lease l = leaseOf(address);
        if (l == null) {
            return null;
        }
        if (client.matches(l)) {
            expireIfDue(l, now);
            return l;
        }
        return isFree(l, now) ? l : null;
    }

    /** Holds {@code lease} for {@code client} for {@code holdNanos}, unless it is bound to it already. */
    void offer(Lease lease, ClientKey client, long now, long holdNanos) {
        expireIfDue(lease, now);
        if (lease.state == Lease.State.BOUND && client.matches(lease)) {
            return;
        }
        take(lease, client, now);
        lease.state = Lease.State.OFFERED;
        lease.expiresAt = now + holdNanos;
    }

    /** Binds {@code lease} to {@code client} for {@code leaseNanos}. */
    void bind(Lease lease, ClientKey client, long now, long leaseNanos) {
        take(lease, client, now);
        lease.state = Lease.State.BOUND;
        lease.permanent = false;
        lease.expiresAt = now + leaseNanos;
    }

    /** Binds {@code lease} to a BOOTP client for good (RFC 1534 section 2). */
    void bindPermanently(Lease lease, ClientKey client, long now) {
        take(lease, client, now);
        lease.state = Lease.State.BOUND;
        lease.permanent = true;
    }

    /** Frees {@code lease}, remembering its client so it may have it back. */
    void release(Lease lease, long now) {
        lease.state = Lease.State.FREE;
        lease.permanent = false;
        lease.freedAt = now;
    }

    /** Makes {@code lease} unusable for {@code quarantineNanos} and forgets its client. */
    void decline(Lease lease, long now, long quarantineNanos) {
        lease.state = Lease.State.DECLINED;
        lease.permanent = false;
        lease.expiresAt = now + quarantineNanos;
        lease.owned = false;
        lease.clientId = null;
    }

    /** Leases offered, bound or declined at {@code now}, for monitoring and tests. */
    List<Lease> active(long now) {
        List<Lease> out = new ArrayList<>();
        for (Lease l : leases) {
            if (l.isActive(now)) {
                out.add(l);
            }
        }
        return out;
    }

    private static boolean isFree(Lease l, long now) {
        expireIfDue(l, now);
        return l.state == Lease.State.FREE;
    }

    /** Lazy expiry: an offer, lease or quarantine past its time becomes free. */
    private static void expireIfDue(Lease l, long now) {
        if (l.state != Lease.State.FREE && !l.isActive(now)) {
            l.state = Lease.State.FREE;
            l.freedAt = l.expiresAt;
        }
    }

    /** Makes {@code lease} the client's only one: any other it was remembered on forgets it. */
    private void take(Lease lease, ClientKey client, long now) {
        for (Lease l : leases) {
            if (l != lease && client.matches(l)) {
                l.owned = false;
                l.clientId = null;
                if (l.state != Lease.State.FREE) {
                    l.state = Lease.State.FREE;
                    l.permanent = false;
                    l.freedAt = now;
                }
            }
        }
        client.storeInto(lease);
    }
}
