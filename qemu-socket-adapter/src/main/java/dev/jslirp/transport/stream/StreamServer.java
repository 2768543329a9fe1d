package dev.jslirp.transport.stream;

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
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * jslirp listening for QEMU's {@code -netdev stream,server=off} (or legacy
 * {@code -netdev socket,connect=}) on a unix or TCP socket.
 *
 * <h2>Theory of operation</h2>
 * <p>The listening socket and every accepted connection live on the network's event
 * loop. A network serves one guest, so one QEMU at a time: while a connection is
 * attached, further connections are closed at once, counted
 * ({@link TransportCounter#REFUSED_CONNECTIONS}) and logged, and the attached one keeps
 * working. When QEMU disconnects (VM shut down or restarted), the network is detached
 * — its services end the guest's flows but keep leases and port forwards — and the
 * next connection attaches again. Nothing per connection outlives it: the channel, its
 * decoder's buffer and its sink go with it.
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
    private BoundSocket bound;
    /** The attached connection; touched on the event loop only. */
    private Channel current;

    /**
     * A server for {@code network} on {@code endpoint}.
     *
     * @param io the I/O transport of the network's event loop
     */
    public StreamServer(GuestNetwork network, IoTransport io, Endpoint endpoint, LinkBuffers buffers) {
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

    /** Runs for each accepted connection, on the event loop. */
    private void accept(Channel ch) {
        if (current != null) {
            counters.increment(TransportCounter.REFUSED_CONNECTIONS);
            LOG.warn("refused a second connection on {}: a QEMU is attached already (one QEMU per network)",
                    endpoint());
            ch.close();
            return;
        }
        current = ch;
        StreamLinkHandler.install(ch, network, buffers, () -> {
            if (current == ch) {
                current = null;
            }
        });
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

    /** True while a QEMU is attached (for tests and status). */
    public boolean isConnected() {
        return network.eventLoop().submit(() -> current != null).syncUninterruptibly().getNow();
    }

    @Override
    public void close() {
        if (bound != null) {
            ChannelClosing.closeAndSettle(network.eventLoop(), () -> Arrays.asList(bound.channel(), current));
            bound.removeSocketFile();
        }
    }

    @Override
    public String toString() {
        return "stream server on " + endpoint();
    }
}
