package dev.jslirp.nat;

import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.hostfwd.HostForward;
import java.util.Objects;

/**
 * One row of the NAT's connection table at one moment, as QEMU's {@code info usernet}
 * lists libslirp's sockets: a port forward's listener, or a flow.
 *
 * <p>Endpoints are addresses of either family ({@code null} for "all addresses") and ports:
 * <ul>
 *   <li>a listener ({@link #HOST_FORWARD}): source is where it listens on the host
 *       (the bound port, also for a forward asked with port 0; a unix socket's path in
 *       {@code hostEnd}), destination the guest address and port it forwards to;</li>
 *   <li>a guest forward ({@link #GUEST_FORWARD}): source is the server address and port
 *       the guest connects to, destination its target on the host, in {@code hostEnd};</li>
 *   <li>a flow: source is the end that opened it and destination the other, both as the
 *       guest sees them: for a flow the guest opened, the guest's address and port, then
 *       the remote it talks to (the gateway for the host's loopback); for a flow a port
 *       forward opened, the gateway address and port the host peer appears as, then the
 *       guest's.</li>
 * </ul>
 *
 * @param protocol           TCP or UDP
 * @param state              {@link #HOST_FORWARD} for a listener; a TCP flow's state
 *                           towards the guest ({@code ESTABLISHED}, {@code FIN_WAIT_1}...);
 *                           {@link #UDP_FLOW} for a UDP flow
 * @param sourceAddress      see above
 * @param sourcePort         see above
 * @param destinationAddress see above
 * @param destinationPort    see above
 * @param receiveQueue       bytes from the host held for the guest (TCP: not yet
 *                           acknowledged by it), as libslirp's {@code so_rcv}
 * @param sendQueue          bytes from the guest the host socket has not taken yet, as
 *                           libslirp's {@code so_snd}
 * @param expiresInNanos     for a UDP flow, the time left until it is closed as idle;
 *                           -1 for the other rows
 * @param hostEnd            the host end in words where no address and port say it:
 *                           {@code unix:PATH} for a forward from a unix socket, the target of
 *                           a guest forward ({@code tcp:HOST:PORT}, {@code unix:PATH},
 *                           {@code cmd:COMMAND}); null for the other rows
 * @param guestPort          the id of the guest's port the flow belongs to
 *                           ({@link dev.jslirp.core.spi.GuestPort#id()}), 0 for a listener or
 *                           a forward's flow no guest answered yet
 */
public record NatConnection(HostForward.Protocol protocol, String state, IpAddress sourceAddress, int sourcePort,
                            IpAddress destinationAddress, int destinationPort, long receiveQueue, long sendQueue,
                            long expiresInNanos, String hostEnd, int guestPort) {
    /** A row of no guest's port whose host end needs words ({@code hostEnd}). */
    public NatConnection(HostForward.Protocol protocol, String state, IpAddress sourceAddress, int sourcePort,
                         IpAddress destinationAddress, int destinationPort, long receiveQueue, long sendQueue,
                         long expiresInNanos, String hostEnd) {
        this(protocol, state, sourceAddress, sourcePort, destinationAddress, destinationPort, receiveQueue, sendQueue,
                expiresInNanos, hostEnd, 0);
    }

    /** The state of a port forward's listening socket (libslirp's name). */
    public static final String HOST_FORWARD = "HOST_FORWARD";
    /** The state of a guest forward, which listens in the virtual network (jslirp's name). */
    public static final String GUEST_FORWARD = "GUEST_FORWARD";

    /** A row of no guest's port whose ends addresses and ports say. */
    public NatConnection(HostForward.Protocol protocol, String state, IpAddress sourceAddress, int sourcePort,
                         IpAddress destinationAddress, int destinationPort, long receiveQueue, long sendQueue,
                         long expiresInNanos) {
        this(protocol, state, sourceAddress, sourcePort, destinationAddress, destinationPort, receiveQueue, sendQueue,
                expiresInNanos, null, 0);
    }
    /** The state of a UDP flow, which has no states of its own. */
    public static final String UDP_FLOW = "FLOW";

    /** Checks the fields. */
    public NatConnection {
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(state, "state");
    }

    /**
     * A port forward's listener on {@code hostAddress:boundPort}, or on the unix socket at
     * {@code hostPath} (non-null), for {@code guestAddress:guestPort}.
     */
    public static NatConnection listener(HostForward.Protocol protocol, IpAddress hostAddress, int boundPort,
                                         IpAddress guestAddress, int guestPort, java.nio.file.Path hostPath) {
        return new NatConnection(protocol, HOST_FORWARD, hostAddress, boundPort, guestAddress, guestPort, 0, 0, -1,
                hostPath == null ? null : "unix:" + hostPath);
    }

    /** A guest forward at {@code server:port} in the virtual network to {@code target} on the host. */
    public static NatConnection guestForward(IpAddress server, int port, HostTarget target) {
        return new NatConnection(HostForward.Protocol.TCP, GUEST_FORWARD, server, port, null, 0, 0, 0, -1,
                target.toString());
    }

    /** True for a port forward's listening socket, or a guest forward. */
    public boolean isListener() {
        return HOST_FORWARD.equals(state) || GUEST_FORWARD.equals(state);
    }
}
