package dev.jslirp.transport.stream;

import dev.jslirp.core.config.PortOptions;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.transport.ChannelClosing;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.GuestTransport;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.QemuNetdev;
import dev.jslirp.transport.TransportCounter;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * jslirp connecting to a QEMU that listens: {@code -netdev stream,server=on} (or legacy
 * {@code -netdev socket,listen=}), on a unix or TCP socket.
 *
 * <h2>Theory of operation</h2>
 * <p>One connection at a time, on the network's event loop. A connect that fails (QEMU
 * not started yet) and a connection that ends (VM shut down or restarted) both lead to
 * a new attempt after the reconnect delay, until {@link #close()}; the network stays
 * up in between and is attached again on the next connection. TCP connections set
 * TCP_NODELAY, as QEMU does on its side: frames are already batched per event-loop
 * turn, and Nagle would only add latency. The first failure of a series is logged as
 * a warning, the repeats at debug.
 */
public final class StreamClient implements GuestTransport {
    private static final Logger LOG = LoggerFactory.getLogger(StreamClient.class);
    /** A TCP connect to a host that does not answer gives up after this long, then retries. */
    private static final int CONNECT_TIMEOUT_MS = 10_000;

    private final GuestNetwork network;
    private final IoTransport io;
    private final Endpoint endpoint;
    private final LinkBuffers buffers;
    private final long reconnectDelayNanos;
    private final Counters<TransportCounter> counters;
    private final PortOptions portOptions;
    private Bootstrap bootstrap;
    private SocketAddress address;
    // Event-loop state.
    private Channel channel;
    private ScheduledFuture<?> retry;
    private boolean closed;
    private boolean failing;

    /**
     * A client for {@code network} connecting to {@code endpoint}, retrying every
     * {@code reconnectDelay}.
     */
    public StreamClient(GuestNetwork network, IoTransport io, Endpoint endpoint, LinkBuffers buffers,
                        Duration reconnectDelay) {
        this(network, io, endpoint, buffers, reconnectDelay, PortOptions.named("stream"));
    }

    /**
     * As {@link #StreamClient(GuestNetwork, IoTransport, Endpoint, LinkBuffers, Duration)},
     * each connection's port treated as {@code portOptions} say (named after the client).
     */
    public StreamClient(GuestNetwork network, IoTransport io, Endpoint endpoint, LinkBuffers buffers,
                        Duration reconnectDelay, PortOptions portOptions) {
        this.portOptions = Objects.requireNonNull(portOptions, "portOptions");
        this.network = Objects.requireNonNull(network, "network");
        this.io = Objects.requireNonNull(io, "io");
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.buffers = Objects.requireNonNull(buffers, "buffers");
        if (reconnectDelay.isNegative() || reconnectDelay.isZero()) {
            throw new IllegalArgumentException("reconnect delay must be positive");
        }
        this.reconnectDelayNanos = reconnectDelay.toNanos();
        this.counters = GuestTransport.counters(network);
    }

    /** Resolves the address and starts the first connect attempt; returns at once. */
    @Override
    public void start() {
        if (bootstrap != null) {
            throw new IllegalStateException("started already");
        }
        address = io.socketAddress(endpoint);
        EventLoop loop = network.eventLoop();
        bootstrap = new Bootstrap()
                .group(loop)
                .channelFactory(io.streamChannel(endpoint))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, CONNECT_TIMEOUT_MS)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        StreamLinkHandler.install(ch, network, buffers,
                                portOptions.withName("stream to " + endpoint), () -> connectionEnded(ch));
                    }
                });
        if (endpoint instanceof Endpoint.Inet) {
            bootstrap.option(ChannelOption.TCP_NODELAY, true);
        }
        loop.execute(this::connect);
    }

    private void connect() {
        retry = null;
        if (closed) {
            return;
        }
        ChannelFuture f = bootstrap.connect(address);
        channel = f.channel();
        f.addListener(done -> {
            if (done.isSuccess()) {
                failing = false;
                return;
            }
            counters.increment(TransportCounter.CONNECT_FAILURES);
            if (!closed) {
                if (!failing) {
                    LOG.warn("cannot connect to QEMU at {}: {}; retrying every {} ms", endpoint,
                            done.cause().getMessage(), TimeUnit.NANOSECONDS.toMillis(reconnectDelayNanos));
                    failing = true;
                } else {
                    LOG.debug("cannot connect to QEMU at {}: {}", endpoint, done.cause().getMessage());
                }
                scheduleRetry();
            }
        });
    }

    /** The connection {@code ch} ended (after it was detached): try again later. */
    private void connectionEnded(Channel ch) {
        if (ch == channel && !closed) {
            scheduleRetry();
        }
    }

    private void scheduleRetry() {
        if (retry == null) {
            retry = network.eventLoop().schedule(this::connect, reconnectDelayNanos, TimeUnit.NANOSECONDS);
        }
    }

    @Override
    public Endpoint endpoint() {
        return endpoint;
    }

    @Override
    public List<String> qemuNetdevs(String id) {
        return QemuNetdev.stream(id, true, endpoint);
    }

    @Override
    public String activity() {
        return "connecting to QEMU at " + endpoint + ", retrying every "
                + TimeUnit.NANOSECONDS.toMillis(reconnectDelayNanos) + " ms";
    }

    /** True while connected to QEMU (for tests and status). */
    public boolean isConnected() {
        return network.eventLoop().submit(() -> channel != null && channel.isActive()).syncUninterruptibly().getNow();
    }

    /** Stops reconnecting and closes the connection; blocks until closed. Not on the event loop. */
    @Override
    public void close() {
        if (bootstrap == null) {
            return;
        }
        ChannelClosing.closeAndSettle(network.eventLoop(), () -> {
            closed = true;
            if (retry != null) {
                retry.cancel(false);
                retry = null;
            }
            return Collections.singletonList(channel);
        });
    }

    @Override
    public String toString() {
        return "stream client to " + endpoint;
    }
}
