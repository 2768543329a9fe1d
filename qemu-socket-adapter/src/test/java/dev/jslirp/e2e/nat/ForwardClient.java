package dev.jslirp.e2e.nat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Clients for the guest's servers behind port forwards: what a user's {@code curl}, {@code nc}
 * or {@code ssh} to a {@code hostfwd=} port does, from the host side ({@link HostSide}) to
 * 127.0.0.1, or from another machine (a {@link PeerHost}'s namespace) to the host's address on
 * their link.
 */
final class ForwardClient {
    private static final int TIMEOUT_MILLIS = 60_000;

    private final HostSide side;
    private final InetAddress target;

    /** Clients in {@code side} of forwards on its 127.0.0.1. */
    ForwardClient(HostSide side) {
        this(side, InetAddress.getLoopbackAddress());
    }

    /** Clients in {@code side} of forwards listening on {@code target}. */
    ForwardClient(HostSide side, InetAddress target) {
        this.side = side;
        this.target = target;
    }

    /** An HTTP response: status line and body. */
    record Response(String status, byte[] body) {
        String sha256() {
            return Blob.sha256(body, body.length);
        }
    }

    /** {@code GET path} over a new connection to the target's {@code port}, read until the server closes. */
    Response get(int port, String path) {
        try (Socket s = side.connect(target, port, TIMEOUT_MILLIS)) {
            s.setSoTimeout(TIMEOUT_MILLIS);
            s.getOutputStream().write(("GET " + path + " HTTP/1.0\r\nHost: guest\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            byte[] all = s.getInputStream().readAllBytes();
            int end = indexOf(all, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            if (end < 0) {
                throw new AssertionError("no HTTP head in " + all.length + " bytes: "
                        + new String(all, 0, Math.min(200, all.length), StandardCharsets.ISO_8859_1));
            }
            String status = new String(all, 0, end, StandardCharsets.ISO_8859_1).split("\r\n", 2)[0];
            return new Response(status, Arrays.copyOfRange(all, end + 4, all.length));
        } catch (IOException e) {
            throw new UncheckedIOException("GET " + target.getHostAddress() + ":" + port + path + " in " + side, e);
        }
    }

    /**
     * Sends {@code data} over a new connection to the target's {@code port}, half-closes (FIN), and
     * returns everything the server answers until it closes. {@code whileOpen} runs after the
     * data is sent, before the half-close, with the connection's local port.
     */
    String sendThenHalfClose(int port, byte[] data, java.util.function.IntConsumer whileOpen) {
        try (Socket s = side.connect(target, port, TIMEOUT_MILLIS)) {
            s.setSoTimeout(TIMEOUT_MILLIS);
            s.getOutputStream().write(data);
            s.getOutputStream().flush();
            whileOpen.accept(s.getLocalPort());
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("upload to " + target.getHostAddress() + ":" + port + " in " + side, e);
        }
    }

    /**
     * Sends one datagram of {@code payload} to the target's {@code port} and returns the reply, or
     * null if none came within {@code timeoutMillis}; the reply must come from that address.
     */
    byte[] udpRoundTrip(int port, byte[] payload, int timeoutMillis) {
        try (DatagramSocket s = side.udpSocket(target.isLoopbackAddress() ? target : null)) {
            s.setSoTimeout(timeoutMillis);
            s.send(new DatagramPacket(payload, payload.length, target, port));
            byte[] buf = new byte[65535];
            DatagramPacket reply = new DatagramPacket(buf, buf.length);
            s.receive(reply);
            if (!reply.getAddress().equals(target) || reply.getPort() != port) {
                throw new AssertionError("reply from " + reply.getSocketAddress() + ", not " + target + ":" + port);
            }
            return Arrays.copyOf(buf, reply.getLength());
        } catch (SocketTimeoutException e) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException("UDP to " + target.getHostAddress() + ":" + port + " in " + side, e);
        }
    }

    private static int indexOf(byte[] a, byte[] what) {
        outer:
        for (int i = 0; i + what.length <= a.length; i++) {
            for (int k = 0; k < what.length; k++) {
                if (a[i + k] != what[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
