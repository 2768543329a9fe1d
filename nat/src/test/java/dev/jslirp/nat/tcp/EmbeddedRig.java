package dev.jslirp.nat.tcp;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.nat.NatConfig;
import java.time.Duration;

/**
 * The sans-IO TCP core on a deterministic embedded loop with a {@link FakeHost}: time
 * moves only through {@link #advance}. Factories per state, as smoltcp's tests have.
 */
final class EmbeddedRig implements AutoCloseable {
    static final int REMOTE = GuestFrames.GATEWAY;
    static final int PORT = 8080;

    final FakeHost host = new FakeHost();
    final TcpNat nat;
    final VirtualGuest g;
    private int nextPort = 40000;

    EmbeddedRig() {
        this(NatConfig.defaults());
    }

    EmbeddedRig(NatConfig config) {
        this(config, NetworkConfig.defaults());
    }

    EmbeddedRig(NatConfig config, NetworkConfig net) {
        nat = new TcpNat(config, host);
        g = VirtualGuest.embedded(net, new TcpOnlyService(nat));
        host.attach(g);
    }

    /** A new guest endpoint towards the gateway's PORT. */
    GuestTcp conn() {
        return new GuestTcp(g, REMOTE, PORT, nextPort++);
    }

    /** A connection through the handshake; the host side accepted. */
    GuestTcp established() {
        return established(GuestTcp.DEFAULT_WINDOW);
    }

    /** A connection through the handshake whose guest offers the raw window field {@code window}. */
    GuestTcp established(int window) {
        GuestTcp c = conn();
        c.window = window;
        c.syn();
        host.last().accept();
        c.synAck();
        c.ack();
        return c;
    }

    FakeHost.Socket socket() {
        return host.last();
    }

    Counters<TcpCounter> counters() {
        return g.network().stats().service("nat.tcp", TcpCounter.class);
    }

    long count(TcpCounter c) {
        return counters().get(c);
    }

    void advance(Duration d) {
        g.advance(d);
    }

    /** Runs {@code task} on the loop and returns its result. */
    <T> T onLoop(java.util.function.Supplier<T> task) {
        Object[] out = new Object[1];
        g.onLoop(() -> out[0] = task.get());
        @SuppressWarnings("unchecked")
        T t = (T) out[0];
        return t;
    }

    void advanceMillis(long ms) {
        g.advance(Duration.ofMillis(ms));
    }

    @Override
    public void close() {
        g.close();
        for (FakeHost.Socket s : host.sockets) {
            s.releaseAll();
        }
    }
}
