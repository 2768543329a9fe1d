package dev.jslirp.nat.tcp;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * ACKs owed for a lone guest segment, sent {@link #TICK_NANOS} to twice that later
 * unless the flow's next segment (every second one is acknowledged at once) or data
 * towards the guest carried the ACK first.
 *
 * <h2>Theory of operation</h2>
 * <p>One periodic task for all flows, running only while some flow owes an ACK, and
 * two generations: flows that started owing an ACK since the last tick are
 * <em>young</em>; at a tick, the <em>old</em> ones (owing since before the previous
 * tick, so for at least one period) get their ACK if they still owe it, and the young
 * become old. No allocation per ACK: the lists keep their arrays and the periodic task
 * re-queues itself; only starting and stopping it (once per busy period) allocates.
 *
 * <h2>Why delay at all</h2>
 * <p>A guest sending bulk data through a slow virtual NIC hands over one segment per
 * event-loop turn, so acknowledging at the end of the turn meant an ACK per segment:
 * a frame jslirp writes, QEMU reads and delivers, and the guest takes an interrupt
 * for, all on CPUs the guest itself needs (under TCG the guest's CPU is the
 * bottleneck). RFC 9293 section 3.8.6.3 (and RFC 1122 4.2.3.2) allow delaying an ACK
 * for less than 0.5 s as long as every second full-sized segment is acknowledged;
 * {@value #TICK_MICROS} us to twice that is far below the guest's minimum RTO
 * (200 ms in Linux) and Linux's own shortest delayed ACK (TCP_DELACK_MIN, 40 ms), and
 * it halves the ACKs of a bulk upload.
 *
 * <h2>Why this period</h2>
 * <p>While a flow exchanges requests and responses, each request owes an ACK that the
 * response then carries, so the task runs for the whole exchange and the event loop
 * never sleeps without a deadline at most one period away. Every such sleep arms a
 * high-resolution timer, and on a virtual machine with a TSC-deadline timer every arm
 * and cancel is a VM exit. With a 500 us period that cost 15 us of CPU per round trip
 * of a 1-byte request/response through the tap (53 against 38 us, 10.5k against
 * 14k round trips per second; benchmarks/race/README.md). A period at least the
 * kernel's tick (4 ms at HZ=250, the common setting) costs next to nothing: the tick
 * is usually the earlier deadline anyway.
 */
final class DelayedAcks implements Runnable {
    /** The tick period: an ACK waits one to two of these. */
    static final long TICK_MICROS = 4000;
    static final long TICK_NANOS = TimeUnit.MICROSECONDS.toNanos(TICK_MICROS);

    private final EventLoop loop;
    private final LongSupplier clock;
    private List<TcpFlow> young = new ArrayList<>();
    private List<TcpFlow> old = new ArrayList<>();
    private ScheduledFuture<?> ticker;

    DelayedAcks(EventLoop loop, LongSupplier clock) {
        this.loop = loop;
        this.clock = clock;
    }

    /** {@code flow} owes an ACK for a lone segment; calls {@link TcpFlow#delayedAckDue} later. */
    void add(TcpFlow flow) {
        if (flow.schedule.delayedAckQueued) {
            return;
        }
        flow.schedule.delayedAckQueued = true;
        young.add(flow);
        if (ticker == null) {
            ticker = loop.scheduleAtFixedRate(this, TICK_NANOS, TICK_NANOS, TimeUnit.NANOSECONDS);
        }
    }

    /** The tick: ACKs for the old generation, then the young one ages. */
    @Override
    public void run() {
        long now = clock.getAsLong();
        List<TcpFlow> due = old;
        for (int i = 0; i < due.size(); i++) {
            TcpFlow f = due.get(i);
            f.schedule.delayedAckQueued = false;
            f.delayedAckDue(now);
        }
        due.clear();
        old = young;
        young = due;
        if (old.isEmpty()) {
            stop();
        }
    }

    /** Forgets every owed ACK and stops the task (the NAT stops). */
    void stop() {
        if (ticker != null) {
            ticker.cancel(false);
            ticker = null;
        }
        for (TcpFlow f : young) {
            f.schedule.delayedAckQueued = false;
        }
        for (TcpFlow f : old) {
            f.schedule.delayedAckQueued = false;
        }
        young.clear();
        old.clear();
    }
}
