package dev.jslirp.bench.soak;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * The soak's TCP protocol, both ends. A connection carries one operation, chosen by its
 * first byte:
 * <ul>
 *   <li>{@code U} + 8-byte length N + N bytes of {@link PatternData}: an upload; the
 *       server checks every byte and answers 8 bytes, N if all were right, else
 *       {@code -1 - offset} of the first wrong one;</li>
 *   <li>{@code D} + 8-byte length N: a download; the server sends N bytes of
 *       {@link PatternData} and closes, the client checks them;</li>
 *   <li>{@code E} + 2-byte length L + L bytes: an echo; the server sends the L bytes back
 *       and closes (a short connection: open, one exchange, close).</li>
 * </ul>
 * Uploads are paced by the client's writes, downloads by the client's reads: a slow reader
 * closes the window, so jslirp's backpressure runs as well as its data path.
 */
final class TcpTraffic {
    static final byte UPLOAD = 'U';
    static final byte DOWNLOAD = 'D';
    static final byte ECHO = 'E';
    /** Bytes per write and per read. */
    static final int CHUNK = 32 * 1024;
    /** Connect timeout, and read timeout of a short exchange. */
    static final int SHORT_TIMEOUT_MS = 10_000;
    /** Read timeout during a bulk transfer. */
    static final int BULK_TIMEOUT_MS = 30_000;

    private TcpTraffic() {
    }

    /** Serves one connection (server side); closes it. */
    static void serve(Socket s) throws IOException {
        try (s) {
            s.setSoTimeout(BULK_TIMEOUT_MS);
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            byte op = in.readByte();
            switch (op) {
                case UPLOAD -> {
                    long n = in.readLong();
                    long wrong = receive(in, n);
                    out.writeLong(wrong < 0 ? n : -1 - wrong);
                    out.flush();
                }
                case DOWNLOAD -> {
                    send(out, in.readLong(), null);
                    s.shutdownOutput();
                }
                case ECHO -> {
                    byte[] b = new byte[in.readUnsignedShort()];
                    in.readFully(b);
                    out.write(b);
                    out.flush();
                    s.shutdownOutput();
                }
                default -> throw new IOException("unknown operation " + op);
            }
            // Wait for the client's close: an orderly end both ways.
            in.read();
        }
    }

    /** Uploads {@code n} bytes to {@code to} at {@code pacer}'s rate; returns n once the server confirmed them. */
    static long upload(InetSocketAddress to, long n, Pacer pacer) throws IOException {
        try (Socket s = connect(to, BULK_TIMEOUT_MS)) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeByte(UPLOAD);
            out.writeLong(n);
            send(out, n, pacer);
            long answer = new DataInputStream(s.getInputStream()).readLong();
            if (answer != n) {
                throw new Corrupt("upload to " + to + ": the server found byte " + (-1 - answer) + " of " + n
                        + " wrong");
            }
            return n;
        }
    }

    /** Downloads {@code n} bytes from {@code to}, reading at {@code pacer}'s rate, and checks them. */
    static long download(InetSocketAddress to, long n, Pacer pacer) throws IOException {
        try (Socket s = connect(to, BULK_TIMEOUT_MS)) {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeByte(DOWNLOAD);
            out.writeLong(n);
            out.flush();
            InputStream in = s.getInputStream();
            long wrong = receive(in, n, pacer);
            if (wrong >= 0) {
                throw new Corrupt("download from " + to + ": byte " + wrong + " of " + n + " wrong");
            }
            if (in.read() != -1) {
                throw new Corrupt("download from " + to + ": more than the " + n + " bytes asked for");
            }
            return n;
        }
    }

    /** One short connection: sends {@code len} bytes, expects them back and the close. */
    static void echo(InetSocketAddress to, int len, long seed) throws IOException {
        try (Socket s = connect(to, SHORT_TIMEOUT_MS)) {
            byte[] b = new byte[len];
            PatternData.fill(seed, b, len);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeByte(ECHO);
            out.writeShort(len);
            out.write(b);
            out.flush();
            byte[] back = new DataInputStream(s.getInputStream()).readNBytes(len + 1);
            if (back.length != len || PatternData.mismatch(seed, back, len) >= 0) {
                throw new Corrupt("echo from " + to + ": " + back.length + " bytes back of " + len
                        + (back.length == len ? ", different" : ""));
            }
        }
    }

    private static Socket connect(InetSocketAddress to, int readTimeoutMs) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(to, SHORT_TIMEOUT_MS);
            s.setSoTimeout(readTimeoutMs);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    /** Writes {@code n} pattern bytes, paced if {@code pacer} is given. */
    private static void send(OutputStream out, long n, Pacer pacer) throws IOException {
        byte[] b = new byte[CHUNK];
        for (long off = 0; off < n; ) {
            int len = (int) Math.min(CHUNK, n - off);
            PatternData.fill(off, b, len);
            out.write(b, 0, len);
            off += len;
            if (pacer != null) {
                pacer.advance(len);
            }
        }
        out.flush();
    }

    private static long receive(InputStream in, long n) throws IOException {
        return receive(in, n, null);
    }

    /** Reads {@code n} pattern bytes; the offset of the first wrong one, or -1. */
    private static long receive(InputStream in, long n, Pacer pacer) throws IOException {
        byte[] b = new byte[CHUNK];
        long wrong = -1;
        for (long off = 0; off < n; ) {
            int r = in.read(b, 0, (int) Math.min(CHUNK, n - off));
            if (r < 0) {
                throw new EOFException("closed after " + off + " of " + n + " bytes");
            }
            int m = wrong < 0 ? PatternData.mismatch(off, b, r) : -1;
            if (m >= 0) {
                wrong = off + m;
            }
            off += r;
            if (pacer != null) {
                pacer.advance(r);
            }
        }
        return wrong;
    }
}
