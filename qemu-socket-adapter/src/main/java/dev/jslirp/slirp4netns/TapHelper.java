package dev.jslirp.slirp4netns;

import dev.jslirp.transport.tap.OpenedTap;
import dev.jslirp.transport.tap.TapSetup;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The helper process of the slirp4netns mode: started by {@link TapHelperProcess} through
 * {@code nsenter} inside the target's user and network namespaces, it opens and
 * configures the tap there ({@link TapSetup#open()}), sends the descriptor to jslirp
 * over a unix socket ({@code SCM_RIGHTS}, Netty's {@code EpollDomainSocketChannel}
 * writing a {@link FileDescriptor}), prints {@code OK READ_MTU} and exits 0. On failure
 * it prints one line to standard error and exits 1. It is slirp4netns's forked child
 * ({@code child()} in its main.c), as a process of its own because a JVM cannot join a
 * user namespace.
 *
 * <p>Its arguments are {@code KEY=VALUE} words ({@link #arguments}); it is not meant to
 * be run by hand.
 */
public final class TapHelper {
    /** What the helper prints on success, before the read MTU. */
    static final String OK = "OK ";
    private static final long SEND_TIMEOUT_SECONDS = 30;

    private TapHelper() {
    }

    /** The helper's words for {@code setup}, the descriptor to go to {@code socket}. */
    static List<String> arguments(Path socket, TapSetup setup) {
        List<String> a = new ArrayList<>();
        a.add("socket=" + socket);
        a.add("ifname=" + setup.ifname());
        a.add("mtu=" + setup.mtu());
        a.add("address=" + setup.address());
        a.add("netmask=" + setup.netmask());
        a.add("gateway=" + setup.gateway());
        a.add("mac=" + setup.mac());
        a.add("lo=" + setup.loopbackUp());
        return a;
    }

    /** The request the words carry. */
    record Request(Path socket, TapSetup setup) {
    }

    /**
     * Reads {@link #arguments}' words back.
     *
     * @throws IllegalArgumentException if a word is missing or malformed
     */
    static Request parse(String... args) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String a : args) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("expected KEY=VALUE, got '" + a + "'");
            }
            m.put(a.substring(0, eq), a.substring(eq + 1));
        }
        for (String k : List.of("socket", "ifname", "mtu", "address", "netmask", "gateway", "mac", "lo")) {
            if (!m.containsKey(k)) {
                throw new IllegalArgumentException("missing " + k + "=");
            }
        }
        TapSetup setup = new TapSetup(m.get("ifname"), Integer.parseInt(m.get("mtu")), Integer.parseInt(m.get("address")),
                Integer.parseInt(m.get("netmask")), Integer.parseInt(m.get("gateway")), Long.parseLong(m.get("mac")),
                Boolean.parseBoolean(m.get("lo")), false, null);
        return new Request(Path.of(m.get("socket")), setup);
    }

    /** Opens the tap where this process is, sends it, reports; exits 0 or 1. */
    public static void main(String... args) {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        try {
            Request r = parse(args);
            // Netty's FileDescriptor (the tap's, closed on failure too) needs the native library loaded.
            Epoll.ensureAvailability();
            OpenedTap tap = r.setup().open();
            try {
                send(r.socket(), tap.device().fd());
            } finally {
                tap.device().close();
            }
            out.println(OK + tap.readMtu());
            System.exit(0);
        } catch (IOException | RuntimeException | LinkageError e) {
            System.err.println(e.getMessage() != null ? e.getMessage() : e.toString());
            System.exit(1);
        }
    }

    /** Connects to jslirp's socket and sends {@code fd} with {@code SCM_RIGHTS}. */
    private static void send(Path socket, FileDescriptor fd) throws IOException {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        try {
            Channel ch = new Bootstrap().group(group).channel(EpollDomainSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(new DomainSocketAddress(socket.toString())).syncUninterruptibly().channel();
            ChannelFuture sent = ch.writeAndFlush(fd);
            if (!sent.awaitUninterruptibly(SEND_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                throw new IOException("timed out sending the tap's descriptor to " + socket);
            }
            if (!sent.isSuccess()) {
                throw new IOException("cannot send the tap's descriptor to " + socket + ": " + sent.cause(), sent.cause());
            }
            ch.close().syncUninterruptibly();
        } catch (RuntimeException e) {
            throw new IOException("cannot connect or send the tap's descriptor to " + socket + ": " + e.getMessage(), e);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }
}
