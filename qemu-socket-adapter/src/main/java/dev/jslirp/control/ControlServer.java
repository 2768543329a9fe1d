package dev.jslirp.control;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.capture.PacketCapture;
import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.transport.BoundSocket;
import dev.jslirp.transport.ChannelClosing;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.UnixSocketFile;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.LineBasedFrameDecoder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control socket of a running jslirp: HMP's user-networking commands
 * ({@code hostfwd_add}, {@code hostfwd_remove}, {@code info usernet}) and jslirp's own
 * ({@code info stats [json]}, {@code info leases}, {@code info ports},
 * {@code info networks}, {@code network_add}, {@code network_remove},
 * {@code pcap start FILE}, {@code pcap stop}) over a
 * line-based text protocol, so a running jslirp can be changed and inspected as QEMU's
 * monitor changes {@code -netdev user}.
 *
 * <h2>Protocol</h2>
 * <p>The client sends one command per line (LF or CRLF; UTF-8). The server answers each
 * line, in order, with zero or more lines of text and then exactly one terminator line:
 * {@code OK}, or {@code ERROR: message} (no text line is ever {@code OK} or starts with
 * {@code ERROR}; see {@link ControlReply}). There is no greeting, so
 * {@code echo 'info usernet' | socat - UNIX-CONNECT:PATH} works as well as
 * {@code jslirp control}. A blank line gets a bare {@code OK}; {@code quit} closes the
 * connection. Commands: {@link ControlCommands}.
 *
 * <h2>Theory of operation</h2>
 * <p>The listening socket and every connection live on one event loop (a single
 * network's own); each command runs on the loop of the network it is for
 * ({@link ControlRouter}), so it reads and changes the NAT's tables directly, between two
 * packets, with no locks. Commands are short (a bind, a table walk of bounded length): no
 * loop is blocked for long; starting a network ({@code network_add}) runs off the loops.
 *
 * <h2>Security and bounds</h2>
 * <ul>
 *   <li>a unix socket is created with mode 0600, owner only, with no window in which
 *       others could connect ({@link OwnerOnlySocket}); a stale socket at the path is
 *       replaced only if nobody listens on it; the file is removed at {@link #close()};</li>
 *   <li>a TCP socket must be on a loopback address, and any local user can connect to
 *       it: prefer the unix socket;</li>
 *   <li>at most {@value #MAX_CONNECTIONS} connections at once (one more is told so and
 *       closed), lines of at most {@value #MAX_LINE} bytes, replies bounded (see
 *       {@link ControlSession} for unread replies).</li>
 * </ul>
 */
public final class ControlServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ControlServer.class);
    /** Longest command line, in bytes without the newline. */
    public static final int MAX_LINE = 4096;
    /** Connections at once. */
    public static final int MAX_CONNECTIONS = 8;
    /** The accepted forms of the endpoint, for messages. */
    public static final String FORM = "unix:PATH|tcp:127.0.0.1:PORT";

    private final EventLoop loop;
    private final ControlRouter commands;
    private final IoTransport io;
    private final Endpoint endpoint;
    /** Open connections; touched on the event loop only. */
    private final List<Channel> connections = new ArrayList<>();
    private Channel listener;
    private Endpoint boundEndpoint;
    private UnixSocketFile socketFile;

    private ControlServer(Networks networks, EventLoop loop, IoTransport io, Endpoint endpoint, PacketCapture capture) {
        this.loop = Objects.requireNonNull(loop, "loop");
        this.commands = new ControlRouter(networks, capture);
        this.io = Objects.requireNonNull(io, "io");
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    }

    /**
     * Parses {@code --control}'s value: {@code unix:PATH}, or {@code tcp:HOST:PORT} with
     * a loopback HOST ({@code 127.0.0.1}, {@code ::1} or {@code localhost}).
     *
     * @throws ConfigException naming {@code option} and the accepted forms
     */
    public static Endpoint parseEndpoint(String option, String value) {
        Endpoint e = Endpoint.parse(option, value, "tcp");
        if (e instanceof Endpoint.Inet inet && !isLoopback(inet.host())) {
            throw new ConfigException(option, "'" + value + "': a TCP control socket must listen on a loopback address, "
                    + "127.0.0.1, ::1 or localhost, as anyone who reaches it can open ports (expected " + FORM + ")");
        }
        return e;
    }

    private static boolean isLoopback(String host) {
        if (host.equals("localhost") || host.equals("::1")) {
            return true;
        }
        try {
            return Ipv4Address.isLoopback(Ipv4Address.parse(host));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * Starts a control server for {@code network} (known to clients as netdev
     * {@code netdevId}) on {@code endpoint}. Not on an event loop.
     *
     * @param io the I/O transport of the network's event loop
     * @throws IOException if the endpoint cannot be bound, naming it
     * @throws ConfigException for a TCP endpoint off loopback
     */
    public static ControlServer start(JslirpNetwork network, String netdevId, IoTransport io, Endpoint endpoint)
            throws IOException {
        return start(network, netdevId, io, endpoint, null);
    }

    /**
     * As {@link #start(JslirpNetwork, String, IoTransport, Endpoint)}, with the network's
     * packet capture for the {@code pcap} commands (null: none).
     */
    public static ControlServer start(JslirpNetwork network, String netdevId, IoTransport io, Endpoint endpoint,
                                      PacketCapture capture) throws IOException {
        return start(Networks.of(netdevId, network), network.eventLoop(), io, endpoint, capture);
    }

    /**
     * A control server for several networks ({@link ControlRouter} sends each command to
     * its network's loop), itself on {@code loop}, with the first network's packet capture
     * (null: none). Not on an event loop.
     *
     * @param io the I/O transport of {@code loop}
     * @throws IOException if the endpoint cannot be bound, naming it
     */
    public static ControlServer start(Networks networks, EventLoop loop, IoTransport io, Endpoint endpoint,
                                      PacketCapture capture) throws IOException {
        if (endpoint instanceof Endpoint.Inet) {
            parseEndpoint("control", endpoint.toString());
        }
        ControlServer s = new ControlServer(networks, loop, io, endpoint, capture);
        s.bind();
        return s;
    }

    private void bind() throws IOException {
        ServerBootstrap b = new ServerBootstrap()
                .group(loop)
                .channelFactory(io.serverChannel(endpoint))
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(32 << 10, 64 << 10))
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accept(ch);
                    }
                });
        if (endpoint instanceof Endpoint.Unix u) {
            OwnerOnlySocket.Bound bound = OwnerOnlySocket.bind(b, io, u.path());
            listener = bound.channel();
            socketFile = bound.file();
            boundEndpoint = endpoint;
        } else {
            b.option(ChannelOption.SO_REUSEADDR, true);
            BoundSocket bound = BoundSocket.bind(b, io, endpoint, "listen on");
            listener = bound.channel();
            boundEndpoint = bound.endpoint();
        }
        LOG.debug("control socket on {} ({})", boundEndpoint, io.optionName());
    }

    /** Each accepted connection, on the event loop: served, or refused beyond the bound. */
    private void accept(Channel ch) {
        if (connections.size() >= MAX_CONNECTIONS) {
            LOG.warn("refused a control connection on {}: {} are open already", boundEndpoint, MAX_CONNECTIONS);
            ch.writeAndFlush(ByteBufUtil.writeUtf8(ch.alloc(), ControlReply.error(String.format(Locale.ROOT,
                    "too many control connections (at most %d)", MAX_CONNECTIONS)).text()))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        connections.add(ch);
        ch.closeFuture().addListener(f -> connections.remove(ch));
        ch.pipeline().addLast(new LineBasedFrameDecoder(MAX_LINE, true, true), new ControlSession(commands));
    }

    /** Where the server listens (a TCP port 0 replaced by the port chosen). */
    public Endpoint endpoint() {
        return boundEndpoint;
    }

    /** How to reach this server with {@code jslirp control}. */
    public String clientHint() {
        return "jslirp control " + boundEndpoint + " help";
    }

    /** Closes the listener and every connection, and removes the socket file. Not on the event loop. */
    @Override
    public void close() {
        ChannelClosing.closeAndSettle(loop, () -> {
            List<Channel> all = new ArrayList<>(connections);
            all.add(listener);
            return all;
        });
        if (socketFile != null) {
            socketFile.remove();
        }
    }

    @Override
    public String toString() {
        return "control server on " + boundEndpoint;
    }
}
