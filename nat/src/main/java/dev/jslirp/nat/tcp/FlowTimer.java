package dev.jslirp.nat.tcp;

import dev.jslirp.core.spi.GuestContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one scheduled task of a flow, on the guest's event loop. The core only states
 * its earliest deadline; this keeps a task due no later than that.
 *
 * <p>Re-arming is lazy, so the steady state schedules almost nothing: a deadline that
 * moves later (every ACK restarts the RTO) leaves the earlier task in place; it fires,
 * finds nothing due and schedules the current deadline. Only a deadline earlier than
 * the scheduled one (an RTO starting while only the idle timeout was pending) cancels
 * and reschedules.
 */
final class FlowTimer implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(FlowTimer.class);

    private final TcpFlow flow;
    private final GuestContext ctx;
    private ScheduledFuture<?> future;
    private long scheduledFor = FlowSchedule.NONE;

    FlowTimer(TcpFlow flow, GuestContext ctx) {
        this.flow = flow;
        this.ctx = ctx;
    }

    /** Makes sure the flow's timer runs at or before {@code deadline}. */
    void arm(long deadline) {
        if (deadline >= scheduledFor) {
            return;
        }
        if (future != null) {
            future.cancel(false);
        }
        scheduledFor = deadline;
        future = ctx.eventLoop().schedule(this, Math.max(0, deadline - ctx.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** Cancels the task. */
    void cancel() {
        if (future != null) {
            future.cancel(false);
            future = null;
        }
        scheduledFor = FlowSchedule.NONE;
    }

    @Override
    public void run() {
        future = null;
        scheduledFor = FlowSchedule.NONE;
        long now = ctx.nanoTime();
        try {
            flow.timer(now);
        } catch (RuntimeException e) {
            // A bug: without its timer the flow could hang; end it rather than keep it.
            LOG.warn("bug: timer of tcp flow {} failed; aborting it", flow, e);
            flow.abort(now, true);
        }
    }
}
