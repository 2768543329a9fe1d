package dev.jslirp.bench;

import dev.jslirp.core.testkit.GuestFrames;
import dev.jslirp.core.wire.TcpPacket;
import io.netty.buffer.ByteBuf;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Start-up time and memory footprint of the jslirp process (issue 12, item 6), measured
 * from outside as a QEMU would see it:
 * <ul>
 *   <li><b>start-up</b>: from launching {@code java -jar jslirp.jar --listen unix:...} to the
 *       DHCP offer answering the first DISCOVER sent over the stream protocol (the moment
 *       a booting VM could have its address);</li>
 *   <li><b>RSS idle</b>: the process's resident set with one guest attached and leased,
 *       after a settling pause;</li>
 *   <li><b>RSS with N flows</b>: after the scripted guest opened N TCP connections through
 *       the gateway to a server on the host's 127.0.0.1 (each established both ways and
 *       kept open).</li>
 * </ul>
 * The guest is scripted with the test kit's frame builders over the unix socket, as QEMU's
 * {@code -netdev stream} speaks it (4-byte big-endian length, then the frame). Traffic
 * goes to 127.0.0.1 only.
 *
 * <p>Usage: {@code java -cp benchmarks.jar dev.jslirp.bench.FootprintProbe JAR RUNS FLOWS [JVM options...]}.
 * Prints one line per run and the medians.
 */
public final class FootprintProbe {
    /** Handshakes in flight at once. */
    private static final int BATCH = 128;
    private FootprintProbe() {
    }

    /** One run's numbers. */
    record Result(double startupMillis, long rssIdleKb, long rssFlowsKb, long heapIdleKb, long heapFlowsKb,
                  int flows) {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: FootprintProbe JAR RUNS FLOWS [JVM options...]");
            System.exit(2);
        }
        Path jar = Path.of(args[0]);
        int runs = Integer.parseInt(args[1]);
        int flows = Integer.parseInt(args[2]);
        List<String> jvm = Arrays.asList(args).subList(3, args.length);
        List<Result> results = new ArrayList<>();
        for (int i = 0; i < runs; i++) {
            Result r = run(jar, jvm, flows);
            results.add(r);
            System.out.printf(Locale.ROOT, "run %d: start-up %.0f ms, RSS idle %d KiB, RSS with %d flows %d KiB, "
                    + "live heap idle %d KiB, with the flows %d KiB%n", i + 1, r.startupMillis(), r.rssIdleKb(),
                    r.flows(), r.rssFlowsKb(), r.heapIdleKb(), r.heapFlowsKb());
        }
        System.out.printf(Locale.ROOT, "median: start-up %.0f ms, RSS idle %.1f MiB, RSS with %d flows %.1f MiB, "
                        + "live heap idle %.1f MiB, %.2f KiB of live heap per open flow%n",
                median(results.stream().mapToDouble(Result::startupMillis).toArray()),
                median(results.stream().mapToDouble(Result::rssIdleKb).toArray()) / 1024, flows,
                median(results.stream().mapToDouble(Result::rssFlowsKb).toArray()) / 1024,
                median(results.stream().mapToDouble(Result::heapIdleKb).toArray()) / 1024,
                median(results.stream().mapToDouble(r -> (double) (r.heapFlowsKb() - r.heapIdleKb()) / r.flows())
                        .toArray()));
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static Result run(Path jar, List<String> jvm, int flows) throws Exception {
        Path dir = Files.createTempDirectory("jslirp-footprint");
        Path sock = dir.resolve("j.sock");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvm);
        cmd.addAll(List.of("-jar", jar.toString(), "--listen", "unix:" + sock, "--log-level", "warn"));
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile())
                .start();
        try (ServerSocket server = new ServerSocket(0, 2048, InetAddress.getLoopbackAddress())) {
            List<Socket> accepted = new ArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(server.accept());
                    }
                } catch (IOException e) {
                    // closed
                }
            }, "footprint-acceptor");
            acceptor.setDaemon(true);
            acceptor.start();
            SocketChannel ch = connect(sock, p);
            send(ch, ClientMessages.dhcp(ClientMessages.DISCOVER, 0, 0));
            while (!isDhcpReply(receive(ch))) {
                // ARP and the like before the offer
            }
            double startup = (System.nanoTime() - t0) / 1e6;
            TimeUnit.SECONDS.sleep(2);
            long heapIdle = heapAfterGcKb(p.pid());
            long idle = rssKb(p.pid());
            openFlows(ch, server.getLocalPort(), flows);
            TimeUnit.SECONDS.sleep(2);
            long heapFlows = heapAfterGcKb(p.pid());
            long withFlows = rssKb(p.pid());
            ch.close();
            for (Socket s : accepted) {
                s.close();
            }
            return new Result(startup, idle, withFlows, heapIdle, heapFlows, flows);
        } finally {
            p.destroy();
            p.waitFor(10, TimeUnit.SECONDS);
            p.destroyForcibly();
        }
    }

    private static SocketChannel connect(Path sock, Process p) throws Exception {
        while (true) {
            if (!p.isAlive()) {
                throw new IOException("jslirp exited with " + p.exitValue());
            }
            if (Files.exists(sock)) {
                try {
                    SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
                    ch.connect(UnixDomainSocketAddress.of(sock));
                    return ch;
                } catch (IOException notYet) {
                    // bound but not listening yet
                }
            }
            Thread.sleep(1);
        }
    }

    /**
     * Opens {@code n} TCP connections from the guest to the host's {@code port} through the
     * gateway, {@link #BATCH} handshakes at a time (below max-half-open, whose oldest
     * connects a larger burst would evict).
     */
    private static void openFlows(SocketChannel ch, int port, int n) throws IOException {
        for (int first = 0; first < n; first += BATCH) {
            int count = Math.min(BATCH, n - first);
            for (int i = 0; i < count; i++) {
                int sport = 20000 + first + i;
                send(ch, GuestFrames.tcp(GuestFrames.GATEWAY, t -> t.from(sport).to(port).seq(1000)
                        .flags(TcpPacket.SYN).mss(1460)));
            }
            completeHandshakes(ch, port, count);
        }
    }

    private static void completeHandshakes(SocketChannel ch, int port, int n) throws IOException {
        int established = 0;
        while (established < n) {
            byte[] f = receive(ch);
            // Ethernet 14, IPv4 20 (jslirp sends no IPv4 options), TCP header at 34.
            if (f.length < 54 || ((f[12] & 0xff) << 8 | (f[13] & 0xff)) != 0x0800 || f[23] != 6) {
                continue;
            }
            int flags = f[34 + 13] & 0xff;
            if ((flags & (TcpPacket.SYN | TcpPacket.ACK)) != (TcpPacket.SYN | TcpPacket.ACK)) {
                continue;
            }
            int sport = ((f[36] & 0xff) << 8) | (f[37] & 0xff);
            int seq = ((f[38] & 0xff) << 24) | ((f[39] & 0xff) << 16) | ((f[40] & 0xff) << 8) | (f[41] & 0xff);
            send(ch, GuestFrames.tcp(GuestFrames.GATEWAY, t -> t.from(sport).to(port).seq(1001).ack(seq + 1)
                    .flags(TcpPacket.ACK)));
            established++;
        }
    }

    private static boolean isDhcpReply(byte[] f) {
        return f.length > 42 && ((f[12] & 0xff) << 8 | (f[13] & 0xff)) == 0x0800 && f[23] == 17
                && (((f[36] & 0xff) << 8) | (f[37] & 0xff)) == 68;
    }

    private static void send(SocketChannel ch, ByteBuf frame) throws IOException {
        try {
            ByteBuffer b = ByteBuffer.allocate(4 + frame.readableBytes());
            b.putInt(frame.readableBytes());
            frame.getBytes(frame.readerIndex(), b);
            b.flip();
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } finally {
            frame.release();
        }
    }

    private static byte[] receive(SocketChannel ch) throws IOException {
        ByteBuffer len = ByteBuffer.allocate(4);
        readFully(ch, len);
        ByteBuffer frame = ByteBuffer.allocate(len.flip().getInt());
        readFully(ch, frame);
        return frame.array();
    }

    private static void readFully(SocketChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new IOException("jslirp closed the stream");
            }
        }
    }

    /**
     * The Java heap in use after a full collection ({@code jcmd PID GC.run}, then the "used"
     * figures of {@code GC.heap_info}'s heap or generation lines): what the network's
     * objects take, which the RSS hides behind the heap the JVM has committed.
     */
    private static long heapAfterGcKb(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        long used = 0;
        for (String line : jcmd(pid, "GC.heap_info").split("\n")) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("used (\\d+)K").matcher(line);
            if ((line.contains("heap") || line.contains("generation")) && m.find()) {
                used += Long.parseLong(m.group(1));
            }
        }
        return used;
    }

    private static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Process j = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(pid), command).redirectErrorStream(true).start();
        String out = new String(j.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        j.waitFor(30, TimeUnit.SECONDS);
        return out;
    }

    private static long rssKb(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS for " + pid);
    }
}
