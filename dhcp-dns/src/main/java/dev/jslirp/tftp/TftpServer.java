package dev.jslirp.tftp;

import dev.jslirp.core.stats.Counters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.collection.IntObjectHashMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * A read-only TFTP server (RFC 1350; options RFC 2347, 2348, 2349, 7440), sans I/O: it takes
 * datagrams addressed to the server and the time, and sends datagrams through a
 * {@link Transport}. Addresses are whatever the caller uses ({@code P}: an IPv4 address today,
 * a family-neutral one later); the server only compares them.
 *
 * <h2>Theory of operation</h2>
 * <p><b>Ports.</b> Requests come to port {@value TftpPacket#SERVER_PORT}. Each accepted read
 * request gets a session on a port of its own, its transfer identifier (RFC 1350 section 4),
 * picked at random from the dynamic range {@value #FIRST_PORT}..65535 and unused by any other
 * session; every answer of the session comes from that port, and the client sends its ACKs
 * there. (libslirp answers from port 69 and keys sessions by the client's port; clients
 * follow either, as RFC 1350 asks them to.) {@link #receive} claims a datagram to port 69 and
 * to a session's port; anything else it leaves to the caller (on the virtual network: the NAT).
 * A datagram to a session's port from another client address or port gets error 5 and leaves
 * the session alone (RFC 1350 section 4).
 *
 * <p><b>Requests.</b> A write request gets an access violation (as the server is read-only);
 * a read request is parsed ({@link ReadRequest}), its name checked ({@link TftpNames}), and
 * then: a repeat of the request that started a session of the same client port, while the
 * client cannot have had more than its first answer, gets that answer again; a new request
 * from the port of a live session replaces it; anything else starts a session, unless the
 * limits (total, per client address) are reached, which gets an error. Errors to requests come
 * from a fresh port, as a session would answer. An ERROR to port 69 is dropped (errors are
 * never answered); other opcodes there get error 5 or 4.
 *
 * <p><b>Files</b> are opened and read through {@link TftpFiles}, whose answers arrive later;
 * a session that ended meanwhile closes the file and releases the data.
 *
 * <p><b>Bounds.</b> Sessions: {@link TftpConfig#maxSessions()} in all and
 * {@link TftpConfig#maxSessionsPerGuest()} per client address, each holding at most its window
 * and a read-ahead of file data, about 128 KiB ({@link TftpSession}); nothing else grows with
 * what clients send.
 * Time: {@link #timer} must be called periodically (the glue ticks while {@link #sessionCount()}
 * is not zero).
 *
 * <p>Single-threaded: every method runs on the owner's event loop.
 *
 * @param <P> the client address type; {@code equals} and {@code hashCode} must be by value
 */
final class TftpServer<P> {
    /** The first port of the dynamic range (RFC 6335 section 6), where session ports are taken from. */
    static final int FIRST_PORT = 49152;
    private static final int PORT_RANGE = 65536 - FIRST_PORT;

    /** How the server reaches clients; implemented by the glue. */
    interface Transport<P> {
        /**
         * A buffer for a message of {@code length} bytes, written at its writer index. The
         * caller owns it until {@link #send}.
         */
        ByteBuf allocate(int length);

        /**
         * Sends the message (the buffer's bytes from where {@link #allocate} put the writer
         * index) to {@code peer:peerPort} from {@code serverPort}. Takes ownership.
         */
        void send(ByteBuf message, int serverPort, P peer, int peerPort);
    }

    private final TftpConfig config;
    private final TransferParameters.Limits limits;
    private final TftpFiles files;
    private final Transport<P> transport;
    private final Counters<TftpCounter> counters;
    private final ByteBufAllocator alloc;
    private final LongSupplier clock;
    private final RandomGenerator random;
    private final IntObjectHashMap<Transfer> byPort = new IntObjectHashMap<>();
    private final Map<P, Integer> perPeer = new HashMap<>();
    private final TftpPacket packet = new TftpPacket();

    /**
     * @param maxBlockSize the largest block a client is granted: what fits the link's MTU
     * @param clock        the network's clock in nanoseconds, read when a file answers
     * @param random       picks session ports
     */
    TftpServer(TftpConfig config, int maxBlockSize, TftpFiles files, Transport<P> transport,
               Counters<TftpCounter> counters, ByteBufAllocator alloc, LongSupplier clock, RandomGenerator random) {
        this.config = config;
        this.limits = new TransferParameters.Limits(maxBlockSize, config.windowBytes(),
                config.retransmitTimeout().toNanos());
        this.files = files;
        this.transport = transport;
        this.counters = counters;
        this.alloc = alloc;
        this.clock = clock;
        this.random = random;
    }

    /**
     * Takes a datagram from {@code peer:peerPort} to the server's address, port
     * {@code serverPort}, whose payload is the {@code length} bytes at {@code off} of
     * {@code buf}. The buffer stays the caller's.
     *
     * @return true if the server took it (port 69 or a session's port); false to leave it to others
     */
    boolean receive(P peer, int peerPort, int serverPort, ByteBuf buf, int off, int length, long now) {
        Objects.requireNonNull(peer, "peer");
        if (serverPort == TftpPacket.SERVER_PORT) {
            request(peer, peerPort, buf, off, length, now);
            return true;
        }
        Transfer t = byPort.get(serverPort);
        if (t == null) {
            return false;
        }
        boolean wellFormed = packet.wrap(buf, off, length);
        if (!t.peer.equals(peer) || t.peerPort != peerPort) {
            counters.increment(TftpCounter.UNKNOWN_TRANSFER_ID);
            if (wellFormed && packet.opcode() != TftpPacket.ERROR && peerPort != 0) {
                sendError(TftpError.UNKNOWN_TRANSFER_ID, serverPort, peer, peerPort);
            }
            return true;
        }
        if (!wellFormed) {
            counters.increment(TftpCounter.MALFORMED_MESSAGES);
            return true;
        }
        t.session.receive(packet, now);
        return true;
    }

    /** True if a transfer answers from {@code serverPort}: datagrams to it are the server's. */
    boolean servesPort(int serverPort) {
        return byPort.containsKey(serverPort);
    }

    /** Lets every session whose deadline has passed retransmit or give up. */
    void timer(long now) {
        for (Transfer t : snapshot()) {
            t.session.timer(now);
        }
    }

    /** Sessions alive. */
    int sessionCount() {
        return byPort.size();
    }

    /** The sessions alive, for tests and introspection. */
    List<TftpSession> sessions() {
        List<TftpSession> all = new ArrayList<>();
        for (Transfer t : byPort.values()) {
            all.add(t.session);
        }
        return all;
    }

    /** The port of the session serving {@code peer:peerPort}, or -1 (for tests). */
    int portOf(P peer, int peerPort) {
        Transfer t = findByPeer(peer, peerPort);
        return t == null ? -1 : t.port;
    }

    /** Ends every session (the guest is gone, or the server stops); their files are closed. */
    void abortAll() {
        for (Transfer t : snapshot()) {
            t.session.abort();
        }
    }

    private void request(P peer, int peerPort, ByteBuf buf, int off, int length, long now) {
        if (!packet.wrap(buf, off, length) || peerPort == 0 || packet.opcode() == TftpPacket.ERROR) {
            counters.increment(TftpCounter.MALFORMED_DROPPED);
            return;
        }
        switch (packet.opcode()) {
            case TftpPacket.RRQ:
                readRequest(peer, peerPort, buf, off, length, now);
                break;
            case TftpPacket.WRQ:
                counters.increment(TftpCounter.WRITE_REQUESTS_REFUSED);
                sendError(TftpError.ACCESS_VIOLATION, freshPort(), peer, peerPort);
                break;
            case TftpPacket.DATA:
            case TftpPacket.ACK:
            case TftpPacket.OACK:
                counters.increment(TftpCounter.NOT_A_REQUEST);
                sendError(TftpError.UNKNOWN_TRANSFER_ID, freshPort(), peer, peerPort);
                break;
            default:
                counters.increment(TftpCounter.NOT_A_REQUEST);
                sendError(TftpError.ILLEGAL_OPERATION, freshPort(), peer, peerPort);
                break;
        }
    }

    private void readRequest(P peer, int peerPort, ByteBuf buf, int off, int length, long now) {
        counters.increment(TftpCounter.READ_REQUESTS);
        ReadRequest.Parsed parsed = ReadRequest.parse(buf, off, length);
        if (parsed.problem() != null) {
            counters.increment(switch (parsed.problem()) {
                case MODE_UNSUPPORTED -> TftpCounter.UNSUPPORTED_MODE;
                case NAME_TOO_LONG, NAME_NOT_TEXT -> TftpCounter.ACCESS_VIOLATIONS;
                default -> TftpCounter.MALFORMED_REQUESTS;
            });
            sendError(parsed.problem().error(), freshPort(), peer, peerPort);
            return;
        }
        ReadRequest request = parsed.request();
        String path = TftpNames.relativePath(request.name());
        if (path == null) {
            counters.increment(TftpCounter.ACCESS_VIOLATIONS);
            sendError(TftpError.ACCESS_VIOLATION, freshPort(), peer, peerPort);
            return;
        }
        Transfer existing = findByPeer(peer, peerPort);
        if (existing != null) {
            if (existing.session.atStart() && existing.session.request().equals(request)) {
                counters.increment(TftpCounter.REPEATED_REQUESTS);
                existing.session.requestRepeated(now);
                return;
            }
            existing.session.abort();
        }
        if (byPort.size() >= config.maxSessions()
                || perPeer.getOrDefault(peer, 0) >= config.maxSessionsPerGuest()) {
            counters.increment(TftpCounter.SESSION_LIMIT);
            sendError(TftpError.TOO_MANY_SESSIONS, freshPort(), peer, peerPort);
            return;
        }
        Transfer t = new Transfer(peer, peerPort, freshPort());
        t.session = new TftpSession(request, limits, config.maxRetransmissions(), t, counters, alloc, now);
        byPort.put(t.port, t);
        perPeer.merge(peer, 1, Integer::sum);
        counters.increment(TftpCounter.SESSIONS_STARTED);
        files.open(path, request.mode(), t);
    }

    private Transfer findByPeer(P peer, int peerPort) {
        for (Transfer t : byPort.values()) {
            if (t.peerPort == peerPort && t.peer.equals(peer)) {
                return t;
            }
        }
        return null;
    }

    /** A port of the dynamic range no session uses (there are at most 4096 sessions in 16384 ports). */
    private int freshPort() {
        while (true) {
            int port = FIRST_PORT + random.nextInt(PORT_RANGE);
            if (!byPort.containsKey(port)) {
                return port;
            }
        }
    }

    private void sendError(TftpError error, int fromPort, P peer, int peerPort) {
        ByteBuf m = transport.allocate(error.messageLength());
        TftpMessages.writeError(m, error);
        transport.send(m, fromPort, peer, peerPort);
    }

    private List<Transfer> snapshot() {
        return new ArrayList<>(byPort.values());
    }

    /** One session with its client, port and file: the session's {@link TftpSession.Link}. */
    private final class Transfer implements TftpSession.Link, TftpFiles.OpenListener, TftpSource.ReadListener {
        final P peer;
        final int peerPort;
        final int port;
        TftpSession session;
        TftpSource source;

        Transfer(P peer, int peerPort, int port) {
            this.peer = peer;
            this.peerPort = peerPort;
            this.port = port;
        }

        @Override
        public ByteBuf allocate(int length) {
            return transport.allocate(length);
        }

        @Override
        public void send(ByteBuf message) {
            transport.send(message, port, peer, peerPort);
        }

        @Override
        public void read(int maxBytes) {
            source.read(maxBytes, this);
        }

        @Override
        public void ended(TftpSession s, TftpSession.Outcome outcome) {
            byPort.remove(port);
            perPeer.computeIfPresent(peer, (k, n) -> n == 1 ? null : n - 1);
            if (source != null) {
                source.close();
            }
        }

        @Override
        public void opened(TftpSource s) {
            if (session.state() != TftpSession.State.OPENING) {
                s.close();
                return;
            }
            source = s;
            session.opened(s.size(), clock.getAsLong());
        }

        @Override
        public void failed(TftpError error) {
            if (session.state() == TftpSession.State.OPENING) {
                counters.increment(error == TftpError.FILE_NOT_FOUND ? TftpCounter.FILE_NOT_FOUND
                        : TftpCounter.ACCESS_VIOLATIONS);
            }
            session.openFailed(error);
        }

        @Override
        public void read(ByteBuf data, boolean end) {
            session.bytesRead(data, end, clock.getAsLong());
        }

        @Override
        public void failed() {
            session.readFailed();
        }
    }
}
