package dev.jslirp.process;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.stats.Counters;
import dev.jslirp.nat.guestfwd.GuestfwdCounter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Guest forward commands as the launcher runs them, real processes on a real epoll loop:
 * their connection is their standard input and output (an IP socket, as libslirp gives),
 * they end with it, their standard error is logged within bounds, and their number is bounded.
 */
class PosixCommandLauncherTest {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final EventLoop loop = group.next();
    private final Counters<GuestfwdCounter> counters = new Counters<>(GuestfwdCounter.class);
    private PosixCommandLauncher launcher = new PosixCommandLauncher();

    @AfterEach
    void stop() throws Exception {
        onLoop(() -> {
            launcher.close();
            return null;
        });
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private <T> T onLoop(Callable<T> task) throws Exception {
        return loop.submit(task).get(10, TimeUnit.SECONDS);
    }

    /** A started command's connection, reading into a buffer the test inspects. */
    private final class Connection extends ChannelInboundHandlerAdapter {
        final Channel channel;
        final ByteArrayOutputStream read = new ByteArrayOutputStream();
        /** Completes when the connection closed (the command's end: autoRead without half-closure closes at EOF). */
        final CompletableFuture<Void> eof = new CompletableFuture<>();

        Connection(Channel ch) {
            this.channel = ch;
            ch.closeFuture().addListener(f -> eof.complete(null));
        }

        @Override
        public synchronized void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                ByteBuf b = (ByteBuf) msg;
                byte[] bytes = new byte[b.readableBytes()];
                b.readBytes(bytes);
                read.writeBytes(bytes);
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        synchronized String text() {
            return read.toString(StandardCharsets.UTF_8);
        }

        void write(String s) {
            channel.writeAndFlush(Unpooled.copiedBuffer(s, StandardCharsets.UTF_8));
        }

        void shutdownOutput() {
            ((DuplexChannel) channel).shutdownOutput();
        }

        /** Waits until what was read contains {@code text}. */
        String await(String text) throws InterruptedException {
            waitFor(() -> text().contains(text), "output containing '" + text + "', have '" + text() + "'");
            return text();
        }
    }

    private Connection launch(String command) throws Exception {
        Future<Channel> f = onLoop(() -> launcher.launch(command, loop, counters));
        Channel ch = f.get(10, TimeUnit.SECONDS);
        Connection c = new Connection(ch);
        loop.submit(() -> {
            ch.pipeline().addLast(c);
            ch.config().setAutoRead(true);
        }).get(10, TimeUnit.SECONDS);
        return c;
    }

    private static void waitFor(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("not within 10 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    private static boolean alive(int pid) {
        return Files.exists(Path.of("/proc/" + pid));
    }

    @Test
    void commandReadsAndWritesItsConnection() throws Exception {
        Connection c = launch("cat");

        c.write("hello command\n");
        c.await("hello command\n");
        c.shutdownOutput();

        c.eof.get(10, TimeUnit.SECONDS);
        assertThat(counters.get(GuestfwdCounter.COMMANDS_STARTED)).isEqualTo(1);
    }

    @Test
    void commandsConnectionIsATcpSocketOverLoopbackAsLibslirpGives() throws Exception {
        Connection c = launch("python3 -c 'import socket; s = socket.socket(fileno=0); "
                + "print(s.family.name, s.type.name, s.getpeername()[0], flush=True)'");

        c.eof.get(10, TimeUnit.SECONDS);

        assertThat(c.text()).isEqualTo("AF_INET SOCK_STREAM 127.0.0.1\n");
    }

    @Test
    void commandThatExitsAtOnceEndsItsConnection() throws Exception {
        Connection c = launch("exit 3");

        c.eof.get(10, TimeUnit.SECONDS);

        assertThat(c.text()).isEmpty();
        waitFor(() -> counters.get(GuestfwdCounter.COMMANDS_EXITED) == 1, "the exited command counted");
        assertThat(counters.get(GuestfwdCounter.COMMANDS_KILLED)).isZero();
        waitFor(() -> runningOnLoop() == 0, "the process reaped");
    }

    private int runningOnLoop() {
        try {
            return onLoop(launcher::running);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void processGroupIsKilledWhenTheConnectionCloses() throws Exception {
        // The shell, and a child in the background that would outlive it.
        Connection c = launch("sleep 1000 & echo $$ $!; wait");
        String[] pids = c.await("\n").strip().split(" ");
        int shell = Integer.parseInt(pids[0]);
        int child = Integer.parseInt(pids[1]);
        assertThat(alive(shell) && alive(child)).isTrue();

        c.channel.close();

        waitFor(() -> !alive(shell) && !alive(child), "both processes gone (and the shell reaped)");
        waitFor(() -> counters.get(GuestfwdCounter.COMMANDS_KILLED) == 1, "the killed command counted");
        assertThat(counters.get(GuestfwdCounter.COMMANDS_EXITED)).isZero();
        waitFor(() -> runningOnLoop() == 0, "the process forgotten");
    }

    @Test
    void processThatIgnoresSigtermIsKilledAfterTheGracePeriod() throws Exception {
        Connection c = launch("trap '' TERM; echo $$; while :; do sleep 0.1; done");
        int shell = Integer.parseInt(c.await("\n").strip());

        long start = System.nanoTime();
        c.channel.close();

        waitFor(() -> !alive(shell), "the shell gone");
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(millis).as("killed after the grace period").isGreaterThanOrEqualTo(RunningProcess.GRACE_MILLIS - 100);
    }

    @Test
    void standardErrorIsLoggedWithinItsRateAndTheRestCountedNotStalled() throws Exception {
        Connection c = launch("i=0; while [ $i -lt 1000 ]; do echo \"noise $i\" >&2; i=$((i+1)); done; echo done");

        c.await("done\n");
        c.eof.get(10, TimeUnit.SECONDS);

        waitFor(() -> counters.get(GuestfwdCounter.STDERR_LINES) + counters.get(GuestfwdCounter.STDERR_LINES_DROPPED)
                == 1000, "every line of standard error logged or counted");
        assertThat(counters.get(GuestfwdCounter.STDERR_LINES)).isBetween((long) StderrLog.BURST, 100L);
    }

    @Test
    void processesBeyondTheBoundAreRefusedAndCounted() throws Exception {
        launcher = new PosixCommandLauncher(2);
        Connection first = launch("sleep 1000");
        launch("sleep 1000");

        Future<Channel> third = onLoop(() -> launcher.launch("sleep 1000", loop, counters));
        assertThat(third.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(third.cause()).isInstanceOf(ConnectException.class).hasMessageContaining("2 guestfwd commands");
        assertThat(counters.get(GuestfwdCounter.PROCESS_LIMIT)).isEqualTo(1);

        first.channel.close();
        waitFor(() -> runningOnLoop() == 1, "the first process reaped");
        assertThat(launch("true").eof).succeedsWithin(Duration.ofSeconds(10));
    }

    @Test
    void closingTheLauncherKillsWhatStillRuns() throws Exception {
        Connection c = launch("echo $$; exec sleep 1000");
        int pid = Integer.parseInt(c.await("\n").strip());

        onLoop(() -> {
            launcher.close();
            return null;
        });

        waitFor(() -> !alive(pid), "the process gone");
        Future<Channel> after = onLoop(() -> launcher.launch("true", loop, counters));
        assertThat(after.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(after.isSuccess()).isFalse();
    }
}
