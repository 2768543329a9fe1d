package dev.jslirp.nat;

import dev.jslirp.core.spi.GuestContext;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;

/** The last step of opening a host channel the NAT made itself, shared by its halves. */
public final class HostChannelSetup {
    private HostChannelSetup() {
    }

    /**
     * Adds {@code handler} to {@code ch} and registers it on the network's event loop, where
     * registration completes before this returns (call it there).
     *
     * @param what what the channel is, for the exception ("a UDP socket")
     * @return {@code ch}
     * @throws IllegalStateException if it could not be registered (the channel is closed)
     */
    public static <C extends Channel> C register(GuestContext ctx, C ch, ChannelHandler handler, String what) {
        ch.pipeline().addLast(handler);
        ChannelFuture reg = ctx.eventLoop().register(ch);
        if (!reg.isSuccess()) {
            ch.unsafe().closeForcibly();
            throw new IllegalStateException("cannot register " + what + ": "
                    + (reg.isDone() ? reg.cause() : "registration did not complete on the event loop"), reg.cause());
        }
        return ch;
    }
}
