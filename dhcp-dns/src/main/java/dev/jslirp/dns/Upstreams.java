package dev.jslirp.dns;

import dev.jslirp.core.stats.Counters;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream resolvers, in the order to ask them: {@link DnsConfig#upstreams()} if
 * given, else the nameservers of {@link DnsConfig#resolvConf()}.
 *
 * <p>resolv.conf is read once when the service is built (on the caller's thread, not
 * the event loop), then again when a query needs the list and the last read is
 * {@link DnsConfig#resolvConfRecheck()} old, as glibc checks the file on use. The
 * re-read runs on a background executor and hands its result over through an atomic
 * reference that the event loop picks up with the next query, so the loop never
 * blocks on the file and no lock is shared with it. A query keeps the list it
 * started with.
 */
final class Upstreams {
    private static final Logger LOG = LoggerFactory.getLogger(Upstreams.class);

    private final Path resolvConf;
    private final int port;
    private final long recheckNanos;
    private final Executor background;
    private final AtomicReference<List<InetSocketAddress>> reread = new AtomicReference<>();
    private final AtomicBoolean rereading = new AtomicBoolean();
    private List<InetSocketAddress> current;
    private long lastReadNanos;
    private boolean clockStarted;
    private Counters<DnsCounter> counters;

    /** Reads resolv.conf now if {@code config} names no upstream: call off the event loop. */
    Upstreams(DnsConfig config) {
        this(config, GlobalEventExecutor.INSTANCE);
    }

    Upstreams(DnsConfig config, Executor background) {
        this.background = background;
        this.port = config.resolvConfPort();
        this.recheckNanos = config.resolvConfRecheck().toNanos();
        if (!config.upstreams().isEmpty()) {
            this.resolvConf = null;
            this.current = List.copyOf(config.upstreams());
        } else {
            this.resolvConf = config.resolvConf();
            this.current = ResolvConf.read(resolvConf, port);
            if (current.isEmpty()) {
                LOG.warn("{} lists no usable nameserver: DNS queries the guest sends will fail", resolvConf);
            }
        }
    }

    /**
     * True if an answer with {@code rcode} should make the query move on to the next
     * upstream, if any: SERVFAIL, NOTIMP and REFUSED, as glibc's {@code res_send}
     * treats them. (The last upstream's answer is relayed whatever it says.)
     */
    static boolean asksNextUpstream(int rcode) {
        return rcode == DnsMessageView.RCODE_SERVFAIL || rcode == DnsMessageView.RCODE_NOTIMP
                || rcode == DnsMessageView.RCODE_REFUSED;
    }

    /** Counts list changes in {@code c} from now on. */
    void countIn(Counters<DnsCounter> c) {
        this.counters = c;
    }

    /**
     * The upstreams to ask now, in order; possibly empty. May start a background
     * re-read of resolv.conf. Event loop only.
     *
     * @param nowNanos the network's clock
     */
    List<InetSocketAddress> current(long nowNanos) {
        if (resolvConf == null) {
            return current;
        }
        List<InetSocketAddress> fresh = reread.getAndSet(null);
        if (fresh != null && !fresh.equals(current)) {
            LOG.info("{} changed: upstream DNS servers now {}", resolvConf, fresh);
            current = fresh;
            if (counters != null) {
                counters.increment(DnsCounter.RESOLV_CONF_CHANGES);
            }
        }
        if (!clockStarted) {
            clockStarted = true;
            lastReadNanos = nowNanos;
        } else if (nowNanos - lastReadNanos >= recheckNanos && rereading.compareAndSet(false, true)) {
            lastReadNanos = nowNanos;
            try {
                background.execute(() -> {
                    try {
                        reread.set(ResolvConf.read(resolvConf, port));
                    } finally {
                        rereading.set(false);
                    }
                });
            } catch (RejectedExecutionException e) {
                rereading.set(false);
            }
        }
        return current;
    }
}
