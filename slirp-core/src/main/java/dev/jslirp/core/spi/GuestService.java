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
     * A guest transport was attached (QEMU connected, or came back after a restart): the
     * guest's link is up, so a service that announces itself unasked (router
     * advertisements) may start now. Called on the event loop after the transport can
     * take frames.
     */
    default void guestAttached() {
    }

    /** The guest transport became writable again, or stopped being writable. */
    default void guestWritabilityChanged(boolean writable) {
    }

    /**
     * The guest is gone (QEMU disconnected): connections it had are dead. Leases and
     * listeners may stay for when it comes back; flows towards it should end.
     */
    default void guestDetached() {
    }

    /** The network is closing: release every buffer, socket and timer. */
    default void stop() {
    }
}
