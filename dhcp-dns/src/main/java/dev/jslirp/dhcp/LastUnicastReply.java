package dev.jslirp.dhcp;

import io.netty.buffer.ByteBuf;
import java.util.concurrent.TimeUnit;

/**
 * A copy of the last DHCP message the server sent by unicast, kept for a moment in case
 * the guest refuses it.
 *
 * <p>Why: RFC 2131 section 4.1 sends the ACK to a RENEWING client by unicast to
 * {@code ciaddr}. busybox udhcpc (1.35) sends its renewal from a short-lived socket
 * and opens its listening socket on port 68 afterwards; jslirp answers within
 * microseconds, so the ACK can arrive in between and the guest's kernel answers ICMP
 * port unreachable. libslirp broadcasts every reply and never meets this. Rather than
 * broadcast everything, the server keeps the last unicast message and broadcasts it
 * once more when the guest refuses it, so RFC-following clients get unicast and
 * udhcpc's renewals still complete at once.
 *
 * <p>One message of at most an MTU, in one reused array: bounded, and nothing is
 * allocated after the first reply.
 */
final class LastUnicastReply {
    /** How long a refusal may take to count as one for the remembered reply. */
    static final long RETRY_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(2);

    private byte[] message = new byte[0];
    private int length;
    private int destination;
    private long sentAt;
    private boolean valid;

    /** Copies {@code length} bytes of the DHCP message at {@code off} of {@code frame}, sent to {@code dst}. */
    void remember(ByteBuf frame, int off, int length, int dst, long now) {
        if (message.length < length) {
            message = new byte[length];
        }
        frame.getBytes(off, message, 0, length);
        this.length = length;
        this.destination = dst;
        this.sentAt = now;
        this.valid = true;
    }

    /** True if a reply to {@code dst} was sent within the window before {@code now}. */
    boolean matches(int dst, long now) {
        return valid && destination == dst && now - sentAt <= RETRY_WINDOW_NANOS;
    }

    /** Length of the remembered message. */
    int length() {
        return length;
    }

    /** Writes the remembered message at {@code off} of {@code frame} (absolute). */
    void copyTo(ByteBuf frame, int off) {
        frame.setBytes(off, message, 0, length);
    }

    /** Forgets the message: it is retried once at most. */
    void forget() {
        valid = false;
    }
}
