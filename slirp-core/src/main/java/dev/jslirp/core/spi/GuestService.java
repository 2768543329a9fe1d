package dev.jslirp.core.spi;

/**
 * A service on the virtual network (DHCP, DNS, NAT...) plugged into the core. The
 * core validates each frame from the guest down to the transport header and offers
 * the packets it does not answer itself to the services, in registration order,
 * until one takes it.
 *
 * <p>Every method is called on the network's event loop.
 */
public interface GuestService {
    /**
     * Called once before any packet, with the context the service keeps for sending
     * frames, allocating, scheduling and counting.
     */
    default void start(GuestContext context) {
    }

    /**
     * Offers a valid IPv4 packet from the guest.
     *
     * <p>The packet, its views and its frame are valid only during the call and are
     * owned by the caller, which releases the frame afterwards: a service that keeps
     * bytes ({@code frame.retainedSlice(...)}) owns what it retained.
     *
     * @return true if the service took the packet; false to offer it to the next
     */
    boolean handle(GuestPacket packet);

    /**
     * A guest came: {@code port} was attached (a QEMU connected, or came back after a
     * restart, as a new port). Its link is up, so a service that announces itself unasked
     * (router advertisements) may do so now. Called on the event loop after the port can
     * take frames.
     */
    default void guestAttached(GuestPort port) {
    }

    /**
     * {@code port}'s transport became writable again, or stopped being writable: flows of
     * that port that paused resume (and only those; other guests' ports are unaffected).
     */
    default void guestWritabilityChanged(GuestPort port, boolean writable) {
    }

    /**
     * The guest of {@code port} is gone (QEMU disconnected): the connections it had are
     * dead and its flows should end; other ports' flows go on. Leases and listeners stay
     * for when it comes back (as a new port). {@link GuestContext#isGuestAttached()} says
     * whether any port is left.
     */
    default void guestDetached(GuestPort port) {
    }

    /** The network is closing: release every buffer, socket and timer. */
    default void stop() {
    }
}
