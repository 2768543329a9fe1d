package dev.jslirp.dns;

import dev.jslirp.core.stats.Counters;
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
 *       ({@link GuestNames}): its A record for type A or ANY, else NOERROR with no answer
 *       (NODATA, RFC 2308 section 2.2), authoritative;</li>
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
    /** An A record after the question: compressed name (2), type, class, TTL, RDLENGTH, address. */
    private static final int A_RECORD_LENGTH = 2 + 2 + 2 + 4 + 2 + 4;
    /** A PTR record without its target name: compressed name, type, class, TTL, RDLENGTH. */
    private static final int PTR_RECORD_OVERHEAD = 2 + 2 + 2 + 4 + 2;
    /** Pointer to the question's name at offset 12 (RFC 1035 section 4.1.4). */
    private static final int POINTER_TO_QUESTION = 0xc000 | DnsMessageView.HEADER_LENGTH;

    private final LocalNames names;
    private final GuestNames guests;
    private final LongSupplier clock;
    private final boolean restrict;
    private final Counters<DnsCounter> counters;
    private int rcode;
    private boolean authoritative;
    private long address;
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
        address = LocalNames.NOT_LOCAL;
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
        long local = names.lookup(q);
        if (local == LocalNames.NOT_LOCAL && guests != null) {
            long now = clock.getAsLong();
            local = guests.lookupAddress(q, now);
            byte[] target = local == LocalNames.NOT_LOCAL ? guests.lookupPointer(q, now) : null;
            if (target != null) {
                counters.increment(DnsCounter.ANSWERED_LOCALLY);
                rcode = DnsMessageView.RCODE_NOERROR;
                authoritative = true;
                boolean typeMatches = q.qtype() == DnsMessageView.TYPE_PTR || q.qtype() == DnsMessageView.TYPE_ANY;
                pointer = typeMatches && classMatches(q) ? target : null;
                return true;
            }
        }
        if (local != LocalNames.NOT_LOCAL) {
            counters.increment(DnsCounter.ANSWERED_LOCALLY);
            rcode = DnsMessageView.RCODE_NOERROR;
            authoritative = true;
            boolean typeMatches = q.qtype() == DnsMessageView.TYPE_A || q.qtype() == DnsMessageView.TYPE_ANY;
            address = typeMatches && classMatches(q) ? local : LocalNames.NOT_LOCAL;
            return true;
        }
        if (restrict) {
            counters.increment(DnsCounter.REFUSED_SENT);
            rcode = DnsMessageView.RCODE_REFUSED;
            return true;
        }
        return false;
    }

    private static boolean classMatches(DnsMessageView q) {
        return q.qclass() == DnsMessageView.CLASS_IN || q.qclass() == DnsMessageView.CLASS_ANY;
    }

    /** Length of the answer {@link #decide} chose for {@code q}. */
    int replyLength(DnsMessageView q) {
        if (pointer != null && q.hasQuestion()) {
            return length(q, false) + PTR_RECORD_OVERHEAD + pointer.length;
        }
        return length(q, address != LocalNames.NOT_LOCAL);
    }

    /**
     * Writes the answer {@link #decide} chose for {@code q} at {@code out}'s writer
     * index, {@link #replyLength} bytes; {@code out} stays the caller's.
     */
    void writeReply(ByteBuf out, DnsMessageView q) {
        if (pointer != null && q.hasQuestion()) {
            writeHeader(out, q, q.id(), rcode, authoritative, !restrict, 1);
            out.writeBytes(q.buffer(), q.questionOffset(), q.questionLength());
            out.writeShort(POINTER_TO_QUESTION);
            out.writeShort(DnsMessageView.TYPE_PTR);
            out.writeShort(DnsMessageView.CLASS_IN);
            out.writeInt(TTL_SECONDS);
            out.writeShort(pointer.length);
            out.writeBytes(pointer);
            return;
        }
        write(out, q, q.id(), rcode, authoritative, !restrict, address);
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

    /** Length of an answer to {@code q} with one A record or none. */
    static int length(DnsMessageView q, boolean withAddress) {
        return DnsMessageView.HEADER_LENGTH + q.questionLength() + (withAddress ? A_RECORD_LENGTH : 0);
    }

    /**
     * Writes an answer to {@code q} at {@code out}'s writer index: header with
     * {@code id} and {@code rcode}, the question as sent if it parsed, and one A
     * record unless {@code address} is {@link LocalNames#NOT_LOCAL}.
     * {@code out} stays the caller's.
     */
    static void write(ByteBuf out, DnsMessageView q, int id, int rcode, boolean authoritative,
                      boolean recursionAvailable, long address) {
        boolean withAddress = address != LocalNames.NOT_LOCAL && q.hasQuestion();
        writeHeader(out, q, id, rcode, authoritative, recursionAvailable, withAddress ? 1 : 0);
        if (q.hasQuestion()) {
            out.writeBytes(q.buffer(), q.questionOffset(), q.questionLength());
        }
        if (withAddress) {
            out.writeShort(POINTER_TO_QUESTION);
            out.writeShort(DnsMessageView.TYPE_A);
            out.writeShort(DnsMessageView.CLASS_IN);
            out.writeInt(TTL_SECONDS);
            out.writeShort(4);
            out.writeInt((int) address);
        }
    }
}
