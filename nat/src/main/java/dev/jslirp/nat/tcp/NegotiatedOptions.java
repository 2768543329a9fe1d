package dev.jslirp.nat.tcp;

import dev.jslirp.core.wire.TcpOptions;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * What one flow's handshake settled with the guest (RFC 9293 3.7.1, RFC 7323,
 * RFC 2018): segment sizes both ways, window scaling, timestamps and SACK. Read by
 * every part of the flow; written only by {@link #negotiate} during the handshake (and
 * {@link #tsRecent} as segments arrive).
 */
final class NegotiatedOptions {
    /** Our MSS towards the guest: the MTU less the IP header of the flow's family and a TCP header. */
    final int ourMss;
    /** The guest's MSS, clamped to [88, our MSS]: data plus options per segment to the guest. */
    int sndMss = TcpStack.DEFAULT_GUEST_MSS;
    /** True if both sides sent the window scale option (RFC 7323 section 2). */
    boolean wsOn;
    /** The shift applied to the guest's window fields (0 unless both sides sent window scale). */
    int sndWndShift;
    /** The shift the guest applies to our window fields. */
    int rcvWndShift;
    /** True if both sides sent timestamps (RFC 7323). */
    boolean tsOn;
    /** TS.Recent: the guest's timestamp to echo. */
    int tsRecent;
    /** True if both sides sent SACK-permitted (RFC 2018). */
    boolean sackOn;
    /** Random offset of our timestamp clock (RFC 7323 section 5.4). */
    private final int tsOffset = ThreadLocalRandom.current().nextInt();
    private final int ourWndShift;

    /**
     * @param ourMss      our MSS for the flow's family
     * @param ourWndShift the window shift we offer ({@link TcpStack#rcvWndShift})
     */
    NegotiatedOptions(int ourMss, int ourWndShift) {
        this.ourMss = ourMss;
        this.ourWndShift = ourWndShift;
    }

    /**
     * Takes the options of the guest's SYN or SYN-ACK: MSS, window scale only if both
     * sides send it, timestamps and SACK likewise. For a guest SYN we answer with what
     * the guest offered; for a forward's SYN we offered everything and the guest's
     * SYN-ACK decides.
     */
    void negotiate(TcpOptions o) {
        int mss = o.mss >= 0 ? o.mss : TcpStack.DEFAULT_GUEST_MSS;
        sndMss = Math.max(TcpStack.MIN_GUEST_MSS, Math.min(mss, ourMss));
        wsOn = o.windowScale >= 0;
        if (wsOn) {
            sndWndShift = o.windowScale;
            rcvWndShift = ourWndShift;
        } else {
            sndWndShift = 0;
            rcvWndShift = 0;
        }
        tsOn = o.hasTimestamp;
        if (tsOn) {
            tsRecent = o.tsVal;
        }
        sackOn = o.sackPermitted;
    }

    /** Our timestamp clock: milliseconds (RFC 7323 section 5.4's 1 ms to 1 s tick), offset per flow. */
    int tsClock(long now) {
        return (int) TimeUnit.NANOSECONDS.toMillis(now) + tsOffset;
    }

    /**
     * The most data one segment to the guest may carry: the guest's MSS less the
     * options every segment carries (RFC 6691), and less {@code sackBlocks} SACK blocks.
     */
    int maxPayload(int sackBlocks) {
        int opts = tsOn ? 12 : 0;
        if (sackBlocks > 0) {
            opts += 4 + 8 * sackBlocks;
        }
        return sndMss - opts;
    }

    /** SACK blocks a segment has room for beside the other options (RFC 2018 section 3). */
    int maxSackBlocks() {
        return tsOn ? 3 : TcpOptions.MAX_SACK_BLOCKS;
    }
}
