package dev.jslirp.transport.stream;

import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.transport.ChannelClosing;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.GuestTransport;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.QemuNetdev;
import dev.jslirp.transport.TransportCounter;
import dev.jslirp.transport.UnixSocketFile;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
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
    private UnixSocketFile socketFile;
    private Channel serverChannel;
    private Endpoint bound;
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
        if (serverChannel != null) {
            throw new IllegalStateException("started already");
        }
        if (endpoint instanceof Endpoint.Unix u) {
            socketFile = UnixSocketFile.prepare(u.path());
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
        ChannelFuture f = b.bind(io.socketAddress(endpoint)).awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new IOException("cannot listen on " + endpoint + ": " + f.cause().getMessage(), f.cause());
        }
        serverChannel = f.channel();
        if (socketFile != null) {
            socketFile.bound();
            bound = endpoint;
        } else {
            bound = ((Endpoint.Inet) endpoint).withPort(((InetSocketAddress) serverChannel.localAddress()).getPort());
        }
        LOG.debug("listening on {} ({})", bound, io.optionName());
    }

    /** Runs for each accepted connection, on the event loop. */
    private void accept(Channel ch) {
        if (current != null) {
            counters.increment(TransportCounter.REFUSED_CONNECTIONS);
            LOG.warn("refused a second connection on {}: a QEMU is attached already (one QEMU per network)", bound);
            ch.close();
            return;
        }
        current = ch;
        StreamLinkHandler.install(ch, network, counters, buffers, () -> {
            if (current == ch) {
                current = null;
            }
        });
    }

    @Override
    public Endpoint endpoint() {
        return bound != null ? bound : endpoint;
    }

    @Override
    public List<String> qemuNetdevs(String id) {
        Endpoint e = endpoint();
        List<String> forms = new ArrayList<>();
        forms.add("stream,id=" + id + ",server=off," + QemuNetdev.address("addr", e));
        String legacy = QemuNetdev.legacyHostPort(e);
        if (legacy != null) {
            forms.add("socket,id=" + id + ",connect=" + legacy);
        }
        return forms;
    }

    /** True while a QEMU is attached (for tests and status). */
    public boolean isConnected() {
        return network.eventLoop().submit(() -> current != null).syncUninterruptibly().getNow();
    }

    @Override
    public void close() {
        if (serverChannel != null) {
            ChannelClosing.closeAndSettle(network.eventLoop(), () -> Arrays.asList(serverChannel, current));
        }
        if (socketFile != null) {
            socketFile.remove();
        }
    }

    @Override
    public String toString() {
        return "stream server on " + endpoint();
    }
}
