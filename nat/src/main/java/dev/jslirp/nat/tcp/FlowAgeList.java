package dev.jslirp.nat.tcp;

/**
 * Flows of one kind in the order they became that kind, oldest first: the half-open
 * flows (so a SYN flood evicts the oldest pending connect) and the TIME_WAIT flows (so a
 * full table recycles the oldest). Intrusive: the links are {@link FlowSchedule#agePrev}
 * and {@link FlowSchedule#ageNext}, which a flow uses for one list at a time (the
 * half-open states and TIME_WAIT exclude each other). No allocation.
 */
final class FlowAgeList {
    private TcpFlow oldest;
    private TcpFlow newest;
    private int size;

    /** Appends {@code f} as the newest. */
    void add(TcpFlow f) {
        FlowSchedule s = f.schedule;
        s.agePrev = newest;
        s.ageNext = null;
        if (newest != null) {
            newest.schedule.ageNext = f;
        } else {
            oldest = f;
        }
        newest = f;
        size++;
    }

    /** Unlinks {@code f}, which must be on this list. */
    void remove(TcpFlow f) {
        FlowSchedule s = f.schedule;
        if (s.agePrev != null) {
            s.agePrev.schedule.ageNext = s.ageNext;
        } else {
            oldest = s.ageNext;
        }
        if (s.ageNext != null) {
            s.ageNext.schedule.agePrev = s.agePrev;
        } else {
            newest = s.agePrev;
        }
        s.agePrev = null;
        s.ageNext = null;
        size--;
    }

    /** The oldest flow, or null. */
    TcpFlow oldest() {
        return oldest;
    }

    /** Flows on the list. */
    int size() {
        return size;
    }
}
