package dev.jslirp.dns;

import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.wire.IpAddress;
import io.netty.buffer.ByteBuf;
import java.util.function.LongSupplier;

/**
 * Decides which guest queries the service answers without an upstream, and writes
 * those answers and its own errors. Shared by the UDP and TCP paths, so both answer
 * alike:
 * <ul>
 *   <li>a question that does not parse: FORMERR (RFC 1035 section 4.1.1);</li>
 *   <li>an opcode other than QUERY: NOTIMP;</li>
 *   <li>a local name ({@link LocalNames}), else a guest's name from its DHCP lease
 *       ({@link GuestNames}): its A record for type A, its AAAA record for type AAAA
 *       (RFC 3596), both for ANY; NOERROR with no answer (NODATA, RFC 2308 section 2.2)
 *       when it has no record of the type asked; authoritative;</li>
 *   <li>the reverse name of a guest's address ({@code d.c.b.a.in-addr.arpa}): its PTR
 *       record naming the guest for type PTR or ANY, else NODATA;</li>
 *   <li>anything else with {@code restrict=on}: REFUSED, since nothing may leave;</li>
 *   <li>anything else goes upstream.</li>
 * </ul>
 * Answers echo the question as the guest sent it and carry no EDNS OPT record, which
 * RFC 6891 section 7 allows a responder to leave out.
 */
final class LocalAnswers {
    /** TTL of local records: short, as a local record may change with the next start. */
    static final int TTL_SECONDS = 60;
    /** A resource record after the question: compressed name (2), type, class, TTL, RDLENGTH; then its data. */
    private static final int RECORD_HEAD_LENGTH = 2 + 2 + 2 + 4 + 2;
    /** Pointer to the question's name at offset 12 (RFC 1035 section 4.1.4). */
    private static final int POINTER_TO_QUESTION = 0xc000 | DnsMessageView.HEADER_LENGTH;

    private final LocalNames names;
    private final GuestNames guests;
    private final LongSupplier clock;
    private final boolean restrict;
    private final Counters<DnsCounter> counters;
    private int rcode;
    private boolean authoritative;
    private IpAddress a;
    private IpAddress aaaa;
    private byte[] pointer;

    LocalAnswers(LocalNames names, boolean restrict, Counters<DnsCounter> counters) {
        this(names, null, () -> 0, restrict, counters);
    }

    /**
     * @param guests the guests' names, or null for none
     * @param clock  the network clock, against which guests' leases expire
     */
    LocalAnswers(LocalNames names, GuestNames guests, LongSupplier clock, boolean restrict,
                 Counters<DnsCounter> counters) {
        this.names = names;
        this.guests = guests;
        this.clock = clock;
        this.restrict = restrict;
        this.counters = counters;
    }

    /**
     * Decides on a query whose header parsed and which is not a response; counts the
     * decision.
     *
     * @param problem what {@link DnsMessageView#wrap} returned for it
     * @return true if the service answers itself ({@link #replyLength},
     *         {@link #writeReply} then build the answer), false to ask an upstream
     */
    boolean decide(DnsMessageView q, DnsMessageView.Problem problem) {
        a = null;
        aaaa = null;
        pointer = null;
        authoritative = false;
        if (problem != null) {
            counters.increment(DnsCounter.MALFORMED_QUERIES);
            counters.increment(DnsCounter.FORMERR_SENT);
            rcode = DnsMessageView.RCODE_FORMERR;
            return true;
        }
        if (q.opcode() != DnsMessageView.OPCODE_QUERY) {
            counters.increment(DnsCounter.NOTIMP_SENT);
            rcode = DnsMessageView.RCODE_NOTIMP;
            return true;
        }
        boolean classMatches = q.qclass() == DnsMessageView.CLASS_IN || q.qclass() == DnsMessageView.CLASS_ANY;
        boolean any = q.qtype() == DnsMessageView.TYPE_ANY;
        LocalNames.Entry local = names.lookup(q);
        if (local != null) {
            answeredHere();
            a = classMatches && (any || q.qtype() == DnsMessageView.TYPE_A) ? local.ipv4 : null;
            aaaa = classMatches && (any || q.qtype() == DnsMessageView.TYPE_AAAA) ? local.ipv6 : null;
            return true;
        }
        if (guests != null) {
            long now = clock.getAsLong();
            IpAddress guest = guests.lookupAddress(q, now);
            if (guest != null) {
                answeredHere();
                a = classMatches && (any || q.qtype() == DnsMessageView.TYPE_A) ? guest : null;
                return true;
            }
            byte[] target = guests.lookupPointer(q, now);
            if (target != null) {
                answeredHere();
                pointer = classMatches && (any || q.qtype() == DnsMessageView.TYPE_PTR) ? target : null;
                return true;
            }
        }
        if (restrict) {
            counters.increment(DnsCounter.REFUSED_SENT);
            rcode = DnsMessageView.RCODE_REFUSED;
            return true;
        }
        return false;
    }

    private void answeredHere() {
        counters.increment(DnsCounter.ANSWERED_LOCALLY);
        rcode = DnsMessageView.RCODE_NOERROR;
        authoritative = true;
    }

    /** Length of the answer {@link #decide} chose for {@code q}. */
    int replyLength(DnsMessageView q) {
        int length = length(q, a, aaaa);
        return pointer != null && q.hasQuestion() ? length + RECORD_HEAD_LENGTH + pointer.length : length;
    }

    /**
     * Writes the answer {@link #decide} chose for {@code q} at {@code out}'s writer
     * index, {@link #replyLength} bytes; {@code out} stays the caller's.
     */
    void writeReply(ByteBuf out, DnsMessageView q) {
        if (pointer != null && q.hasQuestion()) {
            writeHeader(out, q, q.id(), rcode, authoritative, !restrict, 1);
            out.writeBytes(q.buffer(), q.questionOffset(), q.questionLength());
            writeRecordHead(out, DnsMessageView.TYPE_PTR, pointer.length);
            out.writeBytes(pointer);
            return;
        }
        write(out, q, q.id(), rcode, authoritative, !restrict, a, aaaa);
    }

    /** Length of an answer to {@code q} without records (an error, or NODATA). */
    static int errorLength(DnsMessageView q) {
        return length(q, null, null);
    }

    /**
     * Writes an answer to {@code q} without records, with {@code id} and {@code rcode}
     * (a SERVFAIL, say), recursion available; {@code out} stays the caller's.
     */
    static void writeError(ByteBuf out, DnsMessageView q, int id, int rcode) {
        write(out, q, id, rcode, false, true, null, null);
    }

    /** Length of an answer to {@code q} with an A record of {@code a} and an AAAA record of {@code aaaa}, each if not null. */
    static int length(DnsMessageView q, IpAddress a, IpAddress aaaa) {
        return DnsMessageView.HEADER_LENGTH + q.questionLength() + (a != null ? RECORD_HEAD_LENGTH + 4 : 0)
                + (aaaa != null ? RECORD_HEAD_LENGTH + 16 : 0);
    }

    /**
     * Writes an answer to {@code q} at {@code out}'s writer index: header with
     * {@code id} and {@code rcode}, the question as sent if it parsed, an A record of
     * {@code a} and an AAAA record of {@code aaaa}, each if not null (and the question
     * parsed). {@code out} stays the caller's.
     */
    static void write(ByteBuf out, DnsMessageView q, int id, int rcode, boolean authoritative,
                      boolean recursionAvailable, IpAddress a, IpAddress aaaa) {
        boolean withA = a != null && q.hasQuestion();
        boolean withAaaa = aaaa != null && q.hasQuestion();
        writeHeader(out, q, id, rcode, authoritative, recursionAvailable, (withA ? 1 : 0) + (withAaaa ? 1 : 0));
        if (q.hasQuestion()) {
            out.writeBytes(q.buffer(), q.questionOffset(), q.questionLength());
        }
        if (withA) {
            writeRecordHead(out, DnsMessageView.TYPE_A, 4);
            out.writeInt(a.ipv4());
        }
        if (withAaaa) {
            writeRecordHead(out, DnsMessageView.TYPE_AAAA, 16);
            out.writeLong(aaaa.hi());
            out.writeLong(aaaa.lo());
        }
    }

    /** Writes the header of an answer to {@code q} with {@code answers} records. */
    private static void writeHeader(ByteBuf out, DnsMessageView q, int id, int rcode, boolean authoritative,
                                    boolean recursionAvailable, int answers) {
        int flags = DnsMessageView.FLAG_QR
                | (q.flags() & (DnsMessageView.OPCODE_BITS | DnsMessageView.FLAG_RD))   // opcode and RD echoed (RFC 1035 4.1.1)
                | (authoritative ? DnsMessageView.FLAG_AA : 0)
                | (recursionAvailable ? DnsMessageView.FLAG_RA : 0)
                | rcode;
        out.writeShort(id);
        out.writeShort(flags);
        out.writeShort(q.hasQuestion() ? 1 : 0);
        out.writeShort(answers);
        out.writeShort(0);
        out.writeShort(0);
    }

    private static void writeRecordHead(ByteBuf out, int type, int rdLength) {
        out.writeShort(POINTER_TO_QUESTION);
        out.writeShort(type);
        out.writeShort(DnsMessageView.CLASS_IN);
        out.writeInt(TTL_SECONDS);
        out.writeShort(rdLength);
    }
}
