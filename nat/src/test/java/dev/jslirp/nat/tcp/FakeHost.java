package dev.jslirp.nat.tcp;

import dev.jslirp.core.testkit.VirtualGuest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.net.ConnectException;
import dev.jslirp.nat.HostTarget;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The host side for tests of the sans-IO core on an embedded loop: each connect gives a
 * {@link Socket} the test drives (accept or refuse the connect, send data or EOF, reset,
 * stop reading), and that records what the flow did to it. Events reach the flow as a
 * Netty channel's would: later, from the loop, never from inside a flow call.
 */
final class FakeHost implements HostConnector {
    final List<Socket> sockets = new ArrayList<>();
    private VirtualGuest guest;

    void attach(VirtualGuest g) {
        this.guest = g;
    }

    @Override
    public void connect(TcpFlow flow, HostTarget target) {
        Socket s = new Socket(flow, target);
        flow.host.attach(s);
        sockets.add(s);
    }

    Socket last() {
        return sockets.get(sockets.size() - 1);
    }

    /** One fake host connection. */
    final class Socket implements HostSocket {
        final TcpFlow flow;
        /** Where the flow connected (null for a port forward's accepted client). */
        final HostTarget target;
        /** Written by the flow, not yet "taken by the kernel". */
        final ArrayDeque<ByteBuf> unflushed = new ArrayDeque<>();
        final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        /** Host data waiting for the flow to ask for a read. */
        final ArrayDeque<byte[]> toFlow = new ArrayDeque<>();
        boolean eofQueued;
        /** When false, flushed data stays pending (a host peer that does not read). */
        boolean draining = true;
        /** When true, data taken is released without being recorded (allocation probes). */
        boolean discard;
        boolean readRequested;
        int reads;
        boolean outputShut;
        boolean closed;
        boolean aborted;
        int flushes;
        int writes;
        /** Bytes in unflushed and pending (kept as a count: pendingBytes is on the hot path). */
        private long pendingCount;

        Socket(TcpFlow flow, HostTarget target) {
            this.flow = flow;
            this.target = target;
        }

        private long now() {
            return flow.stack.ctx.nanoTime();
        }

        // ---------------------------------------------------------- test controls

        void accept() {
            guest.onLoop(() -> flow.host.onConnected(now()));
        }

        void refuse() {
            guest.onLoop(() -> flow.host.onConnectFailed(new ConnectException("Connection refused"), now()));
        }

        /** Host data; delivered when the flow reads. */
        void send(byte[] data) {
            toFlow.add(data);
            guest.onLoop(this::deliverIfReading);
        }

        /** Host EOF after the data sent so far. */
        void eof() {
            eofQueued = true;
            guest.onLoop(this::deliverIfReading);
        }

        /**
         * Delivers all host data and the EOF now, whether or not the flow asked for a
         * read and whatever room it has: what Netty's epoll transport does once the host
         * half-closed (EPOLLRDHUP).
         */
        void drainUnasked() {
            guest.onLoop(() -> {
                while (!toFlow.isEmpty()) {
                    flow.host.onData(Unpooled.wrappedBuffer(toFlow.poll()), now());
                }
                flow.host.onReadComplete(now());
                if (eofQueued) {
                    eofQueued = false;
                    flow.host.onEof(now());
                }
            });
        }

        void reset() {
            guest.onLoop(() -> flow.host.onError(new java.io.IOException("Connection reset by peer"), now()));
        }

        /** Stops or resumes taking written data. */
        void setDraining(boolean d) {
            draining = d;
            if (d) {
                guest.onLoop(() -> {
                    takePending();
                    flow.host.onWritabilityChanged(now());
                });
            }
        }

        byte[] receivedBytes() {
            return received.toByteArray();
        }

        private void deliverIfReading() {
            if (!readRequested || closed || aborted) {
                return;
            }
            if (toFlow.isEmpty() && !eofQueued) {
                return;
            }
            readRequested = false;
            int space = flow.host.readSpace();
            while (!toFlow.isEmpty() && space > 0) {
                byte[] d = toFlow.poll();
                if (d.length > space) {
                    toFlow.addFirst(java.util.Arrays.copyOfRange(d, space, d.length));
                    d = java.util.Arrays.copyOf(d, space);
                }
                space -= d.length;
                flow.host.onData(Unpooled.wrappedBuffer(d), now());
            }
            flow.host.onReadComplete(now());
            if (toFlow.isEmpty() && eofQueued) {
                eofQueued = false;
                flow.host.onEof(now());
            }
        }

        private void takePending() {
            ByteBuf b;
            while ((b = pending.poll()) != null) {
                pendingCount -= b.readableBytes();
                try {
                    if (!discard) {
                        received.writeBytes(ByteBufUtil.getBytes(b));
                    }
                } finally {
                    b.release();
                }
            }
        }

        // ---------------------------------------------------------- HostSocket

        @Override
        public void write(ByteBuf data) {
            if (closed || aborted) {
                data.release();
                return;
            }
            writes++;
            pendingCount += data.readableBytes();
            unflushed.add(data);
        }

        @Override
        public void flush() {
            flushes++;
            ByteBuf b;
            while ((b = unflushed.poll()) != null) {
                pending.add(b);
            }
            if (draining) {
                takePending();
            }
        }

        @Override
        public long pendingBytes() {
            return pendingCount;
        }

        @Override
        public void read() {
            if (!readRequested) {
                readRequested = true;
                reads++;
                guest.network().eventLoop().execute(this::deliverIfReading);
            }
        }

        @Override
        public void shutdownOutput() {
            flush();
            outputShut = true;
        }

        @Override
        public void close() {
            flush();
            closed = true;
            releaseAll();
            guest.network().eventLoop().execute(() -> flow.host.onClosed(now()));
        }

        @Override
        public void abort() {
            aborted = true;
            releaseAll();
            guest.network().eventLoop().execute(() -> flow.host.onClosed(now()));
        }

        void releaseAll() {
            pendingCount = 0;
            ByteBuf b;
            while ((b = unflushed.poll()) != null) {
                b.release();
            }
            while ((b = pending.poll()) != null) {
                b.release();
            }
        }
    }
}
