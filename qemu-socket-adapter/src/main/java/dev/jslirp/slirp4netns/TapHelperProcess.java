package dev.jslirp.slirp4netns;

import dev.jslirp.transport.tap.OpenedTap;
import dev.jslirp.transport.tap.TapDevice;
import dev.jslirp.transport.tap.TapSetup;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.ReferenceCountUtil;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * jslirp's side of the {@link TapHelper}: starts it inside the target's namespaces and
 * receives the tap's descriptor.
 *
 * <h2>Step by step</h2>
 * <ol>
 *   <li>A fresh directory of mode 0700 in {@code java.io.tmpdir}, and in it a listening
 *       unix socket on the network's epoll event loop, reading file descriptors
 *       ({@code DomainSocketReadMode.FILE_DESCRIPTORS}, Netty's {@code recvmsg} with
 *       {@code SCM_RIGHTS}).</li>
 *   <li>{@code nsenter --user=USERNS --net=NETNS --preserve-credentials -- java -cp
 *       CLASSPATH dev.jslirp.slirp4netns.TapHelper ...}: the same Java and class path as
 *       this JVM. The user keeps its own uid, which the user namespace maps (to root in
 *       rootlesskit's and podman's), so the helper has {@code CAP_NET_ADMIN} there; the
 *       mount namespace is not entered, so the socket's path is the same.</li>
 *   <li>The descriptor counts only if it comes from the helper itself: the sender's pid
 *       ({@code SO_PEERCRED}) must be the helper's (nsenter execs Java in place, so the
 *       pid is the one started). The directory keeps other users out.</li>
 *   <li>The helper exits 0 after printing the tap's read MTU; the descriptor is adopted
 *       ({@link TapDevice#adopt}); the socket and directory are removed. On any failure
 *       the helper's error line is in the message, and nothing is left open.</li>
 * </ol>
 */
final class TapHelperProcess {
    private static final Logger LOG = LoggerFactory.getLogger(TapHelperProcess.class);
    /** How long the helper (a JVM starting on a busy machine) may take. */
    static final long TIMEOUT_SECONDS = 60;
    /** The helper's JVM is short-lived and small. */
    private static final List<String> JVM_OPTIONS = List.of("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            "-Xmx64m", "-XX:-UsePerfData", "-Xshare:auto");

    private TapHelperProcess() {
    }

    /** What arrived on the socket: the descriptor and its sender's pid. */
    private record Received(FileDescriptor fd, int senderPid) {
    }

    /**
     * Has a helper open and configure the tap inside {@code target} as {@code setup} says.
     * Blocks; not on {@code loop}.
     *
     * @param loop an epoll event loop to receive the descriptor on
     * @throws IOException with the helper's own error, or saying what else failed
     */
    static OpenedTap open(NamespaceTarget target, TapSetup setup, EventLoop loop) throws IOException {
        String nsenter = nsenter();
        Path dir = Files.createTempDirectory("jslirp-tap-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        CompletableFuture<Received> received = new CompletableFuture<>();
        Channel listener = null;
        Process helper = null;
        boolean adopted = false;
        try {
            Path socket = dir.resolve("tap.sock");
            listener = listen(socket, loop, received);
            List<String> cmd = new ArrayList<>(List.of(nsenter, "--user=" + target.userns(), "--net=" + target.netns(),
                    "--preserve-credentials", "--", Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            cmd.addAll(JVM_OPTIONS);
            cmd.addAll(List.of("-cp", absoluteClassPath(), TapHelper.class.getName()));
            cmd.addAll(TapHelper.arguments(socket, setup));
            Path out = dir.resolve("out");
            Path err = dir.resolve("err");
            LOG.debug("starting the tap helper: {}", cmd);
            helper = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!helper.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IOException("the helper opening " + setup.ifname() + " in the " + target + " did not finish in "
                        + TIMEOUT_SECONDS + " s");
            }
            String errors = Files.readString(err, StandardCharsets.UTF_8).strip();
            if (helper.exitValue() != 0) {
                throw new IOException("cannot open tap " + setup.ifname() + " in the " + target + ": "
                        + (errors.isEmpty() ? "the helper (" + nsenter + ") exited " + helper.exitValue() : errors));
            }
            Received r = received.get(5, TimeUnit.SECONDS);
            if (r.senderPid() != helper.pid()) {
                throw new IOException("a descriptor arrived from process " + r.senderPid() + ", not from the helper "
                        + helper.pid() + "; refused");
            }
            int readMtu = readMtu(Files.readString(out, StandardCharsets.UTF_8), setup);
            adopted = true; // adopt() closes the descriptor itself if it fails
            return new OpenedTap(TapDevice.adopt(r.fd().intValue()), readMtu);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while a helper opened tap " + setup.ifname(), e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("the helper opening " + setup.ifname() + " exited without sending its descriptor", e);
        } finally {
            if (helper != null && helper.isAlive()) {
                helper.destroyForcibly();
            }
            if (listener != null) {
                listener.close().awaitUninterruptibly();
            }
            // A descriptor not taken is closed: one that came, or (the future failed) one arriving late.
            if (!received.completeExceptionally(new IOException("closed")) && !adopted) {
                close(received.getNow(null).fd());
            }
            deleteTree(dir);
        }
    }

    /** Binds the socket; the first descriptor read on an accepted connection completes {@code received}. */
    private static Channel listen(Path socket, EventLoop loop, CompletableFuture<Received> received) throws IOException {
        ServerBootstrap b = new ServerBootstrap().group(loop).channel(EpollServerDomainSocketChannel.class)
                .childOption(EpollChannelOption.DOMAIN_SOCKET_READ_MODE, DomainSocketReadMode.FILE_DESCRIPTORS)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                if (msg instanceof FileDescriptor fd) {
                                    int pid = senderPid((EpollDomainSocketChannel) ctx.channel());
                                    if (!received.complete(new Received(fd, pid))) {
                                        close(fd); // one descriptor only
                                    }
                                } else {
                                    ReferenceCountUtil.release(msg);
                                }
                                ctx.close();
                            }
                        });
                    }
                });
        var f = b.bind(new DomainSocketAddress(socket.toString())).awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new IOException("cannot listen on " + socket + " for the tap helper: " + f.cause().getMessage(),
                    f.cause());
        }
        return f.channel();
    }

    /** The pid of the process at the other end ({@code SO_PEERCRED}), or -1 if unknown (then refused). */
    private static int senderPid(EpollDomainSocketChannel ch) {
        try {
            return ch.peerCredentials().pid();
        } catch (IOException e) {
            return -1;
        }
    }

    /** The helper's {@code OK READ_MTU} line; the configured MTU if it is missing. */
    private static int readMtu(String stdout, TapSetup setup) {
        for (String line : stdout.split("\n")) {
            if (line.startsWith(TapHelper.OK)) {
                try {
                    return Integer.parseInt(line.substring(TapHelper.OK.length()).trim());
                } catch (NumberFormatException e) {
                    break;
                }
            }
        }
        LOG.warn("the tap helper did not report the MTU of {}; reading frames of up to MTU {}", setup.ifname(),
                setup.mtu());
        return setup.mtu();
    }

    /** This JVM's class path with every entry absolute (nsenter keeps the working directory, but be sure). */
    private static String absoluteClassPath() {
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!e.isEmpty()) {
                entries.add(Path.of(e).toAbsolutePath().toString());
            }
        }
        return String.join(File.pathSeparator, entries);
    }

    /** nsenter from util-linux, found on PATH or where Debian puts it. */
    static String nsenter() throws IOException {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin"));
        for (String d : dirs) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "nsenter"))) {
                return Path.of(d, "nsenter").toString();
            }
        }
        throw new IOException("entering another user's namespace needs nsenter (util-linux), which is not on PATH");
    }

    private static void close(FileDescriptor fd) {
        try {
            fd.close();
        } catch (IOException e) {
            // Nothing more to do with a descriptor nobody wants.
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debug("cannot remove {}: {}", dir, e.getMessage());
        }
    }
}
