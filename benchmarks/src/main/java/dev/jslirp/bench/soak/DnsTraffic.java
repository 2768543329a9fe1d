package dev.jslirp.bench.soak;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsQueryEncoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The soak's DNS, both ends, with Netty's DNS codec (run in an {@link EmbeddedChannel}
 * per message; a few dozen messages a second need no more):
 * <ul>
 *   <li>{@link Upstream}: the upstream resolver jslirp is given ({@code --dns-upstream}),
 *       on the host's 127.0.0.1, answering every A query with {@link #UPSTREAM_A} and every
 *       AAAA query with {@link #UPSTREAM_AAAA} (documentation addresses, RFC 5737 and
 *       RFC 3849: nothing is ever sent to them);</li>
 *   <li>{@link #query}: the guest's resolver, asking jslirp's DNS address (10.0.2.3 or
 *       fec0::3) from a fresh socket per query, as a stub resolver does, and checking the
 *       answer.</li>
 * </ul>
 * The names asked for are fresh ({@code q<random>.soak.test}), so each is forwarded
 * upstream; one in ten is {@code host.jslirp.internal}, which jslirp answers itself.
 */
final class DnsTraffic {
    static final byte[] UPSTREAM_A = {(byte) 192, 0, 2, 53};
    static final byte[] UPSTREAM_AAAA = {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53};
    /** jslirp's own name for the host, answered locally. */
    static final String LOCAL_NAME = "host.jslirp.internal.";
    /** Tries per query, each waiting this long. */
    static final int TRIES = 3;
    static final int TIMEOUT_MS = 2000;

    private DnsTraffic() {
    }

    /**
     * Asks {@code server} for a fresh name's A or AAAA record (or, one time in ten, for
     * {@link #LOCAL_NAME}'s) and checks the answer against what the upstream or jslirp
     * gives ({@code host4}/{@code host6}: jslirp's host addresses).
     *
     * @return false if no answer came after {@link #TRIES} tries
     * @throws Corrupt if an answer came that is not the right one
     */
    static boolean query(InetSocketAddress server, boolean aaaa, byte[] host4, byte[] host6) throws IOException {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        boolean local = r.nextInt(10) == 0;
        String name = local ? LOCAL_NAME : "q" + Long.toHexString(r.nextLong() >>> 1) + ".soak.test.";
        DnsRecordType type = aaaa ? DnsRecordType.AAAA : DnsRecordType.A;
        byte[] expected = local ? (aaaa ? host6 : host4) : (aaaa ? UPSTREAM_AAAA : UPSTREAM_A);
        int id = r.nextInt(65536);
        byte[] query = encodeQuery(server, id, name, type);
        try (DatagramSocket s = new DatagramSocket()) {
            s.setSoTimeout(TIMEOUT_MS);
            for (int attempt = 0; attempt < TRIES; attempt++) {
                s.send(new java.net.DatagramPacket(query, query.length, server));
                byte[] in = new byte[4096];
                java.net.DatagramPacket p = new java.net.DatagramPacket(in, in.length);
                try {
                    s.receive(p);
                } catch (SocketTimeoutException e) {
                    continue;
                }
                check(Arrays.copyOf(in, p.getLength()), server, id, name, type, expected);
                return true;
            }
            return false;
        }
    }

    private static byte[] encodeQuery(InetSocketAddress server, int id, String name, DnsRecordType type) {
        return encode(new DatagramDnsQueryEncoder(), new DatagramDnsQuery(null, server, id).setRecursionDesired(true)
                .setRecord(DnsSection.QUESTION, new DefaultDnsQuestion(name, type)));
    }

    /** The datagram {@code encoder} makes of {@code message} (which it releases), as bytes. */
    private static byte[] encode(ChannelHandler encoder, Object message) {
        EmbeddedChannel ch = new EmbeddedChannel(encoder);
        try {
            ch.writeOutbound(message);
            DatagramPacket out = ch.readOutbound();
            try {
                return ByteBufUtil.getBytes(out.content());
            } finally {
                out.release();
            }
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    private static void check(byte[] answer, InetSocketAddress server, int id, String name, DnsRecordType type,
                              byte[] expected) throws Corrupt {
        EmbeddedChannel ch = new EmbeddedChannel(new DatagramDnsResponseDecoder());
        try {
            ch.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(answer), new InetSocketAddress(0), server));
            DatagramDnsResponse resp = ch.readInbound();
            try {
                DnsRecord q = resp.recordAt(DnsSection.QUESTION);
                DnsRecord a = resp.count(DnsSection.ANSWER) == 0 ? null : resp.recordAt(DnsSection.ANSWER);
                String what = type.name() + " " + name + " from " + server;
                if (resp.id() != id || resp.code() != DnsResponseCode.NOERROR || q == null || !q.name().equals(name)) {
                    throw new Corrupt(what + ": answer id " + resp.id() + " (asked " + id + "), " + resp.code()
                            + ", question " + q);
                }
                if (!(a instanceof DnsRawRecord raw) || a.type() != type
                        || !Arrays.equals(ByteBufUtil.getBytes(raw.content()), expected)) {
                    throw new Corrupt(what + ": answer " + a + ", expected " + addressText(expected));
                }
            } finally {
                resp.release();
            }
        } catch (RuntimeException e) {
            throw new Corrupt("undecodable answer from " + server + ": " + e);
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    private static String addressText(byte[] a) {
        try {
            return InetAddress.getByAddress(a).getHostAddress();
        } catch (IOException e) {
            return Arrays.toString(a);
        }
    }

    /** The upstream resolver on the host's loopback: one thread, one socket. */
    static final class Upstream implements AutoCloseable {
        private final DatagramSocket socket;
        private final Thread thread;

        Upstream(Tally tally) throws IOException {
            socket = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            thread = new Thread(() -> serve(tally), "soak-dns-upstream");
            thread.setDaemon(true);
            thread.start();
        }

        /** The port on 127.0.0.1. */
        int port() {
            return socket.getLocalPort();
        }

        private void serve(Tally tally) {
            byte[] in = new byte[4096];
            while (!socket.isClosed()) {
                java.net.DatagramPacket p = new java.net.DatagramPacket(in, in.length);
                try {
                    socket.receive(p);
                    byte[] answer = answer(Arrays.copyOf(in, p.getLength()), (InetSocketAddress) p.getSocketAddress());
                    if (answer != null) {
                        socket.send(new java.net.DatagramPacket(answer, answer.length, p.getSocketAddress()));
                        tally.add("dns.upstream.answers", 1);
                    }
                } catch (IOException | RuntimeException e) {
                    if (!socket.isClosed()) {
                        tally.error("dns.upstream", e);
                    }
                }
            }
        }

        /** The answer to one query, or null for a message that is not one. */
        private byte[] answer(byte[] query, InetSocketAddress from) {
            EmbeddedChannel ch = new EmbeddedChannel(new DatagramDnsQueryDecoder());
            try {
                ch.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(query), (InetSocketAddress) socket
                        .getLocalSocketAddress(), from));
                DatagramDnsQuery q = ch.readInbound();
                if (q == null) {
                    return null;
                }
                try {
                    DnsQuestion question = q.recordAt(DnsSection.QUESTION);
                    DatagramDnsResponse resp = new DatagramDnsResponse(q.recipient(), from, q.id());
                    resp.setRecursionAvailable(true).setRecursionDesired(q.isRecursionDesired());
                    if (question != null) {
                        resp.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(question.name(), question.type()));
                        byte[] addr = question.type() == DnsRecordType.A ? UPSTREAM_A
                                : question.type() == DnsRecordType.AAAA ? UPSTREAM_AAAA : null;
                        if (addr != null) {
                            resp.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(question.name(), question.type(),
                                    60, Unpooled.wrappedBuffer(addr)));
                        }
                    }
                    return encode(new DatagramDnsResponseEncoder(), resp);
                } finally {
                    q.release();
                }
            } finally {
                ch.finishAndReleaseAll();
            }
        }

        @Override
        public void close() {
            socket.close();
        }
    }
}
