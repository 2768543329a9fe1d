package dev.jslirp.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.testkit.GuestFrames6;
import dev.jslirp.core.wire.TcpPacket;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.IoTransport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control socket of a network running in the test JVM: port forwards added and
 * removed at run time carry traffic between host sockets and a scripted guest,
 * {@code info usernet} shows the NAT's listeners and flows, and every mistake gets its
 * message. Host peers are sockets the test opens on 127.0.0.1. On epoll where the
 * platform has it; {@link ControlServerNioTest} runs the same on Java NIO.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ControlServerTest {
    private static final Pattern LISTENING = Pattern.compile("listening on (?:[0-9.]+|\\[[0-9a-f:]+\\]):(\\d+)");

    @TempDir
    Path dir;

    private ControlRig rig;

    /** The I/O transport of the network and its control socket. */
    IoTransport io() {
        return IoTransport.best();
    }

    @BeforeEach
    void start() throws IOException {
        rig = new ControlRig(dir, io());
    }

    @AfterEach
    void stop() {
        rig.close();
    }

    private static int boundPort(String addReply) {
        Matcher m = LISTENING.matcher(addReply);
        assertThat(m.find()).as(addReply).isTrue();
        return Integer.parseInt(m.group(1));
    }

    // ---------------------------------------------------------------- forwards that work

    @Test
    void udpForwardAddedAtRunTimeCarriesDatagramsBothWaysUntilRemoved() throws Exception {
        rig.guestSpeaks();
        String added = rig.ok("hostfwd_add udp:127.0.0.1:0-:5353");
        assertThat(added).startsWith("host forwarding rule for udp:127.0.0.1:0-:5353 added: listening on 127.0.0.1:");
        int port = boundPort(added);
        try (DatagramSocket peer = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            peer.setSoTimeout(5000);
            byte[] ping = "ping".getBytes(StandardCharsets.UTF_8);
            peer.send(new DatagramPacket(ping, ping.length, InetAddress.getLoopbackAddress(), port));
            ControlRig.Udp in = rig.expectUdp();
            assertThat(in.dstIp()).isEqualTo(GuestFrames.GUEST_IP);
            assertThat(in.dstPort()).isEqualTo(5353);
            assertThat(in.srcIp()).as("the host peer appears as the gateway").isEqualTo(GuestFrames.GATEWAY);
            assertThat(in.payload()).isEqualTo("ping");

            rig.fromGuest(GuestFrames.udp(5353, GuestFrames.GATEWAY, in.srcPort(), "pong".getBytes(StandardCharsets.UTF_8)));
            DatagramPacket reply = new DatagramPacket(new byte[100], 100);
            peer.receive(reply);
            assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8)).isEqualTo("pong");

            String usernet = rig.ok("info usernet");
            assertThat(usernet).contains(String.format("  UDP[HOST_FORWARD]  -1       127.0.0.1 %5d       10.0.2.15  5353     0     0", port));
            assertThat(usernet).containsPattern("  UDP\\[2[0-9]{2} sec\\] +-1 +10\\.0\\.2\\.2 +" + in.srcPort()
                    + " +10\\.0\\.2\\.15 +5353 +0 +0");

            assertThat(rig.ok("hostfwd_remove udp:127.0.0.1:" + port))
                    .isEqualTo("host forwarding rule for udp:127.0.0.1:" + port + " removed");
            peer.send(new DatagramPacket(ping, ping.length, InetAddress.getLoopbackAddress(), port));
            rig.expectNothing(Duration.ofMillis(300));
            assertThat(rig.ok("info usernet")).doesNotContain("UDP[");
        }
    }

    @Test
    void tcpForwardAddedAtRunTimeOpensConnectionsToTheGuestAndIsRefusedOnceRemoved() throws Exception {
        rig.guestSpeaks();
        int port = boundPort(rig.ok("hostfwd_add tcp:127.0.0.1:0-:80"));
        try (Socket client = new Socket()) {
            client.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            ControlRig.Tcp syn = rig.expectTcp();
            assertThat(syn.flags()).isEqualTo(TcpPacket.SYN);
            assertThat(syn.dstIp()).isEqualTo(GuestFrames.GUEST_IP);
            assertThat(syn.dstPort()).isEqualTo(80);
            assertThat(syn.srcIp()).isEqualTo(GuestFrames.GATEWAY);

            String usernet = rig.ok("info usernet");
            assertThat(usernet).contains(String.format("  TCP[HOST_FORWARD]  -1       127.0.0.1 %5d       10.0.2.15    80", port));
            assertThat(usernet).as("the flow as the guest sees it: from the gateway to its port 80")
                    .contains(String.format("  TCP[SYN_SENT]      -1        10.0.2.2 %5d       10.0.2.15    80     0     0",
                            syn.srcPort()));

            assertThat(rig.ok("hostfwd_remove tcp:127.0.0.1:" + port)).endsWith(" removed");
        }
        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close())
                .isInstanceOf(ConnectException.class);
        assertThat(rig.ok("info usernet")).doesNotContain("HOST_FORWARD");
    }

    @Test
    void unixSocketForwardAddedAtRunTimeOpensConnectionsToTheGuestAndGoesWithItsFileOnceRemoved() throws Exception {
        rig.guestSpeaks();
        Path sock = dir.resolve("vm-ssh.sock");

        assertThat(rig.ok("hostfwd_add unix:" + sock + "-:22")).isEqualTo("host forwarding rule for unix:" + sock
                + "-:22 added: listening on unix:" + sock);
        try (SocketChannel client = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            ControlRig.Tcp syn = rig.expectTcp();
            assertThat(syn.flags()).isEqualTo(TcpPacket.SYN);
            assertThat(syn.dstPort()).isEqualTo(22);
            assertThat(syn.srcIp()).as("a unix client has no address: the gateway").isEqualTo(GuestFrames.GATEWAY);
            assertThat(rig.ok("info usernet").lines().map(String::trim).map(l -> l.split(" +")))
                    .anySatisfy(f -> assertThat(f).containsExactly("UNIX[HOST_FORWARD]", "-1", "unix:" + sock, "-",
                            "10.0.2.15", "22", "0", "0"));
        }

        assertThat(rig.ok("hostfwd_remove unix:" + sock)).isEqualTo("host forwarding rule for unix:" + sock + " removed");
        assertThat(sock).doesNotExist();
        assertThat(rig.send("hostfwd_remove unix:" + sock).error()).endsWith(" not found");
    }

    @Test
    void infoUsernetListsGuestForwardsWithTheirTargets() throws Exception {
        rig.close();
        rig = new ControlRig(dir, io(), dev.jslirp.nat.NatConfig.builder()
                .addGuestForward("tcp:10.0.2.100:1234-tcp:127.0.0.1:8080")
                .addGuestForward("tcp::22-unix:/run/vm/ssh.sock").build());

        // The unix path is wider than 15: both address columns widen to it (as for IPv6 addresses).
        assertThat(rig.ok("info usernet").lines()).containsExactly(
                "Hub -1 (n0):",
                "  Protocol[State]    FD        Source Address  Port         Dest. Address  Port RecvQ SendQ",
                "  TCP[GUEST_FORWARD]  -1            10.0.2.100  1234    tcp:127.0.0.1:8080     -     0     0",
                "  TCP[GUEST_FORWARD]  -1              10.0.2.4    22 unix:/run/vm/ssh.sock     -     0     0");
    }

    @Test
    void infoUsernetShowsALiveGuestConnectionWithItsEndpointsAndQueue() throws Exception {
        rig.guestSpeaks();
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = server.getLocalPort();
            rig.fromGuest(GuestFrames.tcp(GuestFrames.GATEWAY, t -> t.from(40000).to(port).seq(1000)
                    .flags(TcpPacket.SYN).mss(1460)));
            ControlRig.Tcp synAck = rig.expectTcp();
            assertThat(synAck.flags()).isEqualTo(TcpPacket.SYN | TcpPacket.ACK);
            rig.fromGuest(GuestFrames.tcp(GuestFrames.GATEWAY, t -> t.from(40000).to(port).seq(1001)
                    .ack(synAck.seq() + 1)));
            try (Socket accepted = server.accept()) {
                accepted.getOutputStream().write("hello".getBytes(StandardCharsets.UTF_8));
                ControlRig.Tcp data = rig.expectTcp();
                assertThat(data.payloadLength()).isEqualTo(5);
                // The guest does not acknowledge: the 5 bytes stay queued for it (RecvQ).
                assertThat(rig.ok("info usernet").lines()).containsExactly(
                        "Hub -1 (n0):",
                        UsernetTable.HEADER,
                        String.format("  TCP[ESTABLISHED]   -1       10.0.2.15 40000        10.0.2.2 %5d     5     0", port));
            }
        }
    }

    /**
     * IPv6 endpoints in {@code info usernet}: an IPv6 forward's listener and an IPv6 UDP
     * flow the guest opened to the host address (the host's ::1); the guest's SLAAC address
     * is 23 characters, so both address columns of the table widen to 23, the IPv4
     * listener's row too ({@link UsernetTable}).
     */
    @Test
    void infoUsernetShowsIpv6EndpointsInWidenedColumns() throws Exception {
        int v4 = boundPort(rig.ok("hostfwd_add tcp:127.0.0.1:0-:22"));
        int v6 = boundPort(rig.ok("hostfwd_add tcp:[::1]:0-[fec0::15]:22"));
        try (DatagramSocket host = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("::1"), 0))) {
            host.setSoTimeout(5000);
            rig.fromGuest(GuestFrames6.udp(40000, GuestFrames6.HOST6, host.getLocalPort(),
                    "hello".getBytes(StandardCharsets.UTF_8)));
            host.receive(new DatagramPacket(new byte[100], 100));
            List<String> lines = rig.ok("info usernet").lines().toList();
            assertThat(lines.get(1)).isEqualTo(UsernetTable.header(23, false));
            assertThat(lines).contains(
                    String.format("  TCP[HOST_FORWARD]  -1               127.0.0.1 %5d               10.0.2.15    22"
                            + "     0     0", v4),
                    String.format("  TCP[HOST_FORWARD]  -1                     ::1 %5d                fec0::15    22"
                            + "     0     0", v6));
            assertThat(String.join("\n", lines)).containsPattern("  UDP\\[[0-9]+ sec\\] +-1 fec0::5054:ff:fe12:3456 40000 "
                    + " +fec0::2 +" + host.getLocalPort() + " +0 +0");
        }
    }

    @Test
    void infoStatsListsTheCountersOfTheNetworkAndItsServices() throws Exception {
        rig.guestSpeaks();
        String stats = rig.ok("info stats");
        assertThat(stats).containsPattern("(?m)^traffic\\.FRAMES_FROM_GUEST +1$")
                .containsPattern("(?m)^traffic\\.ARP_REPLIES +1$")
                .containsPattern("(?m)^memory\\.limit_bytes +268435456$").containsPattern("(?m)^memory\\.bytes +\\d+$");
    }

    @Test
    void helpListsEveryCommand() throws Exception {
        assertThat(rig.ok("help")).contains("hostfwd_add [netdev_id] [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport")
                .contains("hostfwd_remove [netdev_id] [tcp|udp]:[hostaddr]:hostport").contains("info usernet")
                .contains("info stats");
    }

    @Test
    void theNetdevIdOfTheNetworkIsAccepted() throws Exception {
        int port = boundPort(rig.ok("hostfwd_add n0 tcp:127.0.0.1:0-:22"));
        assertThat(rig.ok("hostfwd_remove n0 tcp:127.0.0.1:" + port)).endsWith("removed");
    }

    // ---------------------------------------------------------------- mistakes

    @Test
    void badRuleGetsQemusMessage() throws Exception {
        assertThat(rig.send("hostfwd_add tcp::22").error())
                .isEqualTo("Invalid host forwarding rule 'tcp::22' (Bad host port separator)");
        assertThat(rig.send("hostfwd_add sctp::2222-:22").error())
                .isEqualTo("Invalid host forwarding rule 'sctp::2222-:22' (Bad protocol name)");
        assertThat(rig.send("hostfwd_remove tcp:2222").error()).startsWith("invalid format: 'tcp:2222'");
        assertThat(rig.send("hostfwd_add").error()).isEqualTo("usage: hostfwd_add [netdev_id] "
                + "[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport | unix:PATH-[guestaddr]:guestport");
        assertThat(rig.send("hostfwd_add n0 tcp::1-:2 extra").error()).startsWith("usage: hostfwd_add");
        assertThat(rig.send("frobnicate").error()).isEqualTo("unknown command: 'frobnicate' (try help)");
        assertThat(rig.send("info").error()).isEqualTo("usage: info usernet|leases|ports|stats|stats json");
    }

    @Test
    void unknownNetdevIdIsRefusedAsQemuDoes() throws Exception {
        assertThat(rig.send("hostfwd_add n1 tcp::0-:22").error()).isEqualTo("unrecognized netdev id 'n1'");
        assertThat(rig.send("hostfwd_remove user0 tcp::2222").error()).isEqualTo("unrecognized netdev id 'user0'");
    }

    @Test
    void duplicateForwardIsRefusedAndTheFirstKeepsListening() throws Exception {
        int port = boundPort(rig.ok("hostfwd_add tcp:127.0.0.1:0-:22"));
        assertThat(rig.send("hostfwd_add tcp:127.0.0.1:" + port + "-:23").error()).isEqualTo(
                "Could not set up host forwarding rule 'tcp:127.0.0.1:" + port + "-:23' (hostfwd: tcp 127.0.0.1:"
                        + port + " is forwarded already)");
        int udp = boundPort(rig.ok("hostfwd_add udp:127.0.0.1:0-:53"));
        assertThat(rig.send("hostfwd_add udp:127.0.0.1:" + udp + "-:54").error()).contains("is forwarded already");
        new Socket(InetAddress.getLoopbackAddress(), port).close();
    }

    @Test
    void removingAForwardThatDoesNotExistSaysNotFound() throws Exception {
        assertThat(rig.send("hostfwd_remove tcp::2222").error()).isEqualTo("host forwarding rule for tcp::2222 not found");
        assertThat(rig.send("hostfwd_remove udp:127.0.0.1:5353").error())
                .isEqualTo("host forwarding rule for udp:127.0.0.1:5353 not found");
    }

    @Test
    void portInUseNamesHostfwdAndTheAddress() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             DatagramSocket takenUdp = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int port = taken.getLocalPort();
            assertThat(rig.send("hostfwd_add tcp:127.0.0.1:" + port + "-:22").error())
                    .startsWith("Could not set up host forwarding rule 'tcp:127.0.0.1:" + port + "-:22' (hostfwd: ")
                    .contains("127.0.0.1:" + port);
            int udp = takenUdp.getLocalPort();
            assertThat(rig.send("hostfwd_add udp:127.0.0.1:" + udp + "-:53").error())
                    .startsWith("Could not set up host forwarding rule 'udp:127.0.0.1:" + udp + "-:53' (hostfwd: ")
                    .contains("127.0.0.1:" + udp);
        }
        assertThat(rig.ok("info usernet")).doesNotContain("HOST_FORWARD");
    }

    @Test
    void guestAddressOutsideTheNetworkIsRefused() throws Exception {
        assertThat(rig.send("hostfwd_add tcp::0-192.168.1.5:22").error()).isEqualTo("Could not set up host forwarding "
                + "rule 'tcp::0-192.168.1.5:22' (hostfwd: 192.168.1.5 is not a guest address of net 10.0.2.0/24)");
        assertThat(rig.send("hostfwd_add tcp::0-10.0.2.2:22").error()).contains("10.0.2.2 is not a guest address");
    }

    // ---------------------------------------------------------------- the protocol

    /** A raw connection, as socat would make it. */
    private SocketChannel raw() throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(rig.socket));
        return ch;
    }

    private static List<String> readReply(BufferedReader in) throws IOException {
        List<String> lines = new ArrayList<>();
        String l;
        while ((l = in.readLine()) != null) {
            lines.add(l);
            if (ControlReply.isTerminator(l)) {
                break;
            }
        }
        return lines;
    }

    @Test
    void pipelinedLinesAreAnsweredInOrderAndTheRestFlushedAfterTheClientIsDone() throws Exception {
        try (SocketChannel ch = raw()) {
            OutputStream out = Channels.newOutputStream(ch);
            out.write("help\r\n\nfrobnicate\ninfo usernet\n".getBytes(StandardCharsets.UTF_8));
            ch.shutdownOutput();
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            assertThat(readReply(in)).hasSize(ControlCommands.HELP.size() + ControlRouter.HELP.size() + 1).endsWith("OK");
            assertThat(readReply(in)).containsExactly("OK");
            assertThat(readReply(in)).containsExactly("ERROR: unknown command: 'frobnicate' (try help)");
            assertThat(readReply(in)).containsExactly("Hub -1 (n0):", UsernetTable.HEADER, "OK");
            assertThat(in.readLine()).as("closed once answered").isNull();
        }
    }

    @Test
    void aRemovedPortCanBeForwardedAgainByTheNextCommand() throws Exception {
        int tcp = boundPort(rig.ok("hostfwd_add tcp:127.0.0.1:0-:22"));
        int udp = boundPort(rig.ok("hostfwd_add udp:127.0.0.1:0-:53"));
        try (SocketChannel ch = raw()) {
            Channels.newOutputStream(ch).write(("hostfwd_remove tcp:127.0.0.1:" + tcp + "\n"
                    + "hostfwd_add tcp:127.0.0.1:" + tcp + "-:23\n"
                    + "hostfwd_remove udp:127.0.0.1:" + udp + "\n"
                    + "hostfwd_add udp:127.0.0.1:" + udp + "-:54\n").getBytes(StandardCharsets.UTF_8));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            assertThat(readReply(in)).containsExactly("host forwarding rule for tcp:127.0.0.1:" + tcp + " removed", "OK");
            assertThat(readReply(in)).containsExactly("host forwarding rule for tcp:127.0.0.1:" + tcp + "-:23 added: "
                    + "listening on 127.0.0.1:" + tcp, "OK");
            assertThat(readReply(in)).containsExactly("host forwarding rule for udp:127.0.0.1:" + udp + " removed", "OK");
            assertThat(readReply(in)).containsExactly("host forwarding rule for udp:127.0.0.1:" + udp + "-:54 added: "
                    + "listening on 127.0.0.1:" + udp, "OK");
        }
        assertThat(rig.ok("info usernet")).contains(String.format("127.0.0.1 %5d       10.0.2.15    23", tcp))
                .contains(String.format("127.0.0.1 %5d       10.0.2.15    54", udp));
    }

    @Test
    void overlongLineGetsAnErrorAndTheConnectionGoesOn() throws Exception {
        try (SocketChannel ch = raw()) {
            OutputStream out = Channels.newOutputStream(ch);
            out.write(("info stats\nhostfwd_add " + "x".repeat(10_000) + "\nhelp\n").getBytes(StandardCharsets.UTF_8));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            assertThat(readReply(in)).endsWith("OK");
            assertThat(readReply(in)).containsExactly("ERROR: line too long (at most 4096 bytes)");
            assertThat(readReply(in)).endsWith("OK").hasSize(ControlCommands.HELP.size() + ControlRouter.HELP.size() + 1);
        }
    }

    @Test
    void controlCharactersInACommandAreNotEchoed() throws Exception {
        assertThat(rig.send("hostfwd_add \u001b[2Jtcp::1-:2").error())
                .isEqualTo("Invalid host forwarding rule '?[2Jtcp::1-:2' (Bad protocol name)");
    }

    @Test
    void quitClosesTheConnection() throws Exception {
        try (SocketChannel ch = raw()) {
            Channels.newOutputStream(ch).write("quit\n".getBytes(StandardCharsets.UTF_8));
            BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
            assertThat(in.readLine()).isEqualTo("OK");
            assertThat(in.readLine()).isNull();
        }
    }

    @Test
    void connectionsBeyondTheBoundAreToldSoAndClosed() throws Exception {
        List<ControlClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < ControlServer.MAX_CONNECTIONS; i++) {
                ControlClient c = rig.client();
                open.add(c);
                assertThat(c.send("help").isOk()).isTrue();
            }
            try (SocketChannel ch = raw()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch), StandardCharsets.UTF_8));
                assertThat(in.readLine()).isEqualTo("ERROR: too many control connections (at most 8)");
                assertThat(in.readLine()).isNull();
            }
        } finally {
            for (ControlClient c : open) {
                c.close();
            }
        }
        // The slots are free again once the server saw those clients go (refused until then).
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        boolean served = false;
        while (!served && System.nanoTime() < end) {
            try {
                served = rig.send("help").isOk();
            } catch (IOException refusedMidRequest) {
                Thread.sleep(10);
            }
        }
        assertThat(served).isTrue();
    }

    // ---------------------------------------------------------------- the socket file

    @Test
    void socketFileIsOwnerOnlyAndRemovedAtClose() throws Exception {
        assertThat(Files.getPosixFilePermissions(rig.socket)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no temporary directory left")
                    .containsExactly("control.sock");
        }
        rig.server.close();
        assertThat(rig.socket).doesNotExist();
    }

    @Test
    void aLiveSocketIsNotTakenOverButAStaleOneIsReplaced() throws Exception {
        assertThatThrownBy(() -> ControlServer.start(rig.network, "n0", rig.io, new Endpoint.Unix(rig.socket)))
                .isInstanceOf(IOException.class).hasMessageContaining("in use");
        assertThat(rig.ok("help")).isNotEmpty();

        Path stale = dir.resolve("stale.sock");
        try (var ch = java.nio.channels.ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(stale));
        }
        assertThat(stale).exists();
        try (ControlServer second = ControlServer.start(rig.network, "n0", rig.io, new Endpoint.Unix(stale));
             ControlClient c = ControlClient.connect(second.endpoint(), Duration.ofSeconds(5))) {
            assertThat(c.send("help").isOk()).isTrue();
        }
        Path file = Files.writeString(dir.resolve("notes.txt"), "mine");
        assertThatThrownBy(() -> ControlServer.start(rig.network, "n0", rig.io, new Endpoint.Unix(file)))
                .isInstanceOf(IOException.class).hasMessageContaining("not a socket");
        assertThat(Files.readString(file)).isEqualTo("mine");
    }

    @Test
    void tcpControlSocketListensOnLoopbackOnly() throws Exception {
        assertThatThrownBy(() -> ControlServer.parseEndpoint("--control", "tcp:0.0.0.0:7777"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--control").hasMessageContaining("loopback");
        assertThatThrownBy(() -> ControlServer.parseEndpoint("--control", "tcp::7777"))
                .isInstanceOf(ConfigException.class);
        Endpoint e = ControlServer.parseEndpoint("--control", "tcp:127.0.0.1:0");
        try (ControlServer tcp = ControlServer.start(rig.network, "n0", rig.io, e);
             ControlClient c = ControlClient.connect(tcp.endpoint(), Duration.ofSeconds(5))) {
            assertThat(((Endpoint.Inet) tcp.endpoint()).port()).isPositive();
            assertThat(c.send("hostfwd_remove tcp::1").error()).isEqualTo("host forwarding rule for tcp::1 not found");
        }
    }
}
