package dev.jslirp.control;

import dev.jslirp.transport.Endpoint;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Timer;
import java.util.TimerTask;

/**
 * A blocking client of a {@link ControlServer}: sends one command line, reads the reply
 * up to its terminator. Plain JDK sockets, no event loop: it is a short-lived tool.
 *
 * <p>Every wait is bounded: a reply that does not end within the timeout closes the
 * connection and fails the call.
 */
public final class ControlClient implements Closeable {
    private final SocketChannel channel;
    private final BufferedReader in;
    private final OutputStream out;
    private final Duration timeout;
    private final Timer watchdog = new Timer("jslirp-control-timeout", true);

    private ControlClient(SocketChannel channel, Duration timeout) {
        this.channel = channel;
        this.in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        this.out = Channels.newOutputStream(channel);
        this.timeout = timeout;
    }

    /**
     * Connects to the control socket at {@code endpoint}.
     *
     * @throws IOException naming the endpoint if nobody listens there
     */
    public static ControlClient connect(Endpoint endpoint, Duration timeout) throws IOException {
        SocketChannel ch;
        try {
            if (endpoint instanceof Endpoint.Unix u) {
                ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    ch.connect(UnixDomainSocketAddress.of(u.path()));
                } catch (IOException e) {
                    ch.close();
                    throw e;
                }
            } else {
                ch = SocketChannel.open(((Endpoint.Inet) endpoint).resolve());
            }
        } catch (IOException e) {
            throw new IOException("cannot connect to the control socket " + endpoint + ": " + e.getMessage(), e);
        }
        return new ControlClient(ch, timeout);
    }

    /**
     * Sends {@code command} (one line, no newline) and returns the reply.
     *
     * @throws IOException if the connection fails, closes, or the reply does not end in time
     */
    public ControlReply send(String command) throws IOException {
        if (command.indexOf('\n') >= 0 || command.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("a command is one line");
        }
        TimerTask expire = new TimerTask() {
            @Override
            public void run() {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // closing is all the timeout does
                }
            }
        };
        watchdog.schedule(expire, Math.max(1, timeout.toMillis()));
        try {
            out.write((command + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            List<String> lines = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                if (ControlReply.isTerminator(line)) {
                    if (line.equals(ControlReply.OK)) {
                        return ControlReply.ok(lines);
                    }
                    String msg = line.startsWith(ControlReply.ERROR_PREFIX)
                            ? line.substring(ControlReply.ERROR_PREFIX.length()) : line;
                    return new ControlReply(lines, msg, false, false);
                }
                lines.add(line);
            }
            throw new IOException("the control socket closed the connection before the reply ended");
        } catch (IOException e) {
            if (!channel.isOpen() && !expire.cancel()) {
                throw new IOException("no reply within " + timeout.toMillis() + " ms", e);
            }
            throw e;
        } finally {
            expire.cancel();
        }
    }

    @Override
    public void close() throws IOException {
        watchdog.cancel();
        channel.close();
    }
}
