package dev.jslirp.nat.tcp;

import dev.jslirp.nat.HostTarget;

/** Opens host connections for guest flows: Netty channels in production, fakes in tests. */
interface HostConnector {
    /**
     * Starts connecting {@code flow} to {@code target}. Attaches the socket with
     * {@link HostHalf#attach} before the connect can complete, then reports the
     * outcome through {@link HostHalf#onConnected} or {@link HostHalf#onConnectFailed}
     * (possibly before this returns).
     */
    void connect(TcpFlow flow, HostTarget target);
}
