package dev.jslirp.nat.tcp;

/**
 * The state of a flow's TCP connection towards the guest (RFC 9293 section 3.3.2),
 * plus {@link #CONNECTING} for the time a guest SYN waits for the host connect.
 *
 * <p>jslirp is the guest's TCP peer: "we" below is jslirp's end of the connection the
 * guest sees; the host socket behind it has its own, simpler lifecycle (see
 * {@link TcpFlow}).
 */
enum TcpState {
    /**
     * The guest's SYN arrived and the host connect is under way. Nothing has been sent
     * to the guest: retransmitted SYNs are absorbed, a RST from the guest cancels the
     * connect. Half-open.
     */
    CONNECTING,
    /**
     * A port forward's SYN went to the guest; waiting for its SYN-ACK. The host client
     * is connected but not read. Half-open.
     */
    SYN_SENT,
    /**
     * Our SYN-ACK went to the guest after the host connect succeeded; waiting for the
     * guest's ACK. The SYN-ACK is retransmitted on the RTO. Half-open.
     */
    SYN_RECEIVED,
    /** Data flows both ways. */
    ESTABLISHED,
    /**
     * The host sent EOF: our FIN is queued after the host's data (or sent, not yet
     * acknowledged). The guest may still send.
     */
    FIN_WAIT_1,
    /** Our FIN was acknowledged; the guest may still send. */
    FIN_WAIT_2,
    /**
     * The guest sent FIN: the host socket's output is shut down after pending writes;
     * host data still flows to the guest.
     */
    CLOSE_WAIT,
    /** Both sent FIN, ours not acknowledged yet (simultaneous close). */
    CLOSING,
    /** The guest closed first, then the host: waiting for the guest to ACK our FIN. */
    LAST_ACK,
    /**
     * We closed first and both FINs are acknowledged: the flow stays for
     * {@code tcpTimeWait} to re-ACK a retransmitted FIN (RFC 9293 section 3.6.1).
     */
    TIME_WAIT,
    /**
     * Finished towards the guest. The flow may linger only while the host socket still
     * drains writes; segments from the guest are answered as for an unknown flow.
     */
    CLOSED;

    /** True while the half-open bound counts the flow. */
    boolean halfOpen() {
        return this == CONNECTING || this == SYN_SENT || this == SYN_RECEIVED;
    }

    /** True while segment text from the guest is accepted (RFC 9293 3.10.7.4, seventh). */
    boolean receivesFromGuest() {
        return this == ESTABLISHED || this == FIN_WAIT_1 || this == FIN_WAIT_2;
    }

    /** True while data from the host may still be queued for the guest. */
    boolean sendsToGuest() {
        return this == ESTABLISHED || this == CLOSE_WAIT;
    }

    /**
     * True while data from the host is taken: when it may be sent, and during the
     * handshake with the guest, after which it will be.
     */
    boolean queuesHostData() {
        return sendsToGuest() || this == SYN_RECEIVED || this == SYN_SENT;
    }

    /** True while we have data or a FIN that may need (re)transmission. */
    boolean transmits() {
        return this == ESTABLISHED || this == CLOSE_WAIT || this == FIN_WAIT_1 || this == CLOSING
                || this == LAST_ACK;
    }
}
