package dev.jslirp.transport;

import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.stats.Counters;
import java.io.IOException;
import java.util.List;

/**
 * A way QEMU's frames reach one {@link GuestNetwork}: a stream socket jslirp listens on
 * or connects to, or a datagram socket. The transport runs on the network's event
 * loop; it attaches itself to the network while a QEMU is connected and detaches when
 * it goes, so the network (leases, port forwards) outlives VM restarts.
 */
public interface GuestTransport extends AutoCloseable {
    /** The name of the transports' counter set in the network's stats. */
    String COUNTER_SET = "transport";

    /** The transport counters of {@code network}, created on first use. */
    static Counters<TransportCounter> counters(GuestNetwork network) {
        return network.stats().service(COUNTER_SET, TransportCounter.class);
    }

    /**
     * Binds or starts connecting. Blocks until a listening or datagram socket is bound;
     * a client returns at once and keeps trying in the background. Call once, not on
     * the event loop.
     *
     * @throws IOException if the socket cannot be bound (address in use, a file in the
     *                     way of a unix socket), with a message naming the address
     */
    void start() throws IOException;

    /** Where the transport listens or connects, in the user's syntax, once started. */
    Endpoint endpoint();

    /**
     * The {@code -netdev} values a QEMU needs to talk to this transport, the preferred
     * one first (e.g. {@code stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/j.sock}),
     * then the legacy {@code socket} form where QEMU has one. Valid once started.
     */
    List<String> qemuNetdevs(String id);

    /**
     * What the transport does, for the start-up log, once started: e.g. {@code listening on
     * unix:/tmp/j.sock} or {@code serving tap tap0 in network namespace /run/netns/ns1}.
     */
    String activity();

    /**
     * What the user does to attach a guest, for the start-up log: by default the QEMU
     * arguments from the preferred {@link #qemuNetdevs} form and a virtio-net NIC on it.
     */
    default String attachHint(String id) {
        List<String> netdevs = qemuNetdevs(id);
        return netdevs.isEmpty() ? "" : "start QEMU with: -netdev " + netdevs.get(0)
                + " -device virtio-net-pci,netdev=" + id;
    }

    /** Closes the sockets (and removes a unix socket file it created); blocks until done. */
    @Override
    void close();
}
