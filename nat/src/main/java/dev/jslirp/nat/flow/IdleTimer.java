package dev.jslirp.nat.flow;

import dev.jslirp.core.spi.GuestContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Closes the entries of some {@link IdleList}s once they have been idle for a fixed time,
 * with one scheduled task for all of them.
 *
 * <p>The task is due when the oldest entry of any list would expire. Traffic only moves an
 * entry to the end of its list, so the task never has to move earlier; when it runs it
 * expires the entries that really are idle, from the head of each list, and is set again
 * for the new heads. Expiry is exact, and the cost is one scheduled task at a time, not
 * one per entry or datagram. Runs on the network's event loop.
 */
public final class IdleTimer {
    private final GuestContext ctx;
    private final long idleNanos;
    private final List<Watched<?>> watched = new ArrayList<>(2);
    private final Runnable sweepTask = this::sweep;
    private ScheduledFuture<?> sweep;

    /** A timer on {@code ctx}'s loop and clock for entries idle {@code idleNanos}. */
    public IdleTimer(GuestContext ctx, long idleNanos) {
        this.ctx = ctx;
        this.idleNanos = idleNanos;
    }

    /** The idle time after which an entry expires. */
    public long idleNanos() {
        return idleNanos;
    }

    /**
     * Watches {@code list}: an entry idle for {@link #idleNanos()} goes to {@code expire},
     * which must take it off the list.
     */
    public <E extends IdleList.Entry> void watch(IdleList<E> list, Consumer<? super E> expire) {
        watched.add(new Watched<>(list, expire));
    }

    /** Makes sure the task is set for the oldest entry; call after adding one. */
    public void arm(long now) {
        if (sweep != null) {
            return;
        }
        long delay = Long.MAX_VALUE;
        for (Watched<?> w : watched) {
            IdleList.Entry oldest = w.list.oldest();
            if (oldest != null) {
                delay = Math.min(delay, oldest.lastActiveNanos() + idleNanos - now);
            }
        }
        if (delay != Long.MAX_VALUE) {
            sweep = ctx.eventLoop().schedule(sweepTask, Math.max(0, delay), TimeUnit.NANOSECONDS);
        }
    }

    /** Cancels the task (everything watched is being closed). */
    public void cancel() {
        if (sweep != null) {
            sweep.cancel(false);
            sweep = null;
        }
    }

    private void sweep() {
        sweep = null;
        long now = ctx.nanoTime();
        for (Watched<?> w : watched) {
            w.expire(now, idleNanos);
        }
        arm(now);
    }

    /** A list and what to do with its idle entries. */
    private record Watched<E extends IdleList.Entry>(IdleList<E> list, Consumer<? super E> expire) {
        void expire(long now, long idleNanos) {
            E e;
            while ((e = list.oldest()) != null && now - e.lastActiveNanos() >= idleNanos) {
                expire.accept(e);
            }
        }
    }
}
