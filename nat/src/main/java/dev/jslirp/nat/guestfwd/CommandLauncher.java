package dev.jslirp.nat.guestfwd;

import dev.jslirp.core.stats.Counters;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

/**
 * Runs the command of a {@code guestfwd=...-cmd:COMMAND} for one guest connection, as
 * libslirp's {@code fork_exec} does: {@code /bin/sh -c COMMAND} with one end of a TCP
 * connection over the host's loopback as its standard input and output (a socket, as
 * libslirp gives, so programs that insist on one, such as {@code smbd} in inetd mode,
 * work), its standard error to jslirp's log. The NAT continues the guest's connection
 * on the other end like on any host socket.
 *
 * <p>The implementation lives with the transports ({@code PosixCommandLauncher}, Linux,
 * Netty's epoll): starting a process and wrapping its socket need native calls. Spawning
 * never runs on the event loop.
 */
public interface CommandLauncher {
    /**
     * Starts {@code command} for one connection. Call on {@code loop}.
     *
     * @param counters where the launcher counts what it did ({@code nat.guestfwd})
     * @return completes on {@code loop} with the connection's other end: a stream channel
     *         (a {@link io.netty.channel.socket.DuplexChannel}) registered on {@code loop}
     *         with auto-read off; closing it ends the process (SIGTERM to its process
     *         group, SIGKILL after a grace period). Fails if the bound on processes is
     *         reached or the command cannot be started.
     */
    Future<Channel> launch(String command, EventLoop loop, Counters<GuestfwdCounter> counters);

    /** Ends every process still running and frees what the launcher holds (the network stops). */
    void close();
}
