package dev.jslirp.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Closes a transport's channels so that, on return, their inactive events have run
 * (and detached the network). A channel closed on its loop queues its inactive event
 * as a task; closing from a loop task and then waiting for one more task orders the
 * wait after that event, where waiting on the close future alone would not.
 */
public final class ChannelClosing {
    private ChannelClosing() {
    }

    /**
     * Runs {@code onLoop} on {@code loop} (it may update loop state and returns the
     * channels to close, nulls ignored), closes those channels there, and waits until
     * they are closed and their inactive events have run. Not on {@code loop} itself.
     */
    public static void closeAndSettle(EventLoop loop, Callable<List<Channel>> onLoop) {
        List<ChannelFuture> closing = loop.submit(() -> {
            List<ChannelFuture> fs = new ArrayList<>();
            for (Channel c : onLoop.call()) {
                if (c != null) {
                    fs.add(c.close());
                }
            }
            return fs;
        }).syncUninterruptibly().getNow();
        for (ChannelFuture f : closing) {
            f.syncUninterruptibly();
        }
        loop.submit(() -> { }).syncUninterruptibly();
    }
}
