package dev.jslirp.metrics;

import dev.jslirp.transport.Endpoint;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The metrics endpoint: the Prometheus client's HTTP server on {@code HOST:PORT}, serving
 * one network's {@link NetworkMetrics} at {@code /metrics} in Prometheus's text format
 * (and, as that server does, OpenMetrics or protobuf when a scraper asks).
 *
 * <p>One thread of its own answers scrapes, one at a time; each scrape asks the event
 * loop for a snapshot ({@link NetworkMetrics}). The endpoint changes nothing and shows
 * counts only, but bind it to loopback unless a scraper elsewhere needs it.
 */
public final class MetricsServer implements AutoCloseable {
    /** The accepted form of the endpoint, for messages. */
    public static final String FORM = "tcp:HOST:PORT";

    private final HTTPServer server;
    private final ExecutorService executor;
    private final Endpoint.Inet endpoint;

    private MetricsServer(HTTPServer server, ExecutorService executor, Endpoint.Inet endpoint) {
        this.server = server;
        this.executor = executor;
        this.endpoint = endpoint;
    }

    /**
     * Serves {@code metrics} on {@code endpoint} (port 0: a free one).
     *
     * @throws IOException naming the address if it cannot be bound (in use, not local)
     */
    public static MetricsServer start(NetworkMetrics metrics, Endpoint.Inet endpoint) throws IOException {
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register(new PrometheusMetrics(metrics));
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "jslirp-metrics");
            t.setDaemon(true);
            return t;
        });
        InetSocketAddress address = endpoint.resolve();
        try {
            HTTPServer server = HTTPServer.builder().inetAddress(address.getAddress()).port(address.getPort())
                    .registry(registry).executorService(executor).buildAndStart();
            return new MetricsServer(server, executor, endpoint.withPort(server.getPort()));
        } catch (IOException | RuntimeException e) {
            executor.shutdownNow();
            throw new IOException("cannot listen on " + endpoint + ": " + e.getMessage(), e);
        }
    }

    /** Where it listens (port 0 replaced by the port chosen). */
    public Endpoint.Inet endpoint() {
        return endpoint;
    }

    /** The URL to scrape. */
    public String url() {
        String host = endpoint.host().contains(":") ? "[" + endpoint.host() + "]" : endpoint.host();
        return "http://" + host + ":" + endpoint.port() + "/metrics";
    }

    @Override
    public void close() {
        server.close();
        executor.shutdownNow();
    }
}
