package dev.jslirp.nat.hostfwd;

import dev.jslirp.core.config.ConfigException;

/** Opens listeners for the forwards of one protocol (the TCP or the UDP half of the NAT). */
public interface ForwardListenerFactory {
    /**
     * Binds a listener for {@code forward}; called on the event loop, where the bind
     * completes before this returns.
     *
     * @throws ConfigException naming {@code hostfwd} and the address if it cannot listen
     */
    ForwardListener listen(HostForward forward);
}
