package dev.jslirp.process;

import dev.jslirp.core.stats.Counters;
import dev.jslirp.nat.guestfwd.GuestfwdCounter;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A guest forward command's standard error, read on the event loop and logged line by line
 * (at info, naming the process): bounded in memory (a line is cut at {@value #MAX_LINE}
 * bytes) and in the log ({@value #BURST} lines at once, then {@value #PER_SECOND} a
 * second; the rest counted and dropped, never left unread, so a command that floods its
 * standard error is not stalled by it).
 */
final class StderrLog extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger("dev.jslirp.guestfwd");
    static final int MAX_LINE = 512;
    static final int BURST = 20;
    static final int PER_SECOND = 5;
    private static final long NANOS_PER_LINE = 1_000_000_000L / PER_SECOND;

    private final String who;
    private final Counters<GuestfwdCounter> counters;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    private boolean cut;
    private long tokens = BURST;
    private long lastRefill = System.nanoTime();
    private long dropped;

    /** Logs the standard error of the process {@code who} describes. */
    StderrLog(String who, Counters<GuestfwdCounter> counters) {
        this.who = who;
        this.counters = counters;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof ByteBuf b) {
                for (int i = b.readerIndex(); i < b.writerIndex(); i++) {
                    byte c = b.getByte(i);
                    if (c == '\n') {
                        emit();
                    } else if (line.size() < MAX_LINE) {
                        line.write(c);
                    } else {
                        cut = true;
                    }
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (line.size() > 0) {
            emit();
        }
        if (dropped > 0) {
            LOG.info("{}: {} more lines of standard error dropped", who, dropped);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
    }

    private void emit() {
        String text = line.toString(StandardCharsets.UTF_8).stripTrailing() + (cut ? " [cut]" : "");
        line.reset();
        cut = false;
        long now = System.nanoTime();
        long refill = (now - lastRefill) / NANOS_PER_LINE;
        if (refill > 0) {
            tokens = Math.min(BURST, tokens + refill);
            lastRefill += refill * NANOS_PER_LINE;
        }
        if (tokens > 0) {
            tokens--;
            counters.increment(GuestfwdCounter.STDERR_LINES);
            if (dropped > 0) {
                LOG.info("{}: {} lines of standard error dropped", who, dropped);
                dropped = 0;
            }
            LOG.info("{}: {}", who, text);
        } else {
            dropped++;
            counters.increment(GuestfwdCounter.STDERR_LINES_DROPPED);
        }
    }
}
