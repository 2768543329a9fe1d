package dev.jslirp.bench;

import dev.jslirp.control.ControlClient;
import dev.jslirp.control.ControlReply;
import dev.jslirp.core.wire.ArpPacket;
import dev.jslirp.core.wire.EthernetFrame;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.transport.Endpoint;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What jslirp's capacity costs: one jslirp process (the CLI jar, a JVM of its own), 64
 * networks in it (63 added with {@code network_add} on the control socket), then 64 guests
 * on each (4096 stream connections playing QEMU, each with its own MAC and address, each
 * getting its ARP for the gateway answered). After each step, a full collection in the
 * jslirp process ({@code jcmd GC.run}) and its heap in use ({@code GC.heap_info}), Netty's
 * direct memory ({@code info stats json}) and resident memory ({@code /proc/PID/status});
 * the deltas divided give the memory of one idle network and of one idle port.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.jslirp.bench.LanCapacity qemu-socket-adapter/target/jslirp.jar
 * </pre>
 *
 * Needs 8200 file descriptors in each process ({@code ulimit -n}); the guests' sockets are
 * this JVM's, so jslirp's numbers are its own.
 */
public final class LanCapacity {
    private static final int NETWORKS = 64;
    private static final int PORTS = 64;
    private static final Pattern HEAP_USED = Pattern.compile("garbage-first heap\\s+total \\d+K, used (\\d+)K");
    private static final Pattern DIRECT = Pattern.compile("\"buffer_direct_bytes\":(\\d+)");

    private LanCapacity() {
    }

    /** Memory of the jslirp process at one moment, in bytes. */
    private record Memory(long heap, long direct, long rss) {
        Memory minus(Memory o) {
            return new Memory(heap - o.heap, direct - o.direct, rss - o.rss);
        }

        String per(int n) {
            return String.format(Locale.ROOT, "heap %,d B, direct %,d B, resident %,d B", heap / n, direct / n, rss / n);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: LanCapacity PATH/TO/jslirp.jar");
            System.exit(2);
        }
        Path dir = Files.createTempDirectory("lan-capacity");
        Path ctl = dir.resolve("ctl");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process jslirp = new ProcessBuilder(java, "-Xmx1g", "-XX:MaxDirectMemorySize=1g",
                "-Dio.netty.leakDetection.level=disabled", "-jar", args[0],
                "--listen", "unix:" + dir.resolve("n0.sock"), "--control", "unix:" + ctl,
                "--dns-upstream", "127.0.0.1:9", "--log-level", "warn")
                .redirectErrorStream(true).redirectOutput(dir.resolve("jslirp.log").toFile()).start();
        List<SocketChannel> guests = new ArrayList<>();
        try {
            awaitControl(ctl);
            Memory one = measure(jslirp.pid(), ctl);
            for (int n = 1; n < NETWORKS; n++) {
                command(ctl, "network_add id=n" + n + ",listen=unix:" + dir.resolve("n" + n + ".sock")
                        + ",net=10." + (n + 1) + ".0.0/24,dns-upstream=127.0.0.1:9");
            }
            Memory networks = measure(jslirp.pid(), ctl);
            long start = System.nanoTime();
            for (int n = 0; n < NETWORKS; n++) {
                int subnet = n == 0 ? 0x0a000200 : 0x0a000000 | ((n + 1) << 16);
                for (int p = 0; p < PORTS; p++) {
                    guests.add(guest(dir.resolve("n" + n + ".sock"), 0x5254_0000_0000L | (n << 8) | p,
                            subnet | (100 + p), subnet | 2));
                }
            }
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            Memory ports = measure(jslirp.pid(), ctl);
            String table = command(ctl, "info ports n37");
            int listed = table.split("\n").length - 1;
            SocketChannel extra = SocketChannel.open(StandardProtocolFamily.UNIX);
            extra.connect(UnixDomainSocketAddress.of(dir.resolve("n5.sock")));
            boolean refused = closedByPeer(extra);
            extra.close();

            Memory perNetwork = networks.minus(one);
            Memory perPort = ports.minus(networks);
            System.out.printf(Locale.ROOT, "jslirp, one network, no guest: %s%n", one.per(1));
            System.out.printf(Locale.ROOT, "%d networks: %s%n", NETWORKS, networks.per(1));
            System.out.printf(Locale.ROOT, "%d networks x %d guests (%d ports, each ARP answered, in %d ms): %s%n",
                    NETWORKS, PORTS, NETWORKS * PORTS, tookMs, ports.per(1));
            System.out.printf(Locale.ROOT, "per idle network: %s%n", perNetwork.per(NETWORKS - 1));
            System.out.printf(Locale.ROOT, "per idle port: %s%n", perPort.per(NETWORKS * PORTS));
            System.out.printf(Locale.ROOT, "info ports n37 lists %d ports; a 65th connection to n5 %s%n", listed,
                    refused ? "is refused" : "was NOT refused");
            if (listed != PORTS || !refused) {
                System.exit(1);
            }
        } finally {
            for (SocketChannel g : guests) {
                g.close();
            }
            jslirp.destroy();
            jslirp.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** A guest on {@code socket}: it sends an ARP request for {@code gateway} and must get the reply. */
    private static SocketChannel guest(Path socket, long mac, int ip, int gateway) throws IOException {
        SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
        ch.connect(UnixDomainSocketAddress.of(socket));
        ByteBuf arp = Unpooled.buffer(4 + EthernetFrame.HEADER_LENGTH + ArpPacket.LENGTH);
        arp.writeInt(EthernetFrame.HEADER_LENGTH + ArpPacket.LENGTH);
        EthernetFrame.write(arp, 4, MacAddress.BROADCAST, mac, EthernetFrame.TYPE_ARP);
        ArpPacket.write(arp, 4 + EthernetFrame.HEADER_LENGTH, ArpPacket.OP_REQUEST, mac, ip, 0, gateway);
        arp.writerIndex(4 + EthernetFrame.HEADER_LENGTH + ArpPacket.LENGTH);
        ByteBuffer out = arp.nioBuffer();
        while (out.hasRemaining()) {
            ch.write(out);
        }
        ch.configureBlocking(false);
        ByteBuffer in = ByteBuffer.allocate(4096);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < end) {
            if (ch.read(in) < 0) {
                break;
            }
            // [length][dst mac][src mac][type 0806][...][op at 20+4]: the reply to this MAC.
            for (int at = 0; at + 4 + 22 <= in.position(); ) {
                int len = in.getInt(at);
                if (at + 4 + len > in.position()) {
                    break;
                }
                if (len >= 28 && MacAddress.read(Unpooled.wrappedBuffer(in.array(), at + 4, 6), 0) == mac
                        && in.getShort(at + 4 + 12) == EthernetFrame.TYPE_ARP
                        && in.getShort(at + 4 + 20) == ArpPacket.OP_REPLY) {
                    return ch;
                }
                at += 4 + len;
            }
            Thread.onSpinWait();
        }
        throw new IOException("no ARP reply on " + socket + " for " + MacAddress.toString(mac));
    }

    private static boolean closedByPeer(SocketChannel ch) throws IOException {
        ch.configureBlocking(false);
        ByteBuffer b = ByteBuffer.allocate(64);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < end) {
            if (ch.read(b) < 0) {
                return true;
            }
            Thread.onSpinWait();
        }
        return false;
    }

    private static void awaitControl(Path ctl) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < end) {
            if (Files.exists(ctl)) {
                try {
                    command(ctl, "help");
                    return;
                } catch (IOException e) {
                    // not yet
                }
            }
            Thread.sleep(100);
        }
        throw new IOException("jslirp's control socket did not come up");
    }

    private static String command(Path ctl, String command) throws IOException {
        try (ControlClient c = ControlClient.connect(new Endpoint.Unix(ctl), Duration.ofSeconds(30))) {
            ControlReply r = c.send(command);
            if (!r.isOk()) {
                throw new IOException(command + ": " + r.error());
            }
            return String.join("\n", r.lines());
        }
    }

    private static Memory measure(long pid, Path ctl) throws Exception {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        run(jcmd, Long.toString(pid), "GC.run");
        Thread.sleep(500);
        Matcher heap = HEAP_USED.matcher(run(jcmd, Long.toString(pid), "GC.heap_info"));
        Matcher direct = DIRECT.matcher(command(ctl, "info stats json"));
        long rss = 0;
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        return new Memory(heap.find() ? Long.parseLong(heap.group(1)) * 1024 : -1,
                direct.find() ? Long.parseLong(direct.group(1)) : -1, rss);
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        return out;
    }
}
