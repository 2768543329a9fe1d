package dev.jslirp.dns;

import static dev.jslirp.dns.GuestDns.TYPE_A;
import static dev.jslirp.dns.DnsTestBed.counters;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.VirtualGuest;
import dev.jslirp.dns.TestDnsServer.Behaviour;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * DNS over TCP: the test connects to the address the service registered for
 * 10.0.2.3:53 (where the NAT will connect the guest's connections) and speaks
 * length-prefixed DNS to it; upstreams are test servers on 127.0.0.1.
 */
class DnsOverTcpTest {
    private final DnsTestBed bed = new DnsTestBed();

    @AfterEach
    void closeAll() throws Exception {
        bed.close();
    }

    /** The host address registered for the DNS address, port 53, once the listener is bound. */
    private static InetSocketAddress endpoint(VirtualGuest g) throws InterruptedException {
        InetSocketAddress[] at = new InetSocketAddress[1];
        for (int i = 0; i < 500 && at[0] == null; i++) {
            g.onLoop(() -> at[0] = g.network().tcpEndpoint(dev.jslirp.core.wire.IpAddress.ipv4(GuestFrames.DNS), 53));
            if (at[0] == null) {
                Thread.sleep(10);
            }
        }
        assertThat(at[0]).as("registered TCP endpoint").isNotNull();
        assertThat(at[0].getAddress().isLoopbackAddress()).isTrue();
        return at[0];
    }

    private Socket connect(VirtualGuest g) throws Exception {
        Socket s = new Socket();
        bed.closeLater(s);
        s.connect(endpoint(g), 5000);
        s.setSoTimeout(5000);
        return s;
    }

    private static byte[] framed(byte[]... messages) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] m : messages) {
            out.write(m.length >>> 8);
            out.write(m.length);
            out.writeBytes(m);
        }
        return out.toByteArray();
    }

    private static GuestDns.Reply readReply(Socket s) throws IOException {
        DataInputStream in = new DataInputStream(s.getInputStream());
        int len = in.readUnsignedShort();
        byte[] m = new byte[len];
        in.readFully(m);
        return GuestDns.decode(m);
    }

    private static boolean closedByPeer(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        try {
            return in.read() == -1;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;   // reset
        }
    }

    @Test
    void twoPipelinedQueriesOnOneConnectionAreAnsweredInOrder() throws Exception {
        TestDnsServer up = bed.server().answer("slow.test", "192.0.2.1").delay(Duration.ofMillis(200));
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(up.address()).build());
        Socket s = connect(g);
        s.getOutputStream().write(framed(GuestDns.query(101, "slow.test", TYPE_A),
                GuestDns.query(102, "host.jslirp.internal", TYPE_A)));
        GuestDns.Reply first = readReply(s);
        GuestDns.Reply second = readReply(s);
        assertThat(first.id()).isEqualTo(101);
        assertThat(first.addresses()).containsExactly("192.0.2.1");
        assertThat(second.id()).isEqualTo(102);
        assertThat(second.addresses()).containsExactly("10.0.2.2");
        assertThat(up.received()).hasSize(1);
        assertThat(up.received().get(0).transport()).isEqualTo("tcp");
        assertThat(counters(g).get(DnsCounter.TCP_QUERIES)).isEqualTo(2);
        assertThat(counters(g).get(DnsCounter.TCP_CONNECTIONS)).isEqualTo(1);
    }

    @Test
    void answersPendingWhenTheGuestHalfClosesAreSentBeforeTheConnectionCloses() throws Exception {
        // A real guest's "printf QUERIES | nc 10.0.2.3 53" sends its queries, then its FIN, which
        // the NAT passes on as a half-close: the forwarded answer is still owed (RFC 1035
        // section 4.2.2: the server closes only once all outstanding requests are satisfied).
        TestDnsServer up = bed.server().answer("slow.test", "192.0.2.1").delay(Duration.ofMillis(200));
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(up.address()).build());
        Socket s = connect(g);
        s.getOutputStream().write(framed(GuestDns.query(101, "host.jslirp.internal", TYPE_A),
                GuestDns.query(102, "slow.test", TYPE_A)));
        s.shutdownOutput();

        GuestDns.Reply first = readReply(s);
        GuestDns.Reply second = readReply(s);

        assertThat(first.id()).isEqualTo(101);
        assertThat(first.addresses()).containsExactly("10.0.2.2");
        assertThat(second.id()).isEqualTo(102);
        assertThat(second.addresses()).containsExactly("192.0.2.1");
        assertThat(closedByPeer(s)).as("closed once the last answer is out").isTrue();
    }

    @Test
    void aHalfCloseWithNothingPendingClosesTheConnection() throws Exception {
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(bed.server().address()).build());
        Socket s = connect(g);
        s.getOutputStream().write(framed(GuestDns.query(7, "host.jslirp.internal", TYPE_A)));
        assertThat(readReply(s).id()).isEqualTo(7);

        s.shutdownOutput();

        assertThat(closedByPeer(s)).isTrue();
    }

    @Test
    void aTruncatedUdpAnswerIsCompleteWhenTheGuestRetriesOverTcp() throws Exception {
        TestDnsServer up = bed.server().answer("big.test", "192.0.2.5").behaviour(Behaviour.TRUNCATE);
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(up.address()).build());
        GuestDns.send(g, GuestDns.query(7, "big.test", TYPE_A));
        assertThat(GuestDns.expectReply(g).truncated()).isTrue();
        Socket s = connect(g);
        s.getOutputStream().write(framed(GuestDns.query(8, "big.test", TYPE_A)));
        GuestDns.Reply r = readReply(s);
        assertThat(r.id()).isEqualTo(8);
        assertThat(r.truncated()).isFalse();
        assertThat(r.addresses()).containsExactly("192.0.2.5");
    }

    @Test
    void aLargeAnswerComesWholeOverTcp() throws Exception {
        TestDnsServer up = bed.server().behaviour(Behaviour.LARGE);
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(up.address()).build());
        Socket s = connect(g);
        s.getOutputStream().write(framed(GuestDns.query(9, "large.test", TYPE_A)));
        assertThat(readReply(s).answerCount()).isEqualTo(TestDnsServer.LARGE_RECORDS);
    }

    @Test
    void tcpFailsOverFromASilentAndARefusingUpstreamToAnAnsweringOne() throws Exception {
        TestDnsServer silent = bed.server().behaviour(Behaviour.SILENT);
        TestDnsServer gone = TestDnsServer.start();
        InetSocketAddress refusing = gone.address();
        gone.close();
        TestDnsServer good = bed.server().answer("example.test", "192.0.2.8");
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(silent.address()).addUpstream(refusing)
                .addUpstream(good.address()).upstreamTimeout(Duration.ofMillis(300)).build());
        Socket s = connect(g);
        s.getOutputStream().write(framed(GuestDns.query(10, "example.test", TYPE_A)));
        GuestDns.Reply r = readReply(s);
        assertThat(r.id()).isEqualTo(10);
        assertThat(r.addresses()).containsExactly("192.0.2.8");
        assertThat(silent.received()).hasSize(1);
        assertThat(counters(g).get(DnsCounter.UPSTREAM_TIMEOUTS)).isEqualTo(1);
        assertThat(counters(g).get(DnsCounter.UPSTREAM_ERRORS)).isEqualTo(1);
    }

    @Test
    void whenEveryTcpUpstreamFailsTheAnswerIsServfail() throws Exception {
        TestDnsServer silent = bed.server().behaviour(Behaviour.SILENT);
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(silent.address())
                .upstreamTimeout(Duration.ofMillis(200)).build());
        Socket s = connect(g);
        s.getOutputStream().write(framed(GuestDns.query(11, "example.test", TYPE_A)));
        GuestDns.Reply r = readReply(s);
        assertThat(r.id()).isEqualTo(11);
        assertThat(r.rcode()).isEqualTo(2);
        assertThat(r.questionName()).isEqualTo("example.test.");
    }

    @Test
    void restrictOnRefusesOverTcpButAnswersLocalNames() throws Exception {
        TestDnsServer up = bed.server().answer("example.test", "192.0.2.1");
        VirtualGuest g = bed.guest(NetworkConfig.builder().restrict(true).build(),
                DnsConfig.builder().addUpstream(up.address()).build());
        Socket s = connect(g);
        s.getOutputStream().write(framed(GuestDns.query(12, "example.test", TYPE_A),
                GuestDns.query(13, "host.jslirp.internal", TYPE_A)));
        assertThat(readReply(s).rcode()).isEqualTo(5);
        assertThat(readReply(s).addresses()).containsExactly("10.0.2.2");
        assertThat(up.received()).isEmpty();
    }

    @Test
    void aBadQuestionGetsFormerrAndTheConnectionStaysUsable() throws Exception {
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(bed.server().address()).build());
        Socket s = connect(g);
        byte[] loop = {0, 14, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, (byte) 0xc0, 12, 0, 1, 0, 1};
        s.getOutputStream().write(framed(loop, GuestDns.query(15, "host.jslirp.internal", TYPE_A)));
        GuestDns.Reply formerr = readReply(s);
        assertThat(formerr.id()).isEqualTo(14);
        assertThat(formerr.rcode()).isEqualTo(1);
        assertThat(readReply(s).addresses()).containsExactly("10.0.2.2");
    }

    @Test
    void aMessageShorterThanAHeaderClosesTheConnection() throws Exception {
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(bed.server().address()).build());
        Socket s = connect(g);
        s.getOutputStream().write(framed(new byte[] {1, 2, 3}));
        assertThat(closedByPeer(s)).isTrue();
        assertThat(counters(g).get(DnsCounter.MALFORMED_DROPPED)).isEqualTo(1);
    }

    @Test
    void connectionsBeyondTheBoundAreClosedAtOnce() throws Exception {
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(bed.server().address()).maxTcpConnections(1).build());
        Socket first = connect(g);
        first.getOutputStream().write(framed(GuestDns.query(1, "host.jslirp.internal", TYPE_A)));
        assertThat(readReply(first).id()).isEqualTo(1);
        Socket second = connect(g);
        assertThat(closedByPeer(second)).isTrue();
        assertThat(counters(g).get(DnsCounter.TCP_CONNECTIONS_REFUSED)).isEqualTo(1);
        first.getOutputStream().write(framed(GuestDns.query(2, "host.jslirp.internal", TYPE_A)));
        assertThat(readReply(first).id()).isEqualTo(2);
    }

    @Test
    void anIdleConnectionIsClosed() throws Exception {
        VirtualGuest g = bed.guest(DnsConfig.builder().addUpstream(bed.server().address())
                .tcpIdleTimeout(Duration.ofSeconds(1)).build());
        Socket s = connect(g);
        s.getOutputStream().write(framed(GuestDns.query(1, "host.jslirp.internal", TYPE_A)));
        assertThat(readReply(s).id()).isEqualTo(1);
        long start = System.nanoTime();
        assertThat(closedByPeer(s)).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(500));
        assertThat(counters(g).get(DnsCounter.TCP_IDLE_CLOSED)).isEqualTo(1);
    }

    @Test
    void stoppingTheNetworkClosesTheListenerAndItsConnections() throws Exception {
        TestDnsServer silent = bed.server().behaviour(Behaviour.SILENT);
        VirtualGuest g = VirtualGuest.onRealLoop(NetworkConfig.defaults(),
                new DnsService(DnsConfig.builder().addUpstream(silent.address()).build()));
        InetSocketAddress at = endpoint(g);
        Socket s = new Socket();
        bed.closeLater(s);
        s.connect(at, 5000);
        s.setSoTimeout(5000);
        s.getOutputStream().write(framed(GuestDns.query(1, "pending.test", TYPE_A)));
        silent.awaitReceived(1);
        g.close();
        assertThat(closedByPeer(s)).isTrue();
        try (Socket again = new Socket()) {
            assertThatThrownBy(() -> again.connect(at, 1000)).as("nothing listens any more")
                    .isInstanceOf(ConnectException.class);
        }
    }
}
