package dev.jslirp.bench.soak;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;

/**
 * The soak's UDP: an echo server, and a client that sends numbered datagrams and checks
 * each echo. The client changes its socket (so its source port, so jslirp's flow) every
 * {@link #DATAGRAMS_PER_SOCKET} datagrams: the flows it leaves behind expire in jslirp
 * (240 s idle by default), so the table churns at a steady level. Every tenth datagram is
 * {@link #LARGE} bytes, more than the link's MTU, so it travels in fragments:
 * reassembled by jslirp on the way out, fragmented by it on the way in.
 */
final class UdpTraffic {
    /** Datagrams per client socket. */
    static final int DATAGRAMS_PER_SOCKET = 25;
    /** A datagram that needs fragments at MTU 1500. */
    static final int LARGE = 3000;
    /** How long the client waits for an echo before counting the datagram lost. */
    static final int TIMEOUT_MS = 2000;

    private UdpTraffic() {
    }

    /** Echoes every datagram on {@code socket} back to its sender until the socket closes. */
    static void serve(DatagramSocket socket, Tally tally, String name) {
        byte[] b = new byte[65535];
        while (!socket.isClosed()) {
            DatagramPacket p = new DatagramPacket(b, b.length);
            try {
                socket.receive(p);
                socket.send(new DatagramPacket(b, p.getLength(), p.getSocketAddress()));
            } catch (IOException e) {
                if (!socket.isClosed()) {
                    tally.error(name + ".server", e);
                }
            }
        }
    }

    /** A client towards one echo server. Not thread-safe: one per worker. */
    static final class Client implements AutoCloseable {
        private final InetSocketAddress to;
        private DatagramSocket socket;
        private long sequence;

        Client(InetSocketAddress to) {
            this.to = to;
        }

        /**
         * Sends the next datagram and waits for its echo.
         *
         * @return true if it came back; false if lost (nothing within {@link #TIMEOUT_MS})
         * @throws Corrupt if something else came back
         */
        boolean echo() throws IOException {
            if (socket == null || sequence % DATAGRAMS_PER_SOCKET == 0) {
                close();
                socket = new DatagramSocket();
                socket.setSoTimeout(TIMEOUT_MS);
            }
            long seq = sequence++;
            int len = seq % 10 == 9 ? LARGE : 8 + (int) (seq * 37 % 1200);
            byte[] out = new byte[len];
            PatternData.fill(seq, out, len);
            ByteBuffer.wrap(out).putLong(seq);
            socket.send(new DatagramPacket(out, len, to));
            byte[] in = new byte[65535];
            long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000L;
            while (true) {
                DatagramPacket p = new DatagramPacket(in, in.length);
                try {
                    socket.receive(p);
                } catch (SocketTimeoutException e) {
                    return false;
                }
                if (p.getLength() >= 8 && ByteBuffer.wrap(in).getLong() < seq) {
                    // A late echo of a datagram already counted lost.
                    if (System.nanoTime() > deadline) {
                        return false;
                    }
                    continue;
                }
                if (p.getLength() != len || java.util.Arrays.mismatch(in, 0, len, out, 0, len) >= 0) {
                    throw new Corrupt("UDP echo from " + to + ": " + p.getLength() + " bytes back for "
                            + len + (p.getLength() == len ? ", different" : ""));
                }
                return true;
            }
        }

        @Override
        public void close() {
            if (socket != null) {
                socket.close();
                socket = null;
            }
        }
    }
}
