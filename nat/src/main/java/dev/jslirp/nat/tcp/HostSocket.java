package dev.jslirp.nat.tcp;

import io.netty.buffer.ByteBuf;

/**
 * The host end of one flow, as the sans-IO core drives it: a Netty channel in
 * production ({@link NettyHostSocket}), an in-memory peer in tests.
 *
 * <p>Every method is called on the guest's event loop and returns at once. What the
 * host does comes back through the {@code on*} methods of the flow's {@link HostHalf}:
 * {@link HostHalf#onConnected}, {@link HostHalf#onConnectFailed},
 * {@link HostHalf#onData}, {@link HostHalf#onReadComplete}, {@link HostHalf#onEof},
 * {@link HostHalf#onWritabilityChanged}, {@link HostHalf#onError} and
 * {@link HostHalf#onClosed}.
 */
interface HostSocket {
    /**
     * Queues guest data for the host. Takes ownership of {@code data} (released once
     * written, or when the socket closes). Nothing need be sent before {@link #flush()}.
     */
    void write(ByteBuf data);

    /** Pushes queued writes towards the kernel. */
    void flush();

    /**
     * Bytes queued or flushed but not yet taken by the kernel: what the window offered
     * to the guest must leave room for.
     */
    long pendingBytes();

    /**
     * Asks for one batch of host data (reads are paused otherwise). Each batch ends with
     * {@link HostHalf#onReadComplete}; calling again before then is harmless.
     */
    void read();

    /** Shuts the socket's output after every queued write went out: the host peer sees EOF. */
    void shutdownOutput();

    /**
     * Closes after every queued write went out; {@link HostHalf#onClosed} follows.
     */
    void close();

    /**
     * Closes at once with a reset (SO_LINGER 0), dropping queued writes; the host peer
     * sees a RST. {@link HostHalf#onClosed} may follow later.
     */
    void abort();
}
