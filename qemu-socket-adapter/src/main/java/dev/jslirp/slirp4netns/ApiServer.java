package dev.jslirp.slirp4netns;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.control.OwnerOnlySocket;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.UnixSocketFile;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import java.io.IOException;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * slirp4netns's API socket ({@code --api-socket PATH}): a unix stream socket taking one
 * JSON request per connection ({@link ApiSession}) for the commands of
 * {@link ApiCommands}. It lives on the network's event loop, so a command reads and
 * changes the NAT's forwards between two frames, without locks.
 *
 * <p>The socket is created owner-only (0600) with {@link OwnerOnlySocket}; slirp4netns
 * leaves the umask's mode, but its callers (rootlesskit, podman) run as the same user. A
 * stale socket at the path is replaced, a live one or another kind of file is refused;
 * the file is removed at {@link #close()}. At most {@value #MAX_CONNECTIONS} connections
 * at once (one more is closed at once: slirp4netns serves one at a time).
 */
final class ApiServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);
    /** slirp4netns's {@code ctx->buflen}: a request of this many bytes or more is too large. */
    static final int MAX_REQUEST = 4096;
    /** How long a connection may take to send its request. */
    static final int IDLE_SECONDS = 10;
    /** Connections at once. */
    static final int MAX_CONNECTIONS = 16;

    /** The listener and the open connections (closed ones leave by themselves). */
    private final ChannelGroup channels;
    private UnixSocketFile file;

    private ApiServer(JslirpNetwork network) {
        this.channels = new DefaultChannelGroup("slirp4netns-api", network.eventLoop());
    }

    /**
     * Listens on {@code path} for {@code commands} of {@code network}, whose loop must be
     * epoll. Not on the event loop.
     *
     * @throws IOException naming the path if it cannot be bound
     */
    static ApiServer start(JslirpNetwork network, ApiCommands commands, Path path) throws IOException {
        return start(network, commands, path, IDLE_SECONDS);
    }

    /** As {@link #start(JslirpNetwork, ApiCommands, Path)}, a request to arrive within {@code idleSeconds}. */
    static ApiServer start(JslirpNetwork network, ApiCommands commands, Path path, int idleSeconds) throws IOException {
        ApiServer s = new ApiServer(network);
        ServerBootstrap b = new ServerBootstrap()
                .group(network.eventLoop())
                .channelFactory(IoTransport.EPOLL.serverChannel(new Endpoint.Unix(path)))
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (s.channels.size() > MAX_CONNECTIONS) { // the listener is one of them
                            LOG.warn("refused an API connection: {} are open already", MAX_CONNECTIONS);
                            ch.close();
                            return;
                        }
                        s.channels.add(ch);
                        ch.pipeline().addLast(new ApiSession(commands, idleSeconds));
                    }
                });
        OwnerOnlySocket.Bound bound = OwnerOnlySocket.bind(b, IoTransport.EPOLL, path);
        s.channels.add(bound.channel());
        s.file = bound.file();
        return s;
    }

    /** Closes the listener and every connection, and removes the socket file. Not on the event loop. */
    @Override
    public void close() {
        channels.close().awaitUninterruptibly();
        file.remove();
    }
}
