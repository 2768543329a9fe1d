package dev.jslirp.transport.stream;

import dev.jslirp.core.config.PortOptions;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.transport.BoundSocket;
import dev.jslirp.transport.ChannelClosing;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.GuestTransport;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.QemuNetdev;
import dev.jslirp.transport.TransportCounter;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * jslirp listening for QEMU's {@code -netdev stream,server=off} (or legacy
 * {@code -netdev socket,connect=}) on a unix or TCP socket.
 *
 * <h2>Theory of operation</h2>
 * <p>The listening socket and every accepted connection live on the network's event
 * loop. Each connection is a port of the network's switch: several QEMUs on one socket
 * share one LAN, up to the network's maximum of ports (a connection beyond it is closed
 * at once, counted as {@link TransportCounter#REFUSED_CONNECTIONS} and logged). When a
 * QEMU disconnects (VM shut down or restarted), its port is detached — the services end
 * that guest's flows but keep its lease and the port forwards — and the others go on.
 * A VM that reconnects is a new port, and may connect before its old connection's close
 * has been read: the switch holds its first frames until then (see
 * {@code EthernetSwitch}), so a back-to-back reconnect is served, never refused.
 * Nothing per connection outlives it: the channel, its decoder's buffer and its sink go
 * with it.
 *
 * <p>A unix socket's file is cleared if stale at start and removed at {@link #close()}
 * (see {@link UnixSocketFile}).
 *
 * <p>Wire format and limits: {@link StreamFrameDecoder}, {@link StreamFrameEncoder};
 * backpressure: {@link dev.jslirp.transport.ChannelFrameSink}.
 */
public final class StreamServer implements GuestTransport {
    private static final Logger LOG = LoggerFactory.getLogger(StreamServer.class);

    private final GuestNetwork network;
    private final IoTransport io;
    private final Endpoint endpoint;
    private final LinkBuffers buffers;
    private final Counters<TransportCounter> counters;
    private final PortOptions portOptions;
    private BoundSocket bound;
    /** The connections open; touched on the event loop only. */
    private final Set<Channel> connections = new LinkedHashSet<>();

    /**
     * A server for {@code network} on {@code endpoint}.
     *
     * @param io the I/O transport of the network's event loop
     */
    public StreamServer(GuestNetwork network, IoTransport io, Endpoint endpoint, LinkBuffers buffers) {
        this(network, io, endpoint, buffers, PortOptions.named("stream"));
    }

    /**
     * A server for {@code network} on {@code endpoint} whose connections' ports are
     * treated as {@code portOptions} say (their name is the server's).
     *
     * @param io the I/O transport of the network's event loop
     */
    public StreamServer(GuestNetwork network, IoTransport io, Endpoint endpoint, LinkBuffers buffers,
                        PortOptions portOptions) {
        this.portOptions = Objects.requireNonNull(portOptions, "portOptions");
        this.network = Objects.requireNonNull(network, "network");
        this.io = Objects.requireNonNull(io, "io");
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.buffers = Objects.requireNonNull(buffers, "buffers");
        this.counters = GuestTransport.counters(network);
    }

    @Override
    public void start() throws IOException {
        if (bound != null) {
            throw new IllegalStateException("started already");
        }
        EventLoop loop = network.eventLoop();
        ServerBootstrap b = new ServerBootstrap()
                .group(loop)
                .channelFactory(io.serverChannel(endpoint))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accept(ch);
                    }
                });
        if (endpoint instanceof Endpoint.Inet) {
            // As QEMU's own listeners (socket_set_fast_reuse): rebind at once after a restart.
            b.option(ChannelOption.SO_REUSEADDR, true).childOption(ChannelOption.TCP_NODELAY, true);
        }
        bound = BoundSocket.bind(b, io, endpoint, "listen on");
        LOG.debug("listening on {} ({})", bound.endpoint(), io.optionName());
    }

    /** Runs for each accepted connection, on the event loop: it becomes a port. */
    private void accept(Channel ch) {
        connections.add(ch);
        StreamLinkHandler.install(ch, network, buffers, portOptions.withName("stream " + endpoint()),
                () -> connections.remove(ch));
    }

    @Override
    public Endpoint endpoint() {
        return bound != null ? bound.endpoint() : endpoint;
    }

    @Override
    public List<String> qemuNetdevs(String id) {
        return QemuNetdev.stream(id, false, endpoint());
    }

    @Override
    public String activity() {
        return "listening on " + endpoint();
    }

    /** True while a QEMU is connected (for tests and status). */
    public boolean isConnected() {
        return connectionCount() > 0;
    }

    /** QEMUs connected (for tests and status). */
    public int connectionCount() {
        return network.eventLoop().submit(connections::size).syncUninterruptibly().getNow();
    }

    @Override
    public void close() {
        if (bound != null) {
            ChannelClosing.closeAndSettle(network.eventLoop(), () -> {
                List<Channel> all = new ArrayList<>(connections);
                all.add(0, bound.channel());
                return all;
            });
            bound.removeSocketFile();
        }
    }

    @Override
    public String toString() {
        return "stream server on " + endpoint();
    }
}
