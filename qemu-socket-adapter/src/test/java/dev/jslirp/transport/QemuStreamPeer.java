package dev.jslirp.transport;

import dev.jslirp.core.testkit.GuestFrames;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The test playing QEMU on a stream socket, as {@code -netdev stream} does: each frame
 * preceded by its 4-byte big-endian length. A thread reads frames into a queue once
 * {@link #startReading()} is called (at once unless created paused, so a test can
 * make it stop reading like a QEMU whose guest's receive queue is full).
 */
public final class QemuStreamPeer implements AutoCloseable {
    private final SocketChannel channel;
    private final BlockingQueue<byte[]> frames = new LinkedBlockingQueue<>();
    private final CountDownLatch ended = new CountDownLatch(1);
    private final AtomicLong received = new AtomicLong();
    private Thread reader;

    private QemuStreamPeer(SocketChannel channel, boolean read) {
        this.channel = channel;
        if (read) {
            startReading();
        }
    }

    /** Connects to {@code endpoint} (unix or TCP) like QEMU with {@code server=off}. */
    public static QemuStreamPeer connect(Endpoint endpoint, boolean read) throws IOException {
        SocketChannel ch;
        if (endpoint instanceof Endpoint.Unix u) {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(u.path()));
        } else {
            Endpoint.Inet in = (Endpoint.Inet) endpoint;
            ch = SocketChannel.open(new InetSocketAddress(QemuNetdev.connectableHost(in), in.port()));
        }
        return new QemuStreamPeer(ch, read);
    }

    /** Connects and reads. */
    public static QemuStreamPeer connect(Endpoint endpoint) throws IOException {
        return connect(endpoint, true);
    }

    /** Plays QEMU on a connection it accepted ({@code server=on}). */
    public static QemuStreamPeer accepted(SocketChannel ch) {
        return new QemuStreamPeer(ch, true);
    }

    /** Starts the reader thread. */
    public synchronized void startReading() {
        if (reader != null) {
            return;
        }
        reader = new Thread(this::readLoop, "qemu-peer-reader");
        reader.setDaemon(true);
        reader.start();
    }

    private void readLoop() {
        ByteBuffer len = ByteBuffer.allocate(4);
        try {
            while (true) {
                len.clear();
                readFully(len);
                int n = len.getInt(0);
                ByteBuffer body = ByteBuffer.allocate(n);
                readFully(body);
                frames.add(body.array());
                received.incrementAndGet();
            }
        } catch (IOException e) {
            // End of stream, or closed by the test.
        } finally {
            ended.countDown();
        }
    }

    private void readFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (channel.read(b) < 0) {
                throw new EOFException();
            }
        }
    }

    /** Sends one frame with its length prefix. */
    public void send(byte[] frame) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + frame.length);
        b.putInt(frame.length).put(frame).flip();
        sendRaw(b);
    }

    /** Sends raw bytes (for malformed streams). */
    public void sendRaw(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            channel.write(b);
        }
    }

    /** The next frame from jslirp, or null after {@code timeout}. */
    public byte[] receive(Duration timeout) throws InterruptedException {
        return frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Waits until {@code count} frames in all have been read, then forgets those not taken. */
    public void awaitReceivedAndDiscard(long count) {
        TestNetwork.await(count + " frames read", Duration.ofSeconds(20), () -> received.get() == count);
        frames.clear();
    }

    /** Frames read so far. */
    public long received() {
        return received.get();
    }

    /** True if jslirp closed the connection within {@code timeout} (the reader saw the end). */
    public boolean closedByJslirp(Duration timeout) throws InterruptedException {
        startReading();
        return ended.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Sends an ARP request for the gateway, as a guest's first frame, and checks the
     * next frame is the network's reply (fails the test otherwise).
     */
    public void assertArpRoundTrip() throws IOException, InterruptedException {
        assertArpRoundTrip(GuestFrames.GUEST_MAC, GuestFrames.GUEST_IP);
    }

    /**
     * As {@link #assertArpRoundTrip()} for a guest at {@code mac} with address {@code ip}:
     * other guests' frames it may see on the way (floods) are skipped.
     */
    public void assertArpRoundTrip(long mac, int ip) throws IOException, InterruptedException {
        assertArpRoundTrip(mac, ip, GuestFrames.GATEWAY);
    }

    /** As {@link #assertArpRoundTrip(long, int)} on a network whose gateway is {@code gateway}. */
    public void assertArpRoundTrip(long mac, int ip, int gateway) throws IOException, InterruptedException {
        send(TestNetwork.arpRequestForGateway(mac, ip, gateway));
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            byte[] reply = receive(Duration.ofNanos(Math.max(0, end - System.nanoTime())));
            if (reply == null) {
                throw new AssertionError("no ARP reply within 5 s");
            }
            if (TestNetwork.isArpReplyFromGateway(reply, mac, ip, gateway)) {
                return;
            }
        }
    }

    /** Sets the socket's receive buffer (before the peer starts reading), to make backpressure quick. */
    public void receiveBuffer(int bytes) throws IOException {
        channel.setOption(java.net.StandardSocketOptions.SO_RCVBUF, bytes);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
