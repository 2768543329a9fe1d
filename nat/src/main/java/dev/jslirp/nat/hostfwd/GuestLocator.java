package dev.jslirp.nat.hostfwd;

import dev.jslirp.core.wire.IpAddress;

/**
 * Finds the address a guest holds now, by the name a port forward follows it by
 * ({@link HostForward#guestName()}): its DHCP host name (bare or qualified) or its MAC
 * ({@code aa:bb:cc:dd:ee:ff}). The assembled network answers from its DHCP leases.
 * Called on the network's event loop.
 */
@FunctionalInterface
public interface GuestLocator {
    /** The guest's address now, or null if no lease has that name or MAC. */
    IpAddress locate(String guestName);
}
