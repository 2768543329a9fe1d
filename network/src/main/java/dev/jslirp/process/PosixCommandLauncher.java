package dev.jslirp.process;

import dev.jslirp.core.stats.Counters;
import dev.jslirp.nat.guestfwd.CommandLauncher;
import dev.jslirp.nat.guestfwd.GuestfwdCounter;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.ConnectException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs guest forward commands ({@code guestfwd=...-cmd:COMMAND}, {@code smb=}) on Linux
 * with Netty's native epoll transport: each connection a {@code /bin/sh -c COMMAND} whose
 * standard input and output are a TCP socket over 127.0.0.1 and whose standard error is
 * logged ({@link Spawner}, {@link StderrLog}); our ends of both are epoll channels on the
 * network's event loop, so the command's I/O costs no thread, and reading it follows the
 * guest's TCP window like any host socket's (a command that floods its output is read only
 * as fast as the guest takes it).
 *
 * <h2>Bounds and threads</h2>
 * <ul>
 *   <li>at most {@code maxProcesses} processes at once (default
 *       {@value #DEFAULT_MAX_PROCESSES}); a connection beyond fails, the guest gets a RST,
 *       and {@link GuestfwdCounter#PROCESS_LIMIT} counts it;</li>
 *   <li>starting a process (socket setup, {@code posix_spawn}) runs on one thread of the
 *       launcher's own, never on the event loop; ending one ({@link RunningProcess}) is
 *       non-blocking signals and polls on the loop;</li>
 *   <li>{@link #close()} kills whatever still runs.</li>
 * </ul>
 * If jslirp itself dies by SIGKILL, its commands lose their connection (EOF on their input)
 * but are not signalled: {@code posix_spawn} runs no code in the child that could ask the
 * kernel to (prctl's parent-death signal).
 */
public final class PosixCommandLauncher implements CommandLauncher {
    /** Processes at once, by default. */
    public static final int DEFAULT_MAX_PROCESSES = 64;
    private static final Logger LOG = LoggerFactory.getLogger("dev.jslirp.guestfwd");
    /** Reads of a command's standard error, at most this many bytes each. */
    private static final int STDERR_READ = 1024;
    /** How long {@link #close()} waits for the killed processes to be reaped, in all. */
    private static final long CLOSE_WAIT_MILLIS = 500;

    private final int maxProcesses;
    /** Made on the first launch, so a launcher that never starts a command holds no thread. */
    private ExecutorService spawnThread;
    private final Spawner spawner = new Spawner();
    /** Processes running or ending; touched on the loop of the network (one launcher per network). */
    private final Set<RunningProcess> running = new HashSet<>();
    private int starting;
    private volatile boolean closed;

    /** A launcher of at most {@value #DEFAULT_MAX_PROCESSES} processes at once. */
    public PosixCommandLauncher() {
        this(DEFAULT_MAX_PROCESSES);
    }

    /** A launcher of at most {@code maxProcesses} processes at once. */
    public PosixCommandLauncher(int maxProcesses) {
        if (maxProcesses < 1) {
            throw new IllegalArgumentException("maxProcesses " + maxProcesses);
        }
        this.maxProcesses = maxProcesses;
    }

    @Override
    public Future<Channel> launch(String command, EventLoop loop, Counters<GuestfwdCounter> counters) {
        if (closed) {
            return loop.newFailedFuture(new ConnectException("guestfwd commands stopped"));
        }
        if (running.size() + starting >= maxProcesses) {
            counters.increment(GuestfwdCounter.PROCESS_LIMIT);
            return loop.newFailedFuture(new ConnectException(maxProcesses + " guestfwd commands run already"));
        }
        starting++;
        Promise<Channel> promise = loop.newPromise();
        if (spawnThread == null) {
            spawnThread = Executors.newSingleThreadExecutor(new DefaultThreadFactory("jslirp-guestfwd-spawn", true));
        }
        spawnThread.execute(() -> {
            try {
                Spawner.Spawned s = spawner.spawn(command);
                loop.execute(() -> started(s, command, loop, counters, promise));
            } catch (IOException | RuntimeException e) {
                loop.execute(() -> {
                    starting--;
                    counters.increment(GuestfwdCounter.COMMAND_START_FAILED);
                    LOG.warn("guestfwd cmd:{}: cannot start: {}", command, e.getMessage());
                    promise.setFailure(new ConnectException("cannot start cmd:" + command + ": " + e.getMessage()));
                });
            }
        });
        return promise;
    }

    /** On the loop: wraps our ends of the process's sockets in channels registered there. */
    private void started(Spawner.Spawned s, String command, EventLoop loop, Counters<GuestfwdCounter> counters,
                         Promise<Channel> promise) {
        starting--;
        String who = RunningProcess.describe(s.pid(), command);
        EpollDomainSocketChannel stderr = new EpollDomainSocketChannel(s.stderr());
        stderr.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(STDERR_READ));
        stderr.pipeline().addLast(new StderrLog(who, counters));
        EpollSocketChannel connection = new EpollSocketChannel(s.connection());
        connection.config().setAutoRead(false);
        RunningProcess process = new RunningProcess(s.pid(), command, stderr, loop, counters);
        running.add(process);
        process.onReaped(() -> running.remove(process));
        counters.increment(GuestfwdCounter.COMMANDS_STARTED);
        LOG.debug("{}: started", who);
        loop.register(stderr);
        loop.register(connection);
        if (closed) {
            process.killNow(CLOSE_WAIT_MILLIS);
            connection.close();
            promise.setFailure(new ConnectException("guestfwd commands stopped"));
            return;
        }
        connection.closeFuture().addListener(f -> process.connectionEnded());
        promise.setSuccess(connection);
    }

    /** Processes running or being ended (for tests and monitoring); on the loop. */
    int running() {
        return running.size();
    }

    /** Kills every process still running; on the loop the network ran on (its services stop there). */
    @Override
    public void close() {
        closed = true;
        if (spawnThread != null) {
            spawnThread.shutdownNow();
        }
        List<RunningProcess> all = new ArrayList<>(running);
        long perProcess = all.isEmpty() ? 0 : Math.max(1, CLOSE_WAIT_MILLIS / all.size());
        for (RunningProcess p : all) {
            p.killNow(perProcess);
        }
        running.clear();
    }
}
