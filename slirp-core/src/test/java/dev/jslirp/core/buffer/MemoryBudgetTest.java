package dev.jslirp.core.buffer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MemoryBudgetTest {
    private static final long MIB = 1 << 20;
    private final MemoryBudget budget = new MemoryBudget(8 * MIB);

    @Test
    void reservationsAddUpAndReleasesGiveBack() {
        MemoryBudget.Account a = budget.newAccount();
        MemoryBudget.Account b = budget.newAccount();
        assertThat(a.tryReserve(1000)).isTrue();
        assertThat(b.tryReserve(500)).isTrue();
        assertThat(budget.used()).isEqualTo(1500);
        assertThat(budget.holders()).isEqualTo(2);
        a.release(400);
        assertThat(a.held()).isEqualTo(600);
        a.releaseAll();
        assertThat(budget.holders()).isEqualTo(1);
        b.release(500);
        assertThat(budget.used()).isZero();
        assertThat(budget.holders()).isZero();
        assertThat(budget.highWater()).isEqualTo(1500);
    }

    @Test
    void aRandomMixOfReservationsNeverPassesTheLimit() {
        Random r = new Random(7);
        List<MemoryBudget.Account> accounts = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            accounts.add(budget.newAccount());
        }
        for (int i = 0; i < 100_000; i++) {
            MemoryBudget.Account a = accounts.get(r.nextInt(accounts.size()));
            if (r.nextInt(3) == 0) {
                a.release(Math.min(a.held(), r.nextInt(200_000)));
            } else {
                a.tryReserve(r.nextInt(300_000));
            }
            assertThat(budget.used()).isLessThanOrEqualTo(budget.limit());
        }
        assertThat(budget.highWater()).isLessThanOrEqualTo(budget.limit()).isGreaterThan(budget.limit() / 2);
        assertThat(budget.refusals()).isPositive();
        accounts.forEach(MemoryBudget.Account::releaseAll);
        assertThat(budget.used()).isZero();
    }

    @Test
    void oneAccountAloneMayUseThePoolButNotTheReserve() {
        MemoryBudget.Account greedy = budget.newAccount();
        while (greedy.tryReserve(64 << 10)) {
            // takes all it can
        }
        long pool = budget.limit() - budget.limit() / 8;
        assertThat(greedy.held()).isGreaterThan(pool - (64 << 10)).isLessThanOrEqualTo(pool);
        MemoryBudget.Account newcomer = budget.newAccount();
        assertThat(newcomer.room()).as("the reserve serves a newcomer").isEqualTo(budget.minGrant());
        assertThat(newcomer.tryReserve(budget.minGrant())).isTrue();
        assertThat(newcomer.tryReserve(1)).as("beyond its minimum, a newcomer waits too").isFalse();
    }

    @Test
    void underPressureEachHolderIsHeldToItsShare() {
        MemoryBudget.Account first = budget.newAccount();
        assertThat(first.tryReserve(budget.limit() / 2)).isTrue();
        MemoryBudget.Account second = budget.newAccount();
        assertThat(second.tryReserve(1)).isTrue();
        long pool = budget.limit() - budget.limit() / 8;
        assertThat(first.room()).as("the first holds more than half of the pool: it waits").isZero();
        assertThat(second.room()).isEqualTo(Math.min(pool / 2 - 1, pool - budget.used()));
        first.release(budget.limit() / 2 - pool / 4);
        assertThat(first.room()).as("back under its share").isPositive();
    }

    @Test
    void listenersHearWhenMemoryFreesAfterARefusal() {
        int[] calls = {0};
        budget.onFreed(() -> calls[0]++);
        MemoryBudget.Account a = budget.newAccount();
        a.charge(budget.limit());
        a.release(1);
        assertThat(calls[0]).as("nobody was refused").isZero();
        MemoryBudget.Account b = budget.newAccount();
        assertThat(b.tryReserve(100)).isFalse();
        a.release(10);
        assertThat(calls[0]).as("too little freed to help").isZero();
        a.release(budget.limit() / 32 + budget.minGrant());
        assertThat(calls[0]).as("room for a newcomer's minimum below the slack").isEqualTo(1);
        a.release(budget.minGrant());
        assertThat(calls[0]).as("once per refusal").isEqualTo(1);
        a.releaseAll();
    }

    @Test
    void aSlackBelowTheLimitIsNeverHandedOutSoLateChargesFitUnderIt() {
        MemoryBudget.Account a = budget.newAccount();
        MemoryBudget.Account b = budget.newAccount();
        while (a.tryReserve(4096) | b.tryReserve(4096)) {
            // both take all they can
        }
        assertThat(budget.used()).isLessThanOrEqualTo(budget.limit() - budget.limit() / 32);
        a.charge(budget.limit() / 32);
        assertThat(budget.used()).isLessThanOrEqualTo(budget.limit());
        a.releaseAll();
        b.releaseAll();
    }

    @Test
    void releasingMoreThanHeldIsABug() {
        MemoryBudget.Account a = budget.newAccount();
        a.charge(10);
        assertThatThrownBy(() -> a.release(11)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void limitsOutsideTheRangeAreRefused() {
        assertThatThrownBy(() -> new MemoryBudget(MemoryBudget.MIN_LIMIT - 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new MemoryBudget(MemoryBudget.MAX_LIMIT + 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
