package dev.jslirp.transport;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.core.spi.FrameSink;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.spi.GuestPort;
import dev.jslirp.core.spi.GuestService;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.wire.ArpPacket;
import dev.jslirp.core.wire.EthernetFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * A core network (no services but one that records writability changes) on its own
 * one-thread event loop of the given I/O transport, for transport tests.
 */
public final class TestNetwork implements AutoCloseable {
    private final EventLoopGroup group;
    private final GuestNetwork network;
    private final BlockingQueue<Boolean> writability = new LinkedBlockingQueue<>();

    /** A network on a new loop of {@code io}. */
    public TestNetwork(IoTransport io) {
        this(io, NetworkConfig.defaults());
    }

    /** A network of {@code config} on a new loop of {@code io}. */
    public TestNetwork(IoTransport io, NetworkConfig config) {
        this.group = io.newEventLoopGroup(1);
        this.network = GuestNetwork.builder(group.next())
                .config(config)
                .hostChannels(io.hostChannels())
                .service(new GuestService() {
                    @Override
                    public boolean handle(GuestPacket packet) {
                        return false;
                    }

                    @Override
                    public void guestWritabilityChanged(GuestPort port, boolean writable) {
                        writability.add(writable);
                    }
                })
                .build();
    }

    /** The network. */
    public GuestNetwork network() {
        return network;
    }

    /** The transport counters of the network. */
    public Counters<TransportCounter> counters() {
        return GuestTransport.counters(network);
    }

    /** The next writability change the services saw, or null after {@code timeout}. */
    public Boolean nextWritabilityChange(Duration timeout) throws InterruptedException {
        return writability.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** True if a transport is attached, asked on the loop. */
    public boolean isAttached() {
        return network.eventLoop().submit(network::isGuestAttached).syncUninterruptibly().getNow();
    }

    /** True if the attached transport (the first port) takes more frames, asked on the loop. */
    public boolean isWritable() {
        return network.eventLoop().submit(() -> network.port() != null && network.port().isWritable())
                .syncUninterruptibly().getNow();
    }

    /**
     * Sends {@code count} Ethernet frames of {@code length} bytes to the guest from
     * the loop, with the headroom the network leaves, as its services would.
     */
    public void sendFramesToGuest(int count, int length) {
        network.eventLoop().submit(() -> {
            for (int i = 0; i < count; i++) {
                ByteBuf f = network.alloc().directBuffer(FrameSink.HEADROOM + length);
                f.setIndex(FrameSink.HEADROOM, FrameSink.HEADROOM);
                EthernetFrame.write(f, FrameSink.HEADROOM, GuestFrames.GUEST_MAC, GuestFrames.GATEWAY_MAC, 0x88b5);
                f.writerIndex(FrameSink.HEADROOM + length);
                network.sendFrame(f);
            }
        }).syncUninterruptibly();
    }

    /**
     * Sends batches of full-size frames to the guest until {@code done} holds; fails
     * after 100,000 frames. Returns how many were sent.
     */
    public int sendToGuestUntil(String what, BooleanSupplier done) {
        int sent = 0;
        while (!done.getAsBoolean()) {
            if (sent >= 100_000) {
                throw new AssertionError("sent " + sent + " frames and still not: " + what);
            }
            sendFramesToGuest(32, 1514);
            sent += 32;
        }
        return sent;
    }

    @Override
    public void close() {
        network.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    // ------------------------------------------------------------------ helpers

    /** The bytes of an ARP request from the test guest for the gateway. */
    public static byte[] arpRequestForGateway() {
        return arpRequestForGateway(GuestFrames.GUEST_MAC, GuestFrames.GUEST_IP);
    }

    /** An ARP request for the gateway from a guest at {@code mac} with address {@code ip}. */
    public static byte[] arpRequestForGateway(long mac, int ip) {
        return arpRequestForGateway(mac, ip, GuestFrames.GATEWAY);
    }

    /** An ARP request for {@code gateway} from a guest at {@code mac} with address {@code ip}. */
    public static byte[] arpRequestForGateway(long mac, int ip, int gateway) {
        ByteBuf b = GuestFrames.arpRequest(mac, ip, gateway);
        try {
            return ByteBufUtil.getBytes(b);
        } finally {
            b.release();
        }
    }

    /** True if {@code frame} is the network's ARP reply to the test guest for the gateway. */
    public static boolean isArpReplyFromGateway(byte[] frame) {
        return isArpReplyFromGateway(frame, GuestFrames.GUEST_MAC, GuestFrames.GUEST_IP);
    }

    /** True if {@code frame} is the network's ARP reply for the gateway to the guest at {@code mac}, {@code ip}. */
    public static boolean isArpReplyFromGateway(byte[] frame, long mac, int ip) {
        return isArpReplyFromGateway(frame, mac, ip, GuestFrames.GATEWAY);
    }

    /** As {@link #isArpReplyFromGateway(byte[], long, int)} for a network whose gateway is {@code gateway}. */
    public static boolean isArpReplyFromGateway(byte[] frame, long mac, int ip, int gateway) {
        ByteBuf b = Unpooled.wrappedBuffer(frame);
        EthernetFrame eth = new EthernetFrame();
        ArpPacket arp = new ArpPacket();
        return eth.wrap(b) && eth.etherType() == EthernetFrame.TYPE_ARP
                && eth.destination() == mac
                && arp.wrap(b, eth.payloadOffset(), b.writerIndex())
                && arp.operation() == ArpPacket.OP_REPLY
                && arp.senderIp() == gateway
                && arp.senderMac() == (0x5255_0000_0000L | (gateway & 0xffffffffL))
                && arp.targetIp() == ip;
    }

    /** Waits up to {@code timeout} for {@code condition}; fails with {@code what} if it stays false. */
    public static void await(String what, Duration timeout, BooleanSupplier condition) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what);
            }
        }
    }

    /** Every available I/O transport with each stream socket kind, for parameterized tests. */
    public static Stream<Arguments> streamTransports() {
        List<Arguments> args = new ArrayList<>();
        for (IoTransport io : IoTransport.values()) {
            if (io.isAvailable()) {
                args.add(Arguments.of(io, "unix"));
                args.add(Arguments.of(io, "tcp"));
            }
        }
        return args.stream();
    }

    /** Open file descriptors of this process (Linux). */
    public static long openFileDescriptors() {
        try (Stream<Path> fds = Files.list(Paths.get("/proc/self/fd"))) {
            return fds.count();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** This process's resident memory in bytes ({@code VmRSS} of /proc/self/status, Linux). */
    public static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Paths.get("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            throw new AssertionError("no VmRSS in /proc/self/status");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * {@link #residentBytes()} after a full collection, which lets G1 return the heap it
     * no longer needs: what stays is what is still referenced (or Netty's pooled arenas).
     */
    public static long residentBytesAfterGc() {
        System.gc();
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return residentBytes();
    }
}
