package dev.jslirp.slirp4netns;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.transport.IoTransport;
import io.netty.channel.EventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The API socket over a real unix socket, as rootlesskit's and podman's clients use it:
 * one request a connection, the reply, then the server closes; requests split, unended,
 * too long, empty or slow; the bound on connections; the socket file's mode and removal.
 */
class ApiServerTest {
    private static final String LIST = "{\"execute\":\"list_hostfwd\"}";
    private static final String EMPTY_LIST = "{\"entries\":[]}";

    @TempDir
    Path dir;
    private EventLoopGroup group;
    private JslirpNetwork network;
    private ApiServer server;
    private Path socket;

    @BeforeEach
    void start() throws IOException {
        group = IoTransport.EPOLL.newEventLoopGroup(1);
        network = JslirpNetwork.builder().eventLoop(group.next(), IoTransport.EPOLL.hostChannels()).build();
        socket = dir.resolve("api.sock");
        server = ApiServer.start(network, new ApiCommands(network, Ipv4Address.parse("10.0.2.100")), socket, 1);
    }

    @AfterEach
    void stop() {
        server.close();
        network.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private SocketChannel connect() throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        return ch;
    }

    private static void write(SocketChannel ch, String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Everything the server sends until it closes (the reply, then end of stream). */
    private static String readAll(SocketChannel ch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(4096);
        while (ch.read(b) >= 0) {
            out.write(b.array(), 0, b.position());
            b.clear();
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** rootlesskit's callAPI: encode with a newline, CloseWrite, read all. */
    private String call(String request) throws IOException {
        try (SocketChannel ch = connect()) {
            write(ch, request + "\n");
            ch.shutdownOutput();
            return readAll(ch);
        }
    }

    @Test
    void aRequestIsAnsweredAndTheConnectionClosed() throws IOException {
        assertThat(call(LIST)).isEqualTo(EMPTY_LIST);
        assertThat(call("{\"execute\":\"nope\"}")).isEqualTo("{\"error\":{\"desc\":\"bad request: unknown execute\"}}");
        assertThat(call("garbage")).isEqualTo("{\"error\":{\"desc\":\"bad request: cannot parse JSON\"}}");
    }

    @Test
    void aClientThatKeepsSendingOpenIsAnsweredWhenTheJsonEnds() throws IOException {
        try (SocketChannel ch = connect()) {
            write(ch, LIST);
            assertThat(readAll(ch)).isEqualTo(EMPTY_LIST);
        }
    }

    @Test
    void aRequestSplitOverWritesIsReadWhole() throws Exception {
        try (SocketChannel ch = connect()) {
            write(ch, "{\"exec");
            Thread.sleep(100);
            write(ch, "ute\":\"list_");
            Thread.sleep(100);
            write(ch, "hostfwd\"}");
            assertThat(readAll(ch)).isEqualTo(EMPTY_LIST);
        }
    }

    @Test
    void fourThousandNinetyFiveBytesAreARequestAndFourThousandNinetySixTooLarge() throws IOException {
        String fits = " ".repeat(ApiServer.MAX_REQUEST - 1 - LIST.length()) + LIST;
        try (SocketChannel ch = connect()) {
            write(ch, fits);
            assertThat(readAll(ch)).isEqualTo(EMPTY_LIST);
        }
        String tooLarge = " ".repeat(ApiServer.MAX_REQUEST - LIST.length()) + LIST;
        try (SocketChannel ch = connect()) {
            write(ch, tooLarge);
            assertThat(readAll(ch)).isEqualTo("{\"error\":{\"desc\":\"bad request: too large message\"}}");
        }
        try (SocketChannel ch = connect()) {
            // More than the server reads: still a clean reply, then the end of the stream.
            write(ch, "{\"execute\":\"list_hostfwd\",\"pad\":\"" + "x".repeat(32 << 10) + "\"}");
            assertThat(readAll(ch)).isEqualTo("{\"error\":{\"desc\":\"bad request: too large message\"}}");
        }
    }

    @Test
    void anEmptyRequestIsNotJson() throws IOException {
        try (SocketChannel ch = connect()) {
            ch.shutdownOutput();
            assertThat(readAll(ch)).isEqualTo("{\"error\":{\"desc\":\"bad request: cannot parse JSON\"}}");
        }
    }

    @Test
    void aRequestThatNeverEndsIsAnsweredAsItIsAfterTheIdleTime() throws IOException {
        long t0 = System.nanoTime();
        try (SocketChannel ch = connect()) {
            write(ch, "{\"execute\":");
            assertThat(readAll(ch)).isEqualTo("{\"error\":{\"desc\":\"bad request: cannot parse JSON\"}}");
        }
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isBetween(900L, 5000L);
        try (SocketChannel ch = connect()) {
            assertThat(readAll(ch)).as("a silent client is closed without a reply").isEmpty();
        }
    }

    @Test
    void connectionsBeyondTheBoundAreClosedAtOnceAndServiceGoesOn() throws Exception {
        List<SocketChannel> idle = new ArrayList<>();
        try {
            for (int i = 0; i < ApiServer.MAX_CONNECTIONS; i++) {
                idle.add(connect());
            }
            Thread.sleep(200);
            long t0 = System.nanoTime();
            try (SocketChannel extra = connect()) {
                assertThat(readAll(extra)).isEmpty();
            }
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(900L);
        } finally {
            for (SocketChannel ch : idle) {
                ch.close();
            }
        }
        Thread.sleep(200);
        assertThat(call(LIST)).isEqualTo(EMPTY_LIST);
    }

    @Test
    void theSocketIsOwnerOnlyAndRemovedAtClose() throws IOException {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket, LinkOption.NOFOLLOW_LINKS)))
                .isEqualTo("rw-------");
        server.close();
        assertThat(socket).doesNotExist();
        server = ApiServer.start(network, new ApiCommands(network, 0), socket, 1);
        assertThat(call(LIST)).isEqualTo(EMPTY_LIST);
    }
}
