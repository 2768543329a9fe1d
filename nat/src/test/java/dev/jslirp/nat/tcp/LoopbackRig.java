package dev.jslirp.nat.tcp;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.nat.EpollTestChannels;
import dev.jslirp.nat.NatConfig;
import io.netty.channel.epoll.EpollIoHandler;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The TCP NAT with real Netty host sockets on a real NIO (or epoll) loop, and host peers the test
 * starts on 127.0.0.1 (the only place test traffic may go). The guest reaches them
 * through the gateway address, which maps to the host's loopback.
 */
final class LoopbackRig implements AutoCloseable {
    final TcpNat nat;
    final VirtualGuest g;
    private final TcpOnlyService service;
    private final ExecutorService peers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "host-peer");
        t.setDaemon(true);
        return t;
    });
    private final java.util.List<AutoCloseable> closeables = new java.util.ArrayList<>();
    private int nextPort = 41000;

    LoopbackRig(NatConfig config) {
        this(config, NetworkConfig.defaults());
    }

    LoopbackRig(NatConfig config, NetworkConfig net) {
        this(config, net, false);
    }

    /** With forwards by guest name resolved by {@code locator}. */
    LoopbackRig(NatConfig config, dev.jslirp.nat.hostfwd.GuestLocator locator) {
        nat = new TcpNat(config);
        nat.locator(locator);
        service = new TcpOnlyService(nat);
        g = VirtualGuest.onRealLoop(NetworkConfig.defaults(), service);
    }

    /** With {@code epoll}, the loop and the host sockets run on Netty's native epoll transport, as in the CLI. */
    LoopbackRig(NatConfig config, NetworkConfig net, boolean epoll) {
        nat = new TcpNat(config);
        service = new TcpOnlyService(nat);
        g = epoll
                ? VirtualGuest.onRealLoop(net, EpollIoHandler.newFactory(), EpollTestChannels.HOST_CHANNELS, service)
                : VirtualGuest.onRealLoop(net, service);
    }

    /** Adds a TCP forward on the loop (as NatService.addForward does). */
    java.net.InetSocketAddress addForward(dev.jslirp.nat.hostfwd.HostForward f) {
        return onLoop(() -> service.forwards.add(f));
    }

    /** Removes the TCP forward on {@code address:port}. */
    boolean removeForward(dev.jslirp.core.wire.IpAddress address, int port) {
        return onLoop(() -> service.forwards.remove(dev.jslirp.nat.hostfwd.HostForward.Protocol.TCP, address, port));
    }

    /** Removes the unix socket forward on {@code path}; call through {@link #onLoop}. */
    boolean removeUnixForward(java.nio.file.Path path) {
        return service.forwards.removeUnix(path);
    }

    /** The forwards listening. */
    java.util.List<dev.jslirp.nat.hostfwd.HostForwards.Active> forwards() {
        return service.forwards.list();
    }

    /** The rig on Netty's native epoll transport instead of NIO. */
    static LoopbackRig onEpoll(NatConfig config) {
        return new LoopbackRig(config, NetworkConfig.defaults(), true);
    }

    GuestTcp conn(int port) {
        return new GuestTcp(g, GuestFrames.GATEWAY, port, nextPort++);
    }

    <T> T onLoop(Callable<T> task) {
        AtomicReference<T> out = new AtomicReference<>();
        g.onLoop(() -> {
            try {
                out.set(task.call());
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        return out.get();
    }

    /** Counters and flow states, for failure messages. */
    String dump() {
        return g.network().stats().snapshot() + " " + onLoop(() -> {
            StringBuilder sb = new StringBuilder();
            for (TcpFlow f : nat.stackForTests().table.snapshot()) {
                sb.append(f).append(' ').append(f.state()).append(" una=").append(f.snd.sndUna).append(" nxt=")
                        .append(f.snd.sndNxt).append(" max=").append(f.snd.sndMax).append(" wnd=").append(f.snd.sndWnd)
                        .append(" buf=").append(f.snd.buffer.bytes()).append(" cap=").append(f.snd.buffer.capacityHeld())
                        .append(" rto=").append(f.snd.rtoDeadline).append(" persist=").append(f.snd.persistDeadline)
                        .append(" want=").append(f.host.wantsData()).append("; ");
            }
            return sb.toString();
        });
    }

    long count(TcpCounter c) {
        return g.network().stats().service("nat.tcp", TcpCounter.class).get(c);
    }

    /** A listening socket on 127.0.0.1, closed with the rig. */
    ServerSocket listen() throws IOException {
        ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        closeables.add(s);
        return s;
    }

    /** A listening socket with a small receive buffer (so a peer that does not read fills up quickly). */
    ServerSocket listenSmall() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReceiveBufferSize(8192);
        s.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        closeables.add(s);
        return s;
    }

    /** Runs {@code peer} on an accepted connection in a thread; the future has its result. */
    <T> CompletableFuture<T> serve(ServerSocket server, PeerTask<T> peer) {
        CompletableFuture<T> f = new CompletableFuture<>();
        peers.execute(() -> {
            try (Socket s = server.accept()) {
                f.complete(peer.run(s));
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    void closeLater(AutoCloseable c) {
        closeables.add(c);
    }

    /** What a host peer does with its connection. */
    interface PeerTask<T> {
        T run(Socket s) throws Exception;
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** Reads to EOF, returning the SHA-256 and the byte count. */
    static Object[] digestToEof(InputStream in) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[65536];
        long total = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            md.update(buf, 0, n);
            total += n;
        }
        return new Object[] {md.digest(), total};
    }

    @Override
    public void close() {
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
        g.close();
        peers.shutdownNow();
    }
}
