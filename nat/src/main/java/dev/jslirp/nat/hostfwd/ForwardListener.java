package dev.jslirp.nat.hostfwd;

import java.net.InetSocketAddress;

/** The host side of one port forward: a socket listening for the forward's protocol. */
public interface ForwardListener {
    /** Where it listens, with the port the system chose for host port 0; null for a unix socket. */
    InetSocketAddress boundAddress();

    /**
     * Stops listening (HMP's {@code hostfwd_remove}). TCP connections already accepted
     * go on, as in QEMU; a UDP forward's peer mappings end with it.
     */
    void close();
}
