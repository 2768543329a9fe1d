package dev.jslirp.nat.tcp;

import io.netty.buffer.ByteBuf;

/**
 * The host half of a flow: its {@link HostSocket} and what that socket's end of the
 * connection has done, as seen from the guest's TCP state machine ({@link TcpFlow}).
 *
 * <h2>Guest data towards the host</h2>
 * <p>In-order guest data is written as it comes ({@link #deliver}) and flushed once at
 * the end of the event-loop turn ({@link #endOfTurn}). Small segments are copied into
 * one flow-owned buffer and written with their neighbours ({@link #deliverSmall}),
 * rather than each pinning a guest frame and a Netty write entry. What the socket has
 * not taken yet ({@link #pendingBytes}) is what the window offered to the guest must
 * leave room for. It is charged to the flow's account of the memory budget as it is
 * written, and credited as the socket takes it ({@link #syncPending}: Netty tells no one
 * when a write completed, so the count is brought up to date whenever the window is
 * worked out, at the end of each turn and when the socket drains).
 *
 * <h2>Host events</h2>
 * <p>The socket reports through the {@code on*} methods; each updates this half's
 * bookkeeping and tells the flow, whose state machine decides what the guest sees.
 *
 * <h2>Ending</h2>
 * <p>The guest's FIN shuts the socket's output after the last write
 * ({@link #shutdownOutput}); both directions ended closes it after the last write
 * ({@link #close}); a reset anywhere aborts it with SO_LINGER 0 ({@link #abort}).
 */
final class HostHalf implements SegmentAssembler.Sink {
    /**
     * Guest segments with less data than this are copied (see {@link #deliverSmall});
     * larger ones go to the host as slices of the guest's frame. With Netty's ~96
     * bytes of bookkeeping per queued write, this keeps that overhead under a fifth
     * of the data however small the guest's segments are.
     */
    static final int COALESCE_BELOW = 512;
    private static final int COALESCE_BUFFER = 2048;

    private final TcpFlow flow;
    private final TcpStack stack;
    private HostSocket socket;
    /** The host sent EOF. */
    private boolean eof;
    /** We asked the socket to close (or aborted it). */
    private boolean closeRequested;
    /** The socket's output is shut (the guest's FIN went on). */
    private boolean outputShut;
    /** The socket is closed. */
    private boolean closed;
    /** Writes wait for the end-of-turn flush. */
    private boolean writesQueued;
    /** Small guest writes gathered for one host write; see {@link #deliverSmall}. */
    private ByteBuf coalesced;
    /** Bytes of {@link #pendingBytes()} charged to the flow's memory account, as last synced. */
    private long pendingCharged;

    HostHalf(TcpFlow flow, TcpStack stack) {
        this.flow = flow;
        this.stack = stack;
    }

    /** Attaches the socket; called by the {@link HostConnector} or forwarder before it connects. */
    void attach(HostSocket s) {
        this.socket = s;
    }

    /** The socket (for tests). */
    HostSocket socketForTests() {
        return socket;
    }

    /** True once attached. */
    boolean attached() {
        return socket != null;
    }

    /** True once the host sent EOF. */
    boolean eof() {
        return eof;
    }

    /** True once the socket closed. */
    boolean closed() {
        return closed;
    }

    // ---------------------------------------------------------------- guest data to the host

    /** In-order guest data for the host: written now, flushed at the end of the turn. */
    @Override
    public void deliver(ByteBuf data) {
        stack.counters.add(TcpCounter.BYTES_FROM_GUEST, data.readableBytes());
        charge(data.readableBytes());
        writeCoalesced();
        socket.write(data);
        writesQueued();
    }

    /**
     * Small in-order guest data: copied into a flow-owned buffer and written with its
     * neighbours. The guest's frame stays owned by the caller.
     */
    void deliverSmall(ByteBuf frame, int off, int len) {
        stack.counters.add(TcpCounter.BYTES_FROM_GUEST, len);
        charge(len);
        if (coalesced != null && coalesced.writableBytes() < len) {
            writeCoalesced();
        }
        if (coalesced == null) {
            coalesced = stack.ctx.alloc().directBuffer(COALESCE_BUFFER);
        }
        coalesced.writeBytes(frame, off, len);
        writesQueued();
    }

    private void writesQueued() {
        if (!writesQueued) {
            writesQueued = true;
            stack.scheduler.endOfTurn(flow);
        }
    }

    /** Passes the coalesced small writes to the socket, keeping the byte order. */
    private void writeCoalesced() {
        ByteBuf c = coalesced;
        if (c != null) {
            coalesced = null;
            if (c.isReadable()) {
                socket.write(c);
            } else {
                c.release();
            }
        }
    }

    private void charge(int n) {
        flow.memory.charge(n);
        pendingCharged += n;
    }

    /**
     * Brings the memory charged for pending writes up to {@link #pendingBytes()} (down,
     * mostly: the socket took some) and returns it.
     */
    long syncPending() {
        if (flow.isRemoved()) {
            return 0;
        }
        long now = pendingBytes();
        if (now < pendingCharged) {
            flow.memory.release(pendingCharged - now);
        } else {
            flow.memory.charge(now - pendingCharged);
        }
        pendingCharged = now;
        return now;
    }

    /** End of the event-loop turn: flush what was written. */
    void endOfTurn() {
        if (writesQueued) {
            writesQueued = false;
            if (!closed) {
                writeCoalesced();
                socket.flush();
            }
            syncPending();
        }
    }

    /** What the socket has not taken yet, small writes still being coalesced included. */
    long pendingBytes() {
        long n = coalesced == null ? 0 : coalesced.readableBytes();
        return socket == null || closed ? n : n + socket.pendingBytes();
    }

    /**
     * Room left for host data, by memory held: what the socket may read now. The flow's
     * buffer bounds it, and the room the network's memory budget gives the flow.
     */
    int readSpace() {
        return (int) Math.max(0, Math.min(ownReadSpace(), flow.memory.room()));
    }

    /** Room left for host data by the flow's own buffer alone. */
    long ownReadSpace() {
        return stack.bufferBytes - flow.snd.buffer.capacityHeld();
    }

    /** True while reads should run: the guest can take data, and the socket has more. */
    boolean wantsData() {
        return flow.state().sendsToGuest() && !eof && !closed && socket != null && flow.snd.sndWnd > 0
                && readSpace() > 0 && flow.guestWritable();
    }

    /**
     * Asks for a batch of host data if {@link #wantsData()}; a flow held back only by the
     * memory budget waits to be woken when memory frees.
     */
    void readIfWanted() {
        if (wantsData()) {
            socket.read();
        } else if (readSpace() == 0 && ownReadSpace() > 0 && !eof && !closed
                && socket != null && flow.state().sendsToGuest()) {
            stack.waitForMemory(flow);
        }
    }

    // ---------------------------------------------------------------- ending

    /** The guest's FIN: the host peer reads EOF after the last write. */
    void shutdownOutput() {
        if (!outputShut) {
            outputShut = true;
            writeCoalesced();
            socket.shutdownOutput();
        }
    }

    /** Both directions ended: close after the last write. */
    void close() {
        if (!closeRequested) {
            closeRequested = true;
            writeCoalesced();
            socket.close();
        }
    }

    /** Resets the socket (SO_LINGER 0), dropping what it still holds. */
    void abort() {
        closeRequested = true;
        if (socket != null && !closed) {
            closed = true;
            socket.abort();
        }
    }

    /** Releases the coalescing buffer and what pending writes hold of the budget (the flow is finished). */
    void release() {
        if (coalesced != null) {
            coalesced.release();
            coalesced = null;
        }
        flow.memory.release(pendingCharged);
        pendingCharged = 0;
    }

    // ---------------------------------------------------------------- socket events

    /** The connect succeeded. */
    void onConnected(long now) {
        flow.hostConnected(now);
    }

    /** The connect failed. */
    void onConnectFailed(Throwable cause, long now) {
        closed = true;
        flow.hostConnectFailed(cause, now);
    }

    /**
     * Data from the host; takes ownership of {@code data}. Data that arrives before the
     * handshake with the guest completed (a host that writes at once, read by a
     * transport that reads unasked: see {@link HostReadAllocator}) waits in the send
     * buffer like any other.
     */
    void onData(ByteBuf data, long now) {
        if (flow.isRemoved() || !flow.state().queuesHostData() || eof) {
            data.release();
            return;
        }
        flow.schedule.lastActivity = now;
        long past = flow.snd.buffer.capacityHeld() + data.capacity() - stack.bufferBytes;
        if (past > 0) {
            stack.counters.add(TcpCounter.HOST_READ_PAST_BUFFER, Math.min(past, data.capacity()));
        }
        flow.snd.buffer.add(data);
    }

    /** A read batch ended: send what arrived, read more if there is room. */
    void onReadComplete(long now) {
        flow.hostReadComplete(now);
    }

    /** The host sent EOF. */
    void onEof(long now) {
        if (flow.isRemoved() || eof) {
            return;
        }
        eof = true;
        flow.hostEof(now);
    }

    /** The socket's writability changed: the window offered to the guest may open. */
    void onWritabilityChanged(long now) {
        syncPending();
        flow.hostWritabilityChanged(now);
    }

    /** The socket failed (reset, write error). */
    void onError(Throwable cause, long now) {
        flow.hostError(cause, now);
    }

    /**
     * The socket closed right after the host's EOF (a transport that cannot half-close,
     * see {@link NettyHostSocket#channelInactive}): not a reset; the guest's FIN is on
     * its way.
     */
    void onClosedAfterEof(long now) {
        if (closed) {
            return;
        }
        closed = true;
        flow.hostClosed(false, now);
    }

    /** The socket closed; unasked, that is a reset for the guest. */
    void onClosed(long now) {
        if (closed) {
            return;
        }
        closed = true;
        flow.hostClosed(!closeRequested, now);
    }
}
