package dev.jslirp.dhcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

/** The pool's choices and lazy expiry, with time passed in (no network needed). */
class LeaseTableTest {
    static final long SECOND = 1_000_000_000L;
    final LeaseTable table = new LeaseTable(new int[] {100, 101, 102, 104});
    final ClientKey key = new ClientKey();

    ClientKey client(long mac) {
        return key.set(mac);
    }

    @Test
    void leaseOfFindsAddressesAcrossGapsAndRejectsOthers() {
        assertThat(table.leaseOf(100).address).isEqualTo(100);
        assertThat(table.leaseOf(104).address).isEqualTo(104);
        assertThat(table.leaseOf(103)).isNull();
        assertThat(table.leaseOf(99)).isNull();
        assertThat(table.leaseOf(200)).isNull();
        assertThat(table.leaseOf(-5)).isNull();
    }

    @Test
    void newClientsGetLowestUnusedAddressFirst() {
        Lease a = table.choose(client(1), 0, 0);
        table.bind(a, client(1), 0, 100 * SECOND);
        Lease b = table.choose(client(2), 0, 0);
        assertThat(a.address).isEqualTo(100);
        assertThat(b.address).isEqualTo(101);
    }

    @Test
    void freedAddressesAreReusedLeastRecentlyFreedFirstOnlyWhenNoUnusedOneIsLeft() {
        for (int i = 0; i < 4; i++) {
            Lease l = table.choose(client(i), 0, 0);
            table.bind(l, client(i), 0, 100 * SECOND);
        }
        table.release(table.forClient(client(2), 5), 5 * SECOND);
        table.release(table.forClient(client(0), 6), 6 * SECOND);
        assertThat(table.choose(client(9), 0, 7 * SECOND).address).isEqualTo(102);
    }

    @Test
    void expiryIsLazyAndKeepsTheClientRemembered() {
        Lease l = table.choose(client(1), 0, 0);
        table.bind(l, client(1), 0, 10 * SECOND);
        assertThat(table.active(9 * SECOND)).containsExactly(l);
        assertThat(table.active(10 * SECOND)).isEmpty();
        assertThat(table.forClient(client(1), 11 * SECOND)).isSameAs(l);
        assertThat(l.state).isEqualTo(Lease.State.FREE);
    }

    @Test
    void clientIsRememberedOnOneLeaseOnly() {
        Lease a = table.claimable(client(1), 100, 0);
        table.bind(a, client(1), 0, 10 * SECOND);
        Lease b = table.claimable(client(1), 102, 0);
        table.bind(b, client(1), 0, 10 * SECOND);
        assertThat(a.state).isEqualTo(Lease.State.FREE);
        assertThat(a.owned).isFalse();
        assertThat(table.forClient(client(1), 1)).isSameAs(b);
    }

    @Test
    void clientIdDistinguishesClientsBehindOneMac() {
        ByteBuf ids = Unpooled.wrappedBuffer(new byte[] {1, 2, 3, 1, 2, 4});
        try {
            ClientKey x = new ClientKey().set(7, ids, 0, 3);
            ClientKey y = new ClientKey().set(7, ids, 3, 3);
            Lease lx = table.choose(x, 0, 0);
            table.bind(lx, x, 0, 10 * SECOND);
            assertThat(table.forClient(y, 0)).isNull();
            assertThat(table.forClient(new ClientKey().set(7), 0)).isNull();
            assertThat(table.forClient(new ClientKey().set(8, ids, 0, 3), 0)).isSameAs(lx);
            assertThat(lx.clientId).containsExactly(1, 2, 3);
        } finally {
            ids.release();
        }
    }

    @Test
    void declinedAddressIsSkippedUntilItsQuarantineEnds() {
        Lease l = table.choose(client(1), 0, 0);
        table.bind(l, client(1), 0, 100 * SECOND);
        table.decline(l, SECOND, 60 * SECOND);
        assertThat(table.claimable(client(2), 100, 2 * SECOND)).isNull();
        assertThat(table.choose(client(1), 100, 2 * SECOND).address).isNotEqualTo(100);
        assertThat(table.claimable(client(2), 100, 61 * SECOND)).isSameAs(l);
    }

    @Test
    void permanentBindingNeverExpires() {
        Lease l = table.choose(client(1), 0, 0);
        table.bindPermanently(l, client(1), 0);
        assertThat(table.claimable(client(2), l.address, Long.MAX_VALUE / 2)).isNull();
    }

    @Test
    void expiryWorksAcrossTheClockWrapping() {
        long now = Long.MAX_VALUE - 5 * SECOND;
        Lease l = table.choose(client(1), 0, now);
        table.bind(l, client(1), now, 10 * SECOND);
        assertThat(table.claimable(client(2), l.address, now + 9 * SECOND)).isNull();
        assertThat(table.claimable(client(2), l.address, now + 11 * SECOND)).isSameAs(l);
    }
}
