package dev.jslirp.core.buffer;

import java.util.Arrays;
import java.util.Objects;

/**
 * One ceiling for the bytes a network holds on behalf of its guests and their peers
 * ({@code --max-memory}): TCP data not yet taken by the host or acknowledged by the guest,
 * out-of-order segments, fragments under reassembly, UDP datagrams queued for host
 * sockets, DNS queries waiting upstream. Every component that holds such bytes charges
 * them to an {@link Account} of this budget when it takes them and credits them when it
 * lets go; each table keeps its own bound too, this one bounds their sum.
 *
 * <h2>What is counted</h2>
 * <p>The memory a component makes the allocator keep: the capacity of a buffer it
 * allocated and holds (a host read, a chunk of out-of-order data, a reassembly buffer), and
 * the readable bytes of a slice it queues of a buffer it does not own (a guest frame
 * written to a host socket: Netty counts the same). Capacity, not readable bytes, because
 * a peer that trickles one byte into each large read buffer must pay for the buffer.
 *
 * <h2>Policy at the ceiling</h2>
 * <p>Nothing is refused while less than half of the pool is in use. Beyond that:
 * <ul>
 *   <li><b>A share per holder.</b> The pool ({@link #limit()} less a reserve of an
 *       eighth) is shared equally among the accounts holding bytes: an account may grow to
 *       {@code pool / holders} (at least {@link #minGrant()}). One flow alone may use the
 *       whole pool, but as others start holding, it gets no more until it is back under its
 *       share, so one flow cannot starve the others; what it holds already it keeps until
 *       its peer takes it (TCP data cannot be un-read).</li>
 *   <li><b>A reserve for newcomers.</b> An eighth of the limit is kept for accounts holding
 *       less than {@link #minGrant()} (a new TCP flow's first window, a DNS query, a
 *       fragmented datagram): a new connection works while old ones fill the pool. A flood
 *       of new flows, each taking its minimum, can use the reserve up too; then newcomers
 *       wait until memory frees (a flow ends, a peer reads, a timeout).</li>
 *   <li><b>What a component does when refused</b> is its own: TCP offers a smaller or zero
 *       window to the guest and stops reading the host socket (the kernel's buffers then
 *       push back on the peer), and resumes when memory frees ({@link #onFreed});
 *       datagrams, fragments and DNS queries are dropped and counted where they are.</li>
 * </ul>
 *
 * <h2>Exactness</h2>
 * <p>{@link Account#room()} and {@link Account#tryReserve} hand out at most the limit less a
 * slack of a 32nd. {@link Account#charge} does not refuse: it records bytes already taken,
 * which callers do within room they asked for, or for the few bytes they cannot refuse,
 * which the slack absorbs: a host read Netty performs after the room it was asked with went
 * to other flows in the same turn (a small buffer each), host data Netty's epoll
 * transport reads after the peer's EOF whatever it is asked (bounded by the socket's
 * receive buffer). {@link #highWater()} shows whether the use ever passed the limit.
 *
 * <h2>Threading</h2>
 * <p>Confined to the network's event loop: plain fields, no atomics, nothing allocated per
 * reservation. Gauges ({@link #used()}, {@link #highWater()}) are read on the loop too.
 */
public final class MemoryBudget {
    /**
     * Default ceiling per network: 256 MiB. Large enough that a few hundred flows at full
     * windows (1 MiB each way, {@code --tcp-buffer}) never meet it, small against a host's
     * memory; without it the tables' own bounds multiply out to gigabytes (4096 flows times
     * two directions times 1 MiB is 8 GiB).
     */
    public static final long DEFAULT_LIMIT = 256L << 20;
    /** The smallest limit accepted: a few flows' minimum windows. */
    public static final long MIN_LIMIT = 1L << 20;
    /** The largest limit accepted (1 TiB): past any real machine, and far from overflowing a long. */
    public static final long MAX_LIMIT = 1L << 40;

    private final long limit;
    /** What room is handed out of: the limit less the slack for charges that cannot be refused. */
    private final long ceiling;
    private final long pool;
    private final long minGrant;
    private long used;
    private long highWater;
    private int holders;
    private long refusals;
    private boolean starved;
    private Runnable[] listeners = new Runnable[0];

    /**
     * A budget of {@code limit} bytes.
     *
     * @throws IllegalArgumentException if {@code limit} is outside {@link #MIN_LIMIT}..{@link #MAX_LIMIT}
     */
    public MemoryBudget(long limit) {
        if (limit < MIN_LIMIT || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("memory limit " + limit + " outside " + MIN_LIMIT + ".." + MAX_LIMIT);
        }
        this.limit = limit;
        this.ceiling = limit - limit / 32;
        this.pool = limit - limit / 8;
        this.minGrant = Math.max(4 << 10, Math.min(64 << 10, limit / 64));
    }

    /** A new account, holding nothing. One per flow or component; allocate it once, not per reservation. */
    public Account newAccount() {
        return new Account();
    }

    /**
     * Calls {@code listener} (on the loop, from within a release) when memory frees after a
     * refusal or {@link Account#waitForMemory()}: a listener should only schedule its work.
     */
    public void onFreed(Runnable listener) {
        Objects.requireNonNull(listener, "listener");
        listeners = Arrays.copyOf(listeners, listeners.length + 1);
        listeners[listeners.length - 1] = listener;
    }

    /** The ceiling, bytes. */
    public long limit() {
        return limit;
    }

    /** Bytes in use now. */
    public long used() {
        return used;
    }

    /** The most bytes ever in use at once. */
    public long highWater() {
        return highWater;
    }

    /** Reservations refused (each also counted where the bytes were dropped or deferred). */
    public long refusals() {
        return refusals;
    }

    /** Accounts holding bytes now. */
    public int holders() {
        return holders;
    }

    /** Bytes an account holding less than this may take from the reserve. */
    public long minGrant() {
        return minGrant;
    }

    private long room(long held) {
        long free = ceiling - used;
        if (free <= 0) {
            return 0;
        }
        long r;
        if (used < pool / 2) {
            r = pool - used;
        } else {
            int h = holders + (held == 0 ? 1 : 0);
            long share = Math.max(minGrant, pool / h);
            r = Math.min(pool - used, share - held);
        }
        if (held < minGrant) {
            r = Math.max(r, minGrant - held);
        }
        return Math.max(0, Math.min(r, free));
    }

    private void add(Account a, long n) {
        if (a.held == 0 && n > 0) {
            holders++;
        }
        a.held += n;
        used += n;
        if (used > highWater) {
            highWater = used;
        }
    }

    private void subtract(Account a, long n) {
        if (n > a.held) {
            throw new IllegalStateException("released " + n + " bytes, account holds " + a.held);
        }
        a.held -= n;
        used -= n;
        if (a.held == 0 && n > 0) {
            holders--;
        }
        if (starved && ceiling - used >= minGrant) {
            starved = false;
            for (Runnable l : listeners) {
                l.run();
            }
        }
    }

    /** What one flow or component holds of the budget. Use on the network's event loop. */
    public final class Account {
        private long held;

        private Account() {
        }

        /** Bytes this account holds. */
        public long held() {
            return held;
        }

        /** Bytes this account may take now (see the class comment's policy). */
        public long room() {
            return MemoryBudget.this.room(held);
        }

        /**
         * Takes {@code n} bytes if they fit {@link #room()}; else takes nothing, counts a
         * refusal and remembers to tell the {@link #onFreed} listeners when memory frees.
         */
        public boolean tryReserve(long n) {
            if (!admits(n)) {
                return false;
            }
            add(this, n);
            return true;
        }

        /**
         * True if {@code n} bytes fit {@link #room()} now; false counts a refusal (as
         * {@link #tryReserve}) without taking anything. For callers that charge a little
         * later, in the same turn, through {@link #charge}.
         */
        public boolean admits(long n) {
            if (n <= room()) {
                return true;
            }
            refusals++;
            starved = true;
            return false;
        }

        /** Records {@code n} bytes taken without asking (see the class comment's "Exactness"). */
        public void charge(long n) {
            if (n > 0) {
                add(this, n);
            }
        }

        /** Gives {@code n} bytes back. */
        public void release(long n) {
            if (n > 0) {
                subtract(this, n);
            }
        }

        /** Gives back everything this account holds (its owner is finished). */
        public void releaseAll() {
            release(held);
        }

        /**
         * Asks for the {@link #onFreed} listeners to be told when memory frees: for a caller
         * that found {@link #room()} too small and will try again.
         */
        public void waitForMemory() {
            starved = true;
        }
    }
}
