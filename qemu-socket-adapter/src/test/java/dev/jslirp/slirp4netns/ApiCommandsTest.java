package dev.jslirp.slirp4netns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.transport.IoTransport;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The API's commands against a real network: forwards really listen on 127.0.0.1 and
 * stop listening when removed; every reply and error is slirp4netns's text to the letter.
 */
class ApiCommandsTest {
    private EventLoopGroup group;
    private JslirpNetwork network;
    private ApiCommands commands;

    /** On epoll, as the slirp4netns mode runs (a closed listener's port is free at once). */
    @BeforeEach
    void start() {
        group = IoTransport.EPOLL.newEventLoopGroup(1);
        network = JslirpNetwork.builder().eventLoop(group.next(), IoTransport.EPOLL.hostChannels()).build();
        commands = new ApiCommands(network, Ipv4Address.parse("10.0.2.100"));
    }

    @AfterEach
    void stop() {
        network.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** The reply to {@code json}, sent whole, run on the network's loop as the API socket does. */
    private String call(String json) throws Exception {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        ApiRequest.Parsed parsed = ApiRequest.parse(b, 0, b.length, true);
        return network.eventLoop().submit(() -> commands.execute(parsed)).get(5, TimeUnit.SECONDS);
    }

    private static String add(String proto, int hostPort, int guestPort) {
        return "{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"" + proto + "\",\"host_addr\":\"127.0.0.1\","
                + "\"host_port\":" + hostPort + ",\"guest_port\":" + guestPort + "}}";
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static boolean tcpListening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void addListAndRemoveATcpForwardWithIds() throws Exception {
        int port = freePort();
        assertThat(call(add("tcp", port, 80))).isEqualTo("{\"return\":{\"id\":1}}");
        assertThat(tcpListening(port)).isTrue();
        assertThat(call("{\"execute\":\"list_hostfwd\"}")).isEqualTo("{\"entries\":[{\"id\":1,\"proto\":\"tcp\","
                + "\"host_addr\":\"127.0.0.1\",\"host_port\":" + port + ",\"guest_addr\":\"10.0.2.100\",\"guest_port\":80}]}");
        assertThat(call("{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1}}")).isEqualTo("{\"return\":{}}");
        assertThat(tcpListening(port)).isFalse();
        assertThat(call("{\"execute\":\"list_hostfwd\"}")).isEqualTo("{\"entries\":[]}");
        assertThat(call("{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":1}}"))
                .isEqualTo("{\"error\":{\"desc\":\"bad request: remove_hostfwd: bad arguments.id\"}}");
        assertThat(call(add("tcp", port, 80))).as("ids are not reused").isEqualTo("{\"return\":{\"id\":2}}");
    }

    @Test
    void aUdpForwardBindsItsPortAndDefaultsAreSlirp4netnss() throws Exception {
        int port = freePort();
        assertThat(call("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\",\"host_port\":" + port
                + ",\"guest_port\":53,\"host_addr\":\"\"}}")).isEqualTo("{\"return\":{\"id\":1}}");
        assertThatThrownBy(() -> new DatagramSocket(port).close()).as("the port is taken").isInstanceOf(IOException.class);
        assertThat(call("{\"execute\":\"list_hostfwd\"}")).isEqualTo("{\"entries\":[{\"id\":1,\"proto\":\"udp\","
                + "\"host_addr\":\"0.0.0.0\",\"host_port\":" + port + ",\"guest_addr\":\"10.0.2.100\",\"guest_port\":53}]}");
    }

    @Test
    void everyBadArgumentGetsSlirp4netnssError() throws Exception {
        String pre = "{\"execute\":\"add_hostfwd\",\"arguments\":";
        String[][] cases = {
            {"{\"host_port\":8080,\"guest_port\":80}", "bad arguments.proto"},
            {"{\"proto\":\"sctp\",\"host_port\":8080,\"guest_port\":80}", "bad arguments.proto"},
            {"{\"proto\":6,\"host_port\":8080,\"guest_port\":80}", "bad arguments.proto"},
            {"{\"proto\":\"tcp\",\"host_addr\":\"localhost\",\"host_port\":8080,\"guest_port\":80}", "bad arguments.host_addr"},
            {"{\"proto\":\"tcp\",\"host_addr\":\"1.2.3\",\"host_port\":8080,\"guest_port\":80}", "bad arguments.host_addr"},
            {"{\"proto\":\"tcp\",\"guest_port\":80}", "bad arguments.host_port"},
            {"{\"proto\":\"tcp\",\"host_port\":0,\"guest_port\":80}", "bad arguments.host_port"},
            {"{\"proto\":\"tcp\",\"host_port\":\"8080\",\"guest_port\":80}", "bad arguments.host_port"},
            {"{\"proto\":\"tcp\",\"host_port\":70000,\"guest_port\":80}", "bad arguments.host_port"},
            {"{\"proto\":\"tcp\",\"host_port\":8080.5,\"guest_port\":80}", "bad arguments.host_port"},
            {"{\"proto\":\"tcp\",\"host_port\":-80,\"guest_port\":80}", "bad arguments.host_port"},
            // found by fuzzing: an exponent no BigDecimal holds escaped as NumberFormatException
            {"{\"proto\":\"tcp\",\"host_port\":1e9999999099,\"guest_port\":80}", "bad arguments.host_port"},
            {"{\"proto\":\"tcp\",\"host_port\":8080,\"guest_addr\":\"10.0.2\",\"guest_port\":80}", "bad arguments.guest_addr"},
            {"{\"proto\":\"tcp\",\"host_port\":8080}", "bad arguments.guest_port"},
            {"{\"proto\":\"tcp\",\"host_port\":8080,\"guest_port\":0}", "bad arguments.guest_port"},
        };
        for (String[] c : cases) {
            assertThat(call(pre + c[0] + "}")).as(c[0])
                    .isEqualTo("{\"error\":{\"desc\":\"bad request: add_hostfwd: " + c[1] + "\"}}");
        }
        assertThat(call("{\"execute\":\"list_hostfwd\"}")).isEqualTo("{\"entries\":[]}");
    }

    @Test
    void aForwardTheNatCannotSetUpIsSlirpAddHostfwdFailed() throws Exception {
        String failed = "{\"error\":{\"desc\":\"bad request: add_hostfwd: slirp_add_hostfwd failed\"}}";
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            assertThat(call(add("tcp", taken.getLocalPort(), 80))).as("port in use").isEqualTo(failed);
        }
        int port = freePort();
        assertThat(call("{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"tcp\",\"host_port\":" + port
                + ",\"guest_addr\":\"192.168.1.1\",\"guest_port\":80}}")).as("not a guest address").isEqualTo(failed);
        assertThat(call(add("tcp", port, 80))).isEqualTo("{\"return\":{\"id\":1}}");
        assertThat(call(add("tcp", port, 81))).as("forwarded already").isEqualTo(failed);
        assertThat(call("{\"execute\":\"list_hostfwd\"}")).contains("\"id\":1").doesNotContain("\"id\":2");
    }

    @Test
    void requestsThatAreNoCommandGetSlirp4netnssErrors() throws Exception {
        assertThat(call("not json")).isEqualTo("{\"error\":{\"desc\":\"bad request: cannot parse JSON\"}}");
        assertThat(call("")).isEqualTo("{\"error\":{\"desc\":\"bad request: cannot parse JSON\"}}");
        assertThat(call("[\"add_hostfwd\"]")).isEqualTo("{\"error\":{\"desc\":\"bad request: json_object() failed\"}}");
        assertThat(call("{}")).isEqualTo("{\"error\":{\"desc\":\"bad request: no execute found\"}}");
        assertThat(call("{\"execute\":[1]}")).isEqualTo("{\"error\":{\"desc\":\"bad request: no execute found\"}}");
        assertThat(call("{\"execute\":\"reboot\"}")).isEqualTo("{\"error\":{\"desc\":\"bad request: unknown execute\"}}");
        assertThat(call("{\"execute\":\"remove_hostfwd\"}"))
                .isEqualTo("{\"error\":{\"desc\":\"bad request: remove_hostfwd: bad arguments.id\"}}");
        assertThat(call("{\"execute\":\"remove_hostfwd\",\"arguments\":{\"id\":\"1\"}}"))
                .isEqualTo("{\"error\":{\"desc\":\"bad request: remove_hostfwd: bad arguments.id\"}}");
    }
}
