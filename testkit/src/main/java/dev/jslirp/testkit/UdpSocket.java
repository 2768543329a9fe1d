package dev.jslirp.testkit;

import dev.jslirp.core.wire.IpAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;

/**
 * A guest's UDP socket of either family: it sends to one destination from its own port
 * and receives what comes back to that port, from anyone. Use from the guest's thread.
 */
public final class UdpSocket implements AutoCloseable {
    /** Datagrams received and not yet read, at most; more are dropped as a full socket buffer would. */
    private static final int MAX_QUEUED = 4096;

    private final Guest guest;
    private final IpAddress remote;
    private final int remotePort;
    private final int localPort;
    private final ArrayDeque<Frame.Udp> queued = new ArrayDeque<>();

    UdpSocket(Guest guest, IpAddress remote, int remotePort, int localPort) {
        this.guest = guest;
        this.remote = remote;
        this.remotePort = remotePort;
        this.localPort = localPort;
    }

    /** The guest's port of the socket. */
    public int localPort() {
        return localPort;
    }

    /** Sends {@code text} as UTF-8 in one datagram. */
    public void send(String text) {
        send(text.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends {@code data} in one datagram. */
    public void send(byte[] data) {
        guest.send(guest.writer().udp(guest.nextHop(remote), guest.source(remote), localPort, remote, remotePort, data));
    }

    /**
     * The next datagram to this socket, with its source.
     *
     * @throws GuestException if none came within the guest's timeout
     */
    public Frame.Udp receiveDatagram() {
        if (!guest.pumpUntil(() -> !queued.isEmpty(), guest.timeout())) {
            throw new GuestException(this + ": no datagram within " + guest.timeout());
        }
        return queued.poll();
    }

    /** The payload of the next datagram; see {@link #receiveDatagram()}. */
    public byte[] receive() {
        return receiveDatagram().payload();
    }

    /** The payload of the next datagram as UTF-8 text; see {@link #receiveDatagram()}. */
    public String receiveString() {
        return new String(receive(), StandardCharsets.UTF_8);
    }

    void received(Frame.Udp d) {
        if (queued.size() < MAX_QUEUED) {
            queued.add(d);
        }
    }

    /** Stops receiving: later datagrams to the port are left for {@link Guest#nextFrame()}. */
    @Override
    public void close() {
        guest.forget(this);
    }

    @Override
    public String toString() {
        return "UDP " + guest.source(remote).toUriString() + ":" + localPort + " > " + remote.toUriString() + ":"
                + remotePort;
    }
}
