package dev.jslirp.bench;

import dev.jslirp.dns.DnsCounter;
import dev.jslirp.dns.DnsService;
import io.netty.buffer.ByteBuf;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The DNS service answering a query itself: {@code host.jslirp.internal} type A from
 * the guest to 10.0.2.3:53, answered with 10.0.2.2, through the whole network on an
 * {@link EmbeddedNetwork} (validation, dispatch, question parsing, local lookup, the
 * answer built and sent).
 *
 * <p>The configured upstream is a {@link SilentDnsUpstream}; tear-down checks it was
 * never asked: every query answered locally, none forwarded.
 */
public class DnsBenchmark extends BenchmarkDefaults {
    private SilentDnsUpstream upstream;
    private EmbeddedNetwork net;
    private ByteBuf query;
    private long ops;

    /** Binds the silent upstream and starts the service. */
    @Setup
    public void setUp() {
        upstream = new SilentDnsUpstream();
        net = new EmbeddedNetwork(new DnsService(upstream.config()));
        query = Templates.pooled(ClientMessages.dnsQuery(0x1234, "host.jslirp.internal"));
    }

    /** Checks every query was answered here and none went upstream; closes everything. */
    @TearDown
    public void tearDown() {
        try {
            net.checkNoDrops();
            long local = counter(DnsCounter.ANSWERED_LOCALLY);
            if (local != ops || net.sink().frames().get() != ops || counter(DnsCounter.FORWARDED) != 0) {
                throw new IllegalStateException(ops + " queries, " + local + " answered locally, "
                        + net.sink().frames().get() + " answers sent: " + net.stats().snapshot());
            }
        } finally {
            query.release();
            net.close();
            upstream.close();
        }
    }

    private long counter(DnsCounter c) {
        return net.stats().service("dns", DnsCounter.class).get(c);
    }

    /** A query for host.jslirp.internal in, its A record out. */
    @Benchmark
    public void localName() {
        net.send(query.retainedSlice());
        ops++;
    }
}
