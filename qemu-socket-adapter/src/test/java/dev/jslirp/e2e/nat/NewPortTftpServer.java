package dev.jslirp.e2e.nat;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TFTP server on the host that does what RFC 1350 section 4 says and what breaks a NAT that
 * filters by address and port: it takes read requests on one port and answers each from a new
 * port of its own (a socket per transfer, connected to the client, so the client's ACKs must
 * come from the port the request came from). It serves one file, {@link #blob}, whatever name
 * is asked for, in 512-byte blocks (octet mode; options, RFC 2347, ignored as the RFC allows),
 * sending a block again after a second without its ACK, up to five times.
 *
 * <p>Make it inside the {@link HostSide} ({@code host.call}): the request socket there, and
 * the transfer sockets by its own threads, which start there. Transfers end with the server.
 */
public final class NewPortTftpServer extends TestServer {
    private static final int OP_RRQ = 1;
    private static final int OP_DATA = 3;
    private static final int OP_ACK = 4;
    private static final int BLOCK = 512;
    private static final int TRIES = 5;

    /** One transfer: the port it was served from and the client's address, and whether it completed. */
    public record Transfer(int serverPort, String client, boolean complete) {
    }

    private final DatagramSocket requests;
    private final Blob blob;
    private final List<Transfer> transfers = new CopyOnWriteArrayList<>();
    private final AtomicInteger requestsReceived = new AtomicInteger();

    private NewPortTftpServer(DatagramSocket requests, Blob blob) {
        super(requests, "tftp-new-port");
        this.requests = requests;
        this.blob = blob;
        startServing();
    }

    /** Serves {@code blob} from {@code requests} (bound already, in the right namespace). */
    public static NewPortTftpServer on(DatagramSocket requests, Blob blob) {
        return new NewPortTftpServer(requests, blob);
    }

    /** The port requests go to. */
    public int port() {
        return requests.getLocalPort();
    }

    /** The file served. */
    public Blob blob() {
        return blob;
    }

    /**
     * The read requests received so far, each answered from a port of its own: a client that
     * sends its request again before the first answer arrives gets two transfers.
     */
    public int requests() {
        return requestsReceived.get();
    }

    /** The transfers so far (ended ones). */
    public List<Transfer> transfers() {
        return List.copyOf(transfers);
    }

    @Override
    void serve() {
        byte[] buf = new byte[1024];
        while (!requests.isClosed()) {
            try {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                requests.receive(p);
                if (p.getLength() < 4 || (((buf[0] & 0xff) << 8) | (buf[1] & 0xff)) != OP_RRQ) {
                    continue;
                }
                requestsReceived.incrementAndGet();
                InetSocketAddress client = (InetSocketAddress) p.getSocketAddress();
                // The new port, bound where the request socket is, by this thread: it was started
                // inside the host side's namespace, and threads it starts are inside too.
                DatagramSocket transfer = new DatagramSocket(new InetSocketAddress(requests.getLocalAddress(), 0));
                threads.execute(() -> send(transfer, client));
            } catch (IOException e) {
                if (requests.isClosed()) {
                    return;
                }
            }
        }
    }

    private void send(DatagramSocket s, InetSocketAddress client) {
        boolean complete = false;
        try (s) {
            s.connect(client);
            s.setSoTimeout(1000);
            byte[] data = blob.bytes();
            byte[] ack = new byte[516];
            int blocks = data.length / BLOCK + 1;   // a last block shorter than 512 bytes, maybe empty
            for (int n = 1; n <= blocks; n++) {
                int off = (n - 1) * BLOCK;
                int len = Math.min(BLOCK, data.length - off);
                ByteBuffer out = ByteBuffer.allocate(4 + len).putShort((short) OP_DATA).putShort((short) n)
                        .put(data, off, len);
                boolean acked = false;
                for (int tries = 0; tries < TRIES && !acked; tries++) {
                    s.send(new DatagramPacket(out.array(), out.capacity()));
                    acked = awaitAck(s, ack, n);
                }
                if (!acked) {
                    return;
                }
            }
            complete = true;
        } catch (IOException e) {
            // the client went away or refused: the transfer is incomplete
        } finally {
            transfers.add(new Transfer(s.getLocalPort(), client.getAddress().getHostAddress() + ":" + client.getPort(),
                    complete));
        }
    }

    /** Waits up to the socket's timeout for the ACK of block {@code n}; duplicates of earlier ACKs are skipped. */
    private static boolean awaitAck(DatagramSocket s, byte[] buf, int n) throws IOException {
        long end = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < end) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                s.receive(p);
            } catch (SocketTimeoutException e) {
                return false;
            }
            int op = ((buf[0] & 0xff) << 8) | (buf[1] & 0xff);
            int block = ((buf[2] & 0xff) << 8) | (buf[3] & 0xff);
            if (p.getLength() >= 4 && op == OP_ACK && block == (n & 0xffff)) {
                return true;
            }
        }
        return false;
    }
}
