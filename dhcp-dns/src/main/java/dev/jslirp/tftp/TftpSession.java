package dev.jslirp.tftp;

import dev.jslirp.core.stats.Counters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

/**
 * One read transfer, sans I/O: it takes the client's messages, the file's answers and the
 * time, and emits messages, read requests and its end through a {@link Link}. It knows
 * neither addresses nor ports nor threads; {@link TftpServer} owns it.
 *
 * <h2>Theory of operation</h2>
 * <p><b>States.</b>
 * <ul>
 *   <li>{@link State#OPENING}: the file is being opened; messages from the client are
 *       ignored.</li>
 *   <li>{@link State#OPTIONS_SENT}: the OACK is out (RFC 2347), waiting for ACK 0; the file is
 *       already being read ahead.</li>
 *   <li>{@link State#SENDING}: DATA blocks go out, up to a window ahead of the last ACK
 *       (RFC 7440; a window of one is RFC 1350's lock-step).</li>
 *   <li>{@link State#ENDED}: nothing more is sent; late file data is released.</li>
 * </ul>
 * A transfer ends when the client acknowledges the last block (the first one shorter than
 * the block size, possibly empty: RFC 1350 section 6), when the client sends an ERROR, or when
 * {@code maxRetransmissions} timeouts in a row go unanswered.
 *
 * <p><b>Blocks.</b> Block numbers are kept as longs counting from 1; on the wire they are the
 * low 16 bits, so a file of more than 65535 blocks rolls over to 0, as tftp-hpa, iPXE and
 * busybox expect. An ACK's 16-bit number is read as the one block in
 * {@code [firstUnacked - 1, nextToSend - 1]} it can mean; any other is a stray, ignored.
 *
 * <p><b>Acknowledgments and retransmission.</b> An ACK that moves the window forward frees
 * the acknowledged bytes and sends what the window now allows. A duplicate ACK is ignored
 * in lock-step (RFC 1123 section 4.2.3.1: answering it would double every later block, the
 * Sorcerer's Apprentice bug); with a window of more than one, an ACK short of the last block
 * sent makes the session send again from the block after it (RFC 7440 section 4). When the
 * retransmission timeout ({@code timeout} option or the server's default) passes without
 * progress, everything unacknowledged is sent again (or the OACK).
 *
 * <p><b>Memory.</b> The bytes kept are those from the first unacknowledged block on: the
 * blocks in flight (needed for retransmission) and a read-ahead of one window or
 * {@code windowBytes} (64 KiB by default), whichever is larger, so a session holds at most
 * {@code window + max(window, windowBytes)} bytes whatever the client does, a window being
 * at most {@code max(windowBytes, blockSize)}. Reads are asked for when half the read-ahead
 * is free, one at a time.
 */
final class TftpSession {
    /** The session's life; see the class comment. */
    enum State { OPENING, OPTIONS_SENT, SENDING, ENDED }

    /** How a session ended. */
    enum Outcome {
        /** The client acknowledged the last block. */
        COMPLETED,
        /** The file could not be opened; the client got the error. */
        REFUSED,
        /** The client sent an ERROR. */
        CLIENT_ERROR,
        /** An illegal message or a read failure; the client got the error. */
        FAILED,
        /** Retransmissions went unanswered. */
        TIMED_OUT,
        /** Ended from outside: replaced, guest gone, server stopped. */
        ABORTED
    }

    /** What a session does to the world; implemented by {@link TftpServer}. */
    interface Link {
        /**
         * A buffer for a message of {@code length} bytes, to be written at its writer index.
         * The caller owns it until {@link #send}.
         */
        ByteBuf allocate(int length);

        /** Sends a message from the session's port to its client. Takes ownership. */
        void send(ByteBuf message);

        /** Asks the file for its next bytes, at most {@code maxBytes}; the answer comes through {@link #bytesRead}. */
        void read(int maxBytes);

        /** The session has ended (called once); its file can be closed. */
        void ended(TftpSession session, Outcome outcome);
    }

    /** No timer pending. */
    static final long NO_DEADLINE = Long.MAX_VALUE;
    private static final long UNKNOWN = Long.MAX_VALUE;
    /** Components of the read-ahead buffer before Netty consolidates them: far above the reads it holds. */
    private static final int MAX_COMPONENTS = 1024;

    private final ReadRequest request;
    private final TransferParameters.Limits limits;
    private final int maxRetransmissions;
    private final Link link;
    private final Counters<TftpCounter> counters;
    /** The transfer's bytes from the start of block {@link #firstUnacked} on. */
    private final CompositeByteBuf pending;

    private State state = State.OPENING;
    private TransferParameters params;
    private long deadline;
    /** Timeouts in a row without progress. */
    private int retransmissions;
    private boolean readOutstanding;
    private boolean endOfFile;
    private long firstUnacked = 1;
    private long nextToSend = 1;
    private long highestSent;
    /** The number of the final (short) block, once the end of the file has been read. */
    private long lastBlock = UNKNOWN;

    /**
     * A session for {@code request}, opening from {@code now}: it waits for {@link #opened} or
     * {@link #openFailed} (and times out like an unanswered block if neither comes).
     */
    TftpSession(ReadRequest request, TransferParameters.Limits limits, int maxRetransmissions, Link link,
                Counters<TftpCounter> counters, ByteBufAllocator alloc, long now) {
        this.request = request;
        this.limits = limits;
        this.maxRetransmissions = maxRetransmissions;
        this.link = link;
        this.counters = counters;
        this.pending = alloc.compositeBuffer(MAX_COMPONENTS);
        this.deadline = now + limits.defaultRetransmitNanos();
    }

    /** The request that started the session. */
    ReadRequest request() {
        return request;
    }

    /** The current state. */
    State state() {
        return state;
    }

    /** The negotiated parameters, or null while opening. */
    TransferParameters parameters() {
        return params;
    }

    /** When {@link #timer} next has work, or {@link #NO_DEADLINE}. */
    long deadline() {
        return deadline;
    }

    /** File bytes held (in flight and read ahead). */
    int bufferedBytes() {
        return pending.readableBytes();
    }

    /**
     * True while the client cannot have got anything but the session's first answer (the OACK,
     * or DATA 1 without options): a repeated request then means that answer was lost.
     */
    boolean atStart() {
        return state == State.OPENING || state == State.OPTIONS_SENT
                || state == State.SENDING && firstUnacked == 1 && !params.hasOptions();
    }

    // ------------------------------------------------------------------ the file's answers

    /** The file is open and {@code fileSize} bytes long: negotiate and answer the client. */
    void opened(long fileSize, long now) {
        if (state != State.OPENING) {
            return;
        }
        params = TransferParameters.negotiate(request, fileSize, limits);
        retransmissions = 0;
        deadline = now + params.retransmitNanos();
        if (params.hasOptions()) {
            state = State.OPTIONS_SENT;
            sendOack();
        } else {
            state = State.SENDING;
        }
        requestRead();
    }

    /** The file cannot be sent: the client gets {@code error}. */
    void openFailed(TftpError error) {
        if (state != State.OPENING) {
            return;
        }
        sendError(error);
        end(Outcome.REFUSED);
    }

    /** The file's next bytes. Takes ownership of {@code data}. */
    void bytesRead(ByteBuf data, boolean end, long now) {
        readOutstanding = false;
        if (state == State.ENDED) {
            data.release();
            return;
        }
        if (data.isReadable()) {
            pending.addComponent(true, data);
        } else {
            data.release();
        }
        if (end) {
            endOfFile = true;
            lastBlock = firstUnacked + pending.readableBytes() / params.blockSize();
        }
        boolean nothingInFlight = nextToSend == firstUnacked;
        if (pump() && nothingInFlight) {
            deadline = now + params.retransmitNanos();
        }
        requestRead();
    }

    /** Reading the file failed: the client gets an error. */
    void readFailed() {
        readOutstanding = false;
        if (state == State.ENDED) {
            return;
        }
        counters.increment(TftpCounter.READ_ERRORS);
        sendError(TftpError.READ_ERROR);
        end(Outcome.FAILED);
    }

    // ------------------------------------------------------------------ the client's messages

    /** A message from the client to the session's port; {@code packet} has passed {@link TftpPacket#wrap}. */
    void receive(TftpPacket packet, long now) {
        if (state == State.ENDED) {
            return;
        }
        switch (packet.opcode()) {
            case TftpPacket.ACK:
                ack(packet.blockOrCode(), now);
                break;
            case TftpPacket.ERROR:
                counters.increment(TftpCounter.CLIENT_ERRORS);
                end(Outcome.CLIENT_ERROR);
                break;
            default:
                // RFC 1350 section 7: a message that makes no sense in the transfer ends it.
                counters.increment(TftpCounter.ILLEGAL_OPERATIONS);
                sendError(TftpError.ILLEGAL_OPERATION);
                end(Outcome.FAILED);
                break;
        }
    }

    /** The client sent its request again from the same port while {@link #atStart()}. */
    void requestRepeated(long now) {
        if (state == State.OPTIONS_SENT) {
            sendOack();
            deadline = now + params.retransmitNanos();
        } else if (state == State.SENDING && nextToSend > firstUnacked) {
            nextToSend = firstUnacked;
            pump();
            deadline = now + params.retransmitNanos();
        }
    }

    private void ack(int block16, long now) {
        if (state == State.OPTIONS_SENT) {
            if (block16 != 0) {
                counters.increment(TftpCounter.STRAY_ACKS);
                return;
            }
            state = State.SENDING;
            progress(now);
            pump();
            requestRead();
            return;
        }
        if (state != State.SENDING) {
            counters.increment(TftpCounter.STRAY_ACKS);
            return;
        }
        long base = firstUnacked - 1;
        long block = base + ((block16 - base) & 0xffff);
        if (block >= nextToSend) {
            counters.increment(TftpCounter.STRAY_ACKS);
            return;
        }
        if (block >= firstUnacked) {
            long acked = block - firstUnacked + 1;
            pending.skipBytes((int) Math.min(acked * params.blockSize(), pending.readableBytes()));
            pending.discardReadComponents();
            firstUnacked = block + 1;
            progress(now);
            if (block == lastBlock) {
                counters.increment(TftpCounter.TRANSFERS_COMPLETED);
                end(Outcome.COMPLETED);
                return;
            }
        } else {
            counters.increment(TftpCounter.DUPLICATE_ACKS);
        }
        if (block < nextToSend - 1 && params.windowSize() > 1) {
            nextToSend = block + 1;
        }
        pump();
        requestRead();
    }

    private void progress(long now) {
        retransmissions = 0;
        deadline = now + params.retransmitNanos();
    }

    // ------------------------------------------------------------------ time

    /** Retransmits, or gives up, if the deadline has passed. */
    void timer(long now) {
        if (state == State.ENDED || now - deadline < 0) {
            return;
        }
        if (retransmissions >= maxRetransmissions) {
            counters.increment(TftpCounter.TIMEOUTS);
            end(Outcome.TIMED_OUT);
            return;
        }
        retransmissions++;
        deadline = now + (params != null ? params.retransmitNanos() : limits.defaultRetransmitNanos());
        if (state == State.OPTIONS_SENT) {
            sendOack();
        } else if (state == State.SENDING && nextToSend > firstUnacked) {
            nextToSend = firstUnacked;
            pump();
        }
        // OPENING, or SENDING with nothing in flight: a slow file; the count goes on.
    }

    /** Ends the session from outside (replaced, guest gone, shutdown); no message is sent. */
    void abort() {
        if (state != State.ENDED) {
            counters.increment(TftpCounter.ABORTED);
            end(Outcome.ABORTED);
        }
    }

    // ------------------------------------------------------------------ sending

    /**
     * Sends the blocks the window allows and the buffered bytes complete.
     *
     * @return true if anything was sent
     */
    private boolean pump() {
        if (state != State.SENDING) {
            return false;
        }
        int blockSize = params.blockSize();
        long windowEnd = firstUnacked + params.windowSize();
        boolean sent = false;
        while (nextToSend < windowEnd && nextToSend <= lastBlock) {
            int off = (int) ((nextToSend - firstUnacked) * blockSize);
            int available = pending.readableBytes() - off;
            int length;
            if (available >= blockSize) {
                length = blockSize;
            } else if (endOfFile) {
                length = available;
            } else {
                break;
            }
            ByteBuf m = link.allocate(TftpMessages.dataLength(length));
            TftpMessages.writeData(m, nextToSend, pending, pending.readerIndex() + off, length);
            link.send(m);
            counters.increment(TftpCounter.DATA_SENT);
            counters.add(TftpCounter.BYTES_SENT, length);
            if (nextToSend <= highestSent) {
                counters.increment(TftpCounter.DATA_RETRANSMITTED);
            }
            highestSent = Math.max(highestSent, nextToSend);
            nextToSend++;
            sent = true;
        }
        return sent;
    }

    /**
     * Asks for more of the file when half the read-ahead is free: the session holds the window
     * in flight plus a read-ahead of one window or {@link TransferParameters.Limits#windowBytes()},
     * whichever is larger. The floor matters in lock-step: with one block of read-ahead each
     * block would cost an executor hand-off, and the next ACK would race it (a guest on a tap
     * answers in tens of microseconds); with 64 KiB, one read serves 64 blocks of 512 bytes
     * and is back long before they are acknowledged.
     */
    private void requestRead() {
        if (readOutstanding || endOfFile || params == null || state == State.ENDED) {
            return;
        }
        long window = (long) params.windowSize() * params.blockSize();
        long readAhead = Math.max(window, limits.windowBytes());
        long room = window + readAhead - pending.readableBytes();
        if (room < Math.max(params.blockSize(), readAhead / 2)) {
            return;
        }
        readOutstanding = true;
        link.read((int) room);
    }

    private void sendOack() {
        ByteBuf m = link.allocate(TftpMessages.oackLength(params));
        TftpMessages.writeOack(m, params);
        link.send(m);
        counters.increment(TftpCounter.OACK_SENT);
    }

    private void sendError(TftpError error) {
        ByteBuf m = link.allocate(error.messageLength());
        TftpMessages.writeError(m, error);
        link.send(m);
    }

    private void end(Outcome outcome) {
        state = State.ENDED;
        deadline = NO_DEADLINE;
        pending.release();
        link.ended(this, outcome);
    }
}
