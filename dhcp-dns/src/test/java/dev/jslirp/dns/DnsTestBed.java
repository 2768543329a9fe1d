package dev.jslirp.dns;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.testkit.VirtualGuest;
import java.util.ArrayList;
import java.util.List;

/**
 * What the real-loop DNS tests set up: test servers on 127.0.0.1 and guests running a
 * {@link DnsService}, all closed in reverse order by {@link #close()}.
 */
final class DnsTestBed implements AutoCloseable {
    private final List<AutoCloseable> resources = new ArrayList<>();
    private DnsService service;

    /** A test DNS server, closed with the bed. */
    TestDnsServer server() {
        return closeLater(TestDnsServer.start());
    }

    /** A guest on a real loop with QEMU's addressing and a DNS service for {@code config}. */
    VirtualGuest guest(DnsConfig config) {
        return guest(NetworkConfig.defaults(), config);
    }

    /** A guest on a real loop with a DNS service for {@code config}. */
    VirtualGuest guest(NetworkConfig network, DnsConfig config) {
        service = new DnsService(config);
        return closeLater(VirtualGuest.onRealLoop(network, service));
    }

    /** The service of the last guest made. */
    DnsService service() {
        return service;
    }

    /** Closes {@code resource} with the bed. */
    <T extends AutoCloseable> T closeLater(T resource) {
        resources.add(resource);
        return resource;
    }

    /** The DNS counters of {@code g}. */
    static Counters<DnsCounter> counters(VirtualGuest g) {
        return g.network().stats().service("dns", DnsCounter.class);
    }

    @Override
    public void close() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }
}
