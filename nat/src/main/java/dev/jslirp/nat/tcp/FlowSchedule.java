package dev.jslirp.nat.tcp;

/**
 * A flow's place in time and in the NAT's per-turn lists: its deadlines (the state's
 * own timer and the last activity the idle timeout counts from; the sender keeps the
 * RTO and persist deadlines) and the marks the Netty layer's schedulers set, so that a
 * flow is queued at most once in each (end of turn, delayed ACK, blocked on the guest,
 * TIME_WAIT order).
 *
 * <p>Pure bookkeeping: it decides nothing. The flow reads the deadlines to say when it
 * next needs its timer ({@link TcpFlow#nextDeadline()}).
 */
final class FlowSchedule {
    /** "No deadline". */
    static final long NONE = Long.MAX_VALUE;

    /** Deadline of the state's own timer: the host connect in CONNECTING, the end of TIME_WAIT. */
    long stateDeadline = NONE;
    /** When the guest or the host last did something. */
    long lastActivity;

    /** The Netty layer's timer of this flow ({@link FlowTimer}), once it has one. */
    Object timer;
    /** True while queued for the end of the turn. */
    boolean endOfTurnQueued;
    /** True while {@link DelayedAcks} holds it. */
    boolean delayedAckQueued;
    /** True while {@link TcpStack} holds it as blocked on the guest transport. */
    boolean blockedOnGuest;
    /** True while {@link TcpStack} holds it as waiting for the memory budget. */
    boolean waitingForMemory;
    /** Neighbours in the {@link FlowAgeList} the flow is on: half-open or TIME_WAIT flows, oldest first. */
    TcpFlow agePrev;
    TcpFlow ageNext;

    FlowSchedule(long now) {
        this.lastActivity = now;
    }
}
