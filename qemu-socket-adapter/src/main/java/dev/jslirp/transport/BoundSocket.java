package dev.jslirp.transport;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * A listening or datagram channel bound to an endpoint.
 *
 * @param channel    the bound channel
 * @param endpoint   the endpoint as bound: a TCP/UDP port 0 replaced by the port the system chose
 * @param socketFile the unix socket file the channel owns, or null for an IP socket
 */
public record BoundSocket(Channel channel, Endpoint endpoint, UnixSocketFile socketFile) {
    /**
     * Binds {@code bootstrap} to {@code endpoint} and waits: for a unix socket, first
     * clears a stale socket file (see {@link UnixSocketFile}). Not on an event loop.
     *
     * @param what what binding is for, in the error message ({@code "listen on"}, {@code "bind"})
     * @throws IOException if the address is taken or a file is in the way, naming the endpoint
     */
    public static BoundSocket bind(AbstractBootstrap<?, ?> bootstrap, IoTransport io, Endpoint endpoint, String what)
            throws IOException {
        UnixSocketFile file = endpoint instanceof Endpoint.Unix u ? UnixSocketFile.prepare(u.path()) : null;
        ChannelFuture f = bootstrap.bind(io.socketAddress(endpoint)).awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new IOException("cannot " + what + " " + endpoint + ": " + f.cause().getMessage(), f.cause());
        }
        if (file != null) {
            file.bound();
            return new BoundSocket(f.channel(), endpoint, file);
        }
        int port = ((InetSocketAddress) f.channel().localAddress()).getPort();
        return new BoundSocket(f.channel(), ((Endpoint.Inet) endpoint).withPort(port), null);
    }

    /** Removes the unix socket file, if any and still the one bound; call once the channel is closed. */
    public void removeSocketFile() {
        if (socketFile != null) {
            socketFile.remove();
        }
    }
}
