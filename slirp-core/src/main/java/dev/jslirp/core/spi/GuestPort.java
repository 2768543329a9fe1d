package dev.jslirp.core.spi;

/**
 * One guest's attachment to a network: a port of the network's virtual switch (a QEMU
 * stream connection, a datagram peer, a tap). A network serves one or many ports; each
 * has its own transport, queue bound and writability, so trouble stays on its port: a
 * guest that stops reading loses its own frames, and a guest that leaves ends only its
 * own flows ({@link GuestService#guestDetached(GuestPort)}).
 *
 * <p>Services learn a packet's port from {@link GuestPacket#port()} and keep it with
 * what the packet opened (a NAT flow), so that they ask the right port whether it can
 * take more ({@link #isWritable()}) and end the right flows when it goes. A port is
 * never reused: a guest that comes back is a new port.
 *
 * <p>Every method is called on the network's event loop.
 */
public interface GuestPort {
    /** A number unique among the ports the network has had (1, 2, ...), never reused. */
    int id();

    /** What the port is, for logs and {@code info ports}: e.g. {@code stream unix:/tmp/j.sock #2}. */
    String name();

    /**
     * False while the port's transport cannot take more frames (the guest stopped
     * reading): producers that can wait (TCP flows reading host sockets) pause until
     * {@link GuestService#guestWritabilityChanged} says true for this port; the rest drop.
     * False once detached.
     */
    boolean isWritable();

    /**
     * The most TCP payload a segment to this port's guest may carry when the guest's MSS
     * fills the MTU, or 0 for the MSS: its transport's
     * {@link FrameSink#maxTcpSegment()}.
     */
    default int maxTcpSegment() {
        return 0;
    }

    /** True until the port is detached (its guest left). */
    boolean isAttached();

    /**
     * True if the port may not use the NAT ({@code restrict=on} for this port): its
     * guest reaches the network's own services and, unless isolated, the other guests,
     * and is reached through port forwards; nothing it sends leaves for the host or the
     * world.
     */
    boolean isRestricted();
}
