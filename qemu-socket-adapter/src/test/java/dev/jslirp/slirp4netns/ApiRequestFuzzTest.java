package dev.jslirp.slirp4netns;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.testkit.fuzz.BugLog;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.nat.hostfwd.HostForward;
import dev.jslirp.nat.hostfwd.HostForwards;
import dev.jslirp.transport.IoTransport;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzes the slirp4netns API socket's requests: an input's first byte says how the client
 * writes (the size of each write, and whether it then shuts its sending side down or
 * waits for the idle timeout), the rest is what it writes, through a real
 * {@link ApiSession} on an embedded connection to a real {@link ApiCommands} of an
 * assembled network. Whatever the bytes:
 * <ul>
 *   <li>exactly one reply, one of slirp4netns's forms ({@code {"return":...}},
 *       {@code {"entries":[...]}} or {@code {"error":{"desc":"bad request: ..."}}}), never
 *       the "internal error" that means a command caught a bug of its own, and no longer
 *       than a few hundred bytes (a session adds at most one forward);</li>
 *   <li>the connection's sending side is shut down after it; no "bug:" line logged.</li>
 * </ul>
 * So that fuzzing listens on no address beyond this machine, an {@code add_hostfwd} whose
 * {@code host_addr} is not in 127.0.0.0/8 is only parsed ({@link ApiRequest#parse}), not
 * run; forwards added are removed after each input.
 */
class ApiRequestFuzzTest {
    private static final Pattern REPLY = Pattern.compile("\\{\"return\":\\{(\"id\":[0-9]+)?}}"
            + "|\\{\"entries\":\\[.*]}|\\{\"error\":\\{\"desc\":\"bad request: [^\"]+\"}}");
    private static final int MAX_REPLY = 512;
    private static EventLoopGroup group;
    private static JslirpNetwork network;

    @BeforeAll
    static void startNetwork() {
        IoTransport io = IoTransport.NIO;
        group = io.newEventLoopGroup(1);
        network = JslirpNetwork.builder().eventLoop(group.next(), io.hostChannels()).build();
    }

    @AfterAll
    static void stopNetwork() {
        network.close();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    static Stream<Arguments> seeds() {
        return Stream.of(
            "\u0000{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"tcp\", \"host_addr\": \"127.0.0.1\", "
                    + "\"host_port\": 0, \"guest_port\": 80}}\n",
            "\u0000{\"execute\":\"add_hostfwd\",\"arguments\":{\"proto\":\"udp\",\"host_addr\":\"127.0.0.1\","
                    + "\"host_port\":45353,\"guest_addr\":\"10.0.2.100\",\"guest_port\":53}}",
            "\u0003{\"execute\": \"list_hostfwd\"}", "\u0001{\"execute\": \"remove_hostfwd\", \"arguments\": {\"id\": 1}}",
            "\u0000{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"sctp\", \"host_port\": 1.5}}",
            "\u0000{\"execute\": 7}", "\u0000[1, 2]", "\u0002{\"execute\": \"list_hostfwd\"", "\u0000not json",
            "\u0000{\"a\":1,\"a\":2}", "\u0080", "\u0000123", "\u0000{\"arguments\":{\"id\":1e999999999}}")
                .map(t -> Arguments.of(Named.of(t.length() > 1 ? t.substring(1) : "a lone byte", t.getBytes(StandardCharsets.ISO_8859_1))));
    }

    @MethodSource("seeds")
    @FuzzTest(maxDuration = "10m")
    void requests(byte[] input) throws Exception {
        BugLog.install();
        BugLog.assertNone("before the input ran");
        if (input.length == 0) {
            return;
        }
        byte[] request = Arrays.copyOfRange(input, 1, input.length);
        int write = input[0] & 0x3f;            // bytes per write; 0: all at once
        boolean halfClose = (input[0] & 0x40) == 0;
        String reply;
        if (safeToRun(request)) {
            reply = network.eventLoop().submit(() -> session(request, write, halfClose)).get(10, TimeUnit.SECONDS);
        } else {
            reply = null;
        }
        for (HostForwards.Active a : network.nat().forwards()) {
            HostForward f = a.rule();
            network.nat().removeForward(f.protocol(), f.hostAddress(), a.listening().getPort()).syncUninterruptibly();
        }
        if (reply != null && (reply.length() > MAX_REPLY || !REPLY.matcher(reply).matches()
                || reply.contains("internal error"))) {
            throw new AssertionError("reply " + reply);
        }
        BugLog.assertNone("after the request");
    }

    /** Runs one connection on the network's loop; returns its reply. */
    private static String session(byte[] request, int write, boolean halfClose) {
        DuplexEmbeddedChannel ch = new DuplexEmbeddedChannel(
                new ApiSession(new ApiCommands(network, Ipv4Address.parse("10.0.2.100")), ApiServer.IDLE_SECONDS));
        try {
            int step = write == 0 ? Math.max(1, request.length) : write;
            for (int i = 0; i < request.length && ch.replies() == 0; i += step) {
                ch.writeInbound(Unpooled.wrappedBuffer(request, i, Math.min(step, request.length - i)));
            }
            if (ch.replies() == 0) {
                if (halfClose) {
                    ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
                } else {
                    ch.advanceTimeBy(ApiServer.IDLE_SECONDS, TimeUnit.SECONDS);
                    ch.runScheduledPendingTasks();
                }
            }
            ch.runPendingTasks();
            String reply = ch.reply();
            if (ch.replies() > 1) {
                throw new AssertionError(ch.replies() + " replies to one request");
            }
            if (reply == null && request.length > 0) {
                throw new AssertionError("no reply to " + request.length + " bytes");
            }
            if (reply != null && !ch.isOutputShutdown() && ch.isOpen()) {
                throw new AssertionError("the sending side stays open after the reply");
            }
            return reply;
        } finally {
            ch.finishAndReleaseAll();
        }
    }

    /** False for an add_hostfwd that would listen beyond loopback. */
    private static boolean safeToRun(byte[] request) {
        ApiRequest.Parsed p = ApiRequest.parse(request, 0, request.length, true);
        if (p.outcome() != ApiRequest.Outcome.REQUEST || !"add_hostfwd".equals(p.request().execute())) {
            return true;
        }
        String host = p.request().string("host_addr");
        return host != null && host.matches("127\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}");
    }

    /** An embedded channel that is a {@link DuplexChannel}, as the API socket's unix channels are. */
    private static final class DuplexEmbeddedChannel extends EmbeddedChannel implements DuplexChannel {
        private boolean inputShut;
        private boolean outputShut;
        private int replies;
        private String reply;

        DuplexEmbeddedChannel(io.netty.channel.ChannelHandler handler) {
            super(handler);
        }

        int replies() {
            takeReplies();
            return replies;
        }

        String reply() {
            takeReplies();
            return reply;
        }

        private void takeReplies() {
            for (Object m = readOutbound(); m != null; m = readOutbound()) {
                ByteBuf b = (ByteBuf) m;
                replies++;
                reply = b.toString(StandardCharsets.UTF_8);
                b.release();
            }
        }

        @Override
        public boolean isInputShutdown() {
            return inputShut;
        }

        @Override
        public ChannelFuture shutdownInput() {
            return shutdownInput(newPromise());
        }

        @Override
        public ChannelFuture shutdownInput(ChannelPromise promise) {
            inputShut = true;
            return promise.setSuccess();
        }

        @Override
        public boolean isOutputShutdown() {
            return outputShut;
        }

        @Override
        public ChannelFuture shutdownOutput() {
            return shutdownOutput(newPromise());
        }

        @Override
        public ChannelFuture shutdownOutput(ChannelPromise promise) {
            outputShut = true;
            return promise.setSuccess();
        }

        @Override
        public boolean isShutdown() {
            return inputShut && outputShut;
        }

        @Override
        public ChannelFuture shutdown() {
            return shutdown(newPromise());
        }

        @Override
        public ChannelFuture shutdown(ChannelPromise promise) {
            inputShut = true;
            outputShut = true;
            return promise.setSuccess();
        }
    }
}
