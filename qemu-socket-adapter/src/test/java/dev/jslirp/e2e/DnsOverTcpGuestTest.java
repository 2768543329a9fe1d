package dev.jslirp.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.dns.DnsConfig;
import dev.jslirp.guest.NicModel;
import dev.jslirp.guest.QemuGuest;
import dev.jslirp.transport.IoTransport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.dns.DefaultDnsQuery;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.handler.codec.dns.TcpDnsQueryEncoder;
import io.netty.handler.codec.dns.TcpDnsResponseDecoder;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * DNS over TCP (RFC 1035 section 4.2.2, RFC 7766) from a real guest. busybox nslookup speaks
 * UDP only, so the test builds the length-prefixed queries itself (Netty's
 * {@link TcpDnsQueryEncoder}), the guest's own TCP stack carries them ({@code printf | nc}) to the
 * DNS address, and the test decodes what came back ({@code od} hex, then Netty's
 * {@link TcpDnsResponseDecoder}). Two queries go pipelined on one connection.
 *
 * <p>Against jslirp this needs the NAT's TCP half (it terminates the guest's connection and hands
 * it to the DNS service's TCP listener); against libslirp the same check runs inside a test
 * network namespace, where libslirp relays the connection to its resolv.conf server, the test's.
 */
class DnsOverTcpGuestTest {
    private static final Map<String, String> ANSWERS = Map.of("www.e2e.test", "10.0.2.2", "mail.e2e.test", "10.0.2.25");

    @Test
    void jslirpAnswersPipelinedLocalAndForwardedQueriesOverTheGuestsTcp() throws Exception {
        IoTransport io = IoTransport.best();
        EventLoopGroup group = io.newEventLoopGroup(1);
        try (E2eDnsServer upstream = E2eDnsServer.start(ANSWERS);
             InProcessJslirp jslirp = InProcessJslirp.start(group.next(), io, UserOptions.DEFAULTS,
                     DnsConfig.builder().addUpstream(upstream.address()).build(),
                     InProcessJslirp.Attachment.STREAM_UNIX_LISTEN);
             QemuGuest guest = boot("jslirp", jslirp.netdev("n0"), null)) {
            new GuestShell(guest).dhcp("eth0");

            // Until the NAT's TCP half exists, the guest's SYN is counted as drop.NO_SERVICE.
            List<List<String>> answers = exchange(guest, List.of("host.jslirp.internal", "www.e2e.test"),
                    () -> "jslirp counters " + jslirp.counters());

            assertThat(answers).containsExactly(List.of("10.0.2.2"), List.of("10.0.2.2"));
            assertThat(upstream.received()).as("forwarded over TCP, as asked")
                    .contains(new E2eDnsServer.Query("tcp", "www.e2e.test.", "A"))
                    .extracting(E2eDnsServer.Query::name).doesNotContain("host.jslirp.internal.");
            assertThat(jslirp.counter("dns.TCP_CONNECTIONS")).isEqualTo(1);
            assertThat(jslirp.counter("dns.TCP_QUERIES")).isEqualTo(2);
            assertThat(jslirp.counter("dns.ANSWERED_LOCALLY")).isEqualTo(1);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }
    }

    @Test
    void libslirpRelaysTheGuestsTcpQueriesToItsResolvConfServer() throws Exception {
        try (NetnsSandbox sandbox = NetnsSandbox.create(ANSWERS);
             QemuGuest guest = boot("libslirp", UserOptions.DEFAULTS.netdevUser("n0"), sandbox.qemuWrapper())) {
            new GuestShell(guest).dhcp("eth0");

            List<List<String>> answers = exchange(guest, List.of("mail.e2e.test", "www.e2e.test"),
                    () -> "namespace DNS server saw " + sandbox.dnsQueries());

            assertThat(answers).containsExactly(List.of("10.0.2.25"), List.of("10.0.2.2"));
            List<E2eDnsServer.Query> expected = List.of(new E2eDnsServer.Query("tcp", "mail.e2e.test.", "A"),
                    new E2eDnsServer.Query("tcp", "www.e2e.test.", "A"));
            // The namespace's server reports its queries on its stdout, a little after answering.
            InProcessJslirp.await(Duration.ofSeconds(5), () -> sandbox.dnsQueries().containsAll(expected));
            assertThat(sandbox.dnsQueries()).containsAll(expected);
        }
    }

    private static QemuGuest boot(String name, String netdev, String qemuBinary) {
        return GuestNic.boot(DnsOverTcpGuestTest.class.getSimpleName() + "-" + name,
                List.of(new GuestNic("n0", NicModel.VIRTIO_NET_PCI, QemuGuest.DEFAULT_MAC, netdev)), null, qemuBinary);
    }

    /**
     * Sends one A query per name, pipelined on one TCP connection from the guest to 10.0.2.3:53,
     * and returns the answers' addresses per query, in order.
     */
    static List<List<String>> exchange(QemuGuest guest, List<String> names, Supplier<String> context) {
        byte[] queries = encodeQueries(names);
        StringBuilder printf = new StringBuilder();
        for (byte b : queries) {
            printf.append(String.format("\\%03o", b & 0xff));
        }
        // nc half-closes after stdin's end and prints what arrives until the server closes;
        // timeout ends it if the server keeps the connection open (RFC 7766 allows either).
        guest.run("printf '" + printf + "' | timeout 10 nc 10.0.2.3 53 > /tmp/dns-tcp.out", GuestShell.NET_TIMEOUT);
        String hex = guest.runOk("od -An -v -tx1 /tmp/dns-tcp.out");
        byte[] reply = HexFormat.of().parseHex(hex.replaceAll("\\s", ""));
        List<List<String>> answers = decodeAnswers(reply);
        assertThat(answers).as("answers to %s; the guest received %d bytes: %s; %s", names, reply.length, hex,
                context.get()).hasSize(names.size());
        return answers;
    }

    /** The queries as they go on the wire: 2-byte length, then the message; IDs 1, 2, ... */
    private static byte[] encodeQueries(List<String> names) {
        EmbeddedChannel ch = new EmbeddedChannel(new TcpDnsQueryEncoder());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int id = 1;
        for (String name : names) {
            DefaultDnsQuery q = new DefaultDnsQuery(id++, DnsOpCode.QUERY);
            q.setRecursionDesired(true);
            q.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(name, DnsRecordType.A));
            ch.writeOutbound(q);
            ByteBuf b = ch.readOutbound();
            try {
                out.writeBytes(ByteBufUtil.getBytes(b));
            } finally {
                b.release();
            }
        }
        assertThat(ch.finish()).isFalse();
        return out.toByteArray();
    }

    /**
     * Each response's A records as dotted addresses, in query order (by ID: RFC 7766 section 7
     * lets a server answer pipelined queries in any order).
     */
    private static List<List<String>> decodeAnswers(byte[] stream) {
        EmbeddedChannel ch = new EmbeddedChannel(new TcpDnsResponseDecoder());
        ch.writeInbound(Unpooled.wrappedBuffer(stream));
        Map<Integer, List<String>> answers = new TreeMap<>();
        for (DnsResponse r = ch.readInbound(); r != null; r = ch.readInbound()) {
            try {
                assertThat(r.code()).isEqualTo(DnsResponseCode.NOERROR);
                List<String> addresses = new ArrayList<>();
                for (int i = 0; i < r.count(DnsSection.ANSWER); i++) {
                    if (r.recordAt(DnsSection.ANSWER, i) instanceof DnsRawRecord raw && raw.type() == DnsRecordType.A) {
                        addresses.add(InetAddress.getByAddress(ByteBufUtil.getBytes(raw.content())).getHostAddress());
                    }
                }
                assertThat(answers.put(r.id(), addresses)).as("one answer per ID").isNull();
            } catch (java.net.UnknownHostException e) {
                throw new AssertionError(e);
            } finally {
                r.release();
            }
        }
        ch.finishAndReleaseAll();
        assertThat(answers.keySet()).as("IDs answered").isEqualTo(
                IntStream.rangeClosed(1, answers.size()).boxed().collect(Collectors.toSet()));
        return new ArrayList<>(answers.values());
    }
}
