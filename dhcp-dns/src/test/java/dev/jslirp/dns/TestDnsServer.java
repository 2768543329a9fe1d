package dev.jslirp.dns;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DefaultDnsResponse;
import io.netty.handler.codec.dns.DnsOpCode;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.handler.codec.dns.TcpDnsQueryDecoder;
import io.netty.handler.codec.dns.TcpDnsResponseEncoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A small real DNS server for tests, on 127.0.0.1 (UDP and TCP on the same port),
 * built on Netty's codec-dns. Answers A queries for configured names; per name or for
 * all it can stay silent, answer with TC set (over UDP), send a large answer, answer
 * SERVFAIL, or send spoofed answers before the real one. Every query it receives is
 * recorded.
 */
final class TestDnsServer implements AutoCloseable {
    /** How the server treats a query. */
    enum Behaviour {
        /** The configured A records (NXDOMAIN if none). */
        ANSWER,
        /** No answer at all. */
        SILENT,
        /** Over UDP an empty answer with TC set; over TCP the full answer. */
        TRUNCATE,
        /** {@link #LARGE_RECORDS} A records, well over 1500 bytes. */
        LARGE,
        /** SERVFAIL. */
        SERVFAIL,
        /**
         * Over UDP first three spoofed answers (wrong ID; other question; right ID and
         * question from another port), then the real one after 100 ms.
         */
        SPOOF_FIRST,
    }

    /** A received query. */
    record Received(String transport, int id, String name, DnsRecordType type, boolean hasOpt,
                    InetSocketAddress from) {
    }

    /** Records in a {@link Behaviour#LARGE} answer. */
    static final int LARGE_RECORDS = 100;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Map<String, List<byte[]>> records = new ConcurrentHashMap<>();
    private final Map<String, Behaviour> behaviours = new ConcurrentHashMap<>();
    private final List<Received> received = new ArrayList<>();
    private volatile Behaviour defaultBehaviour = Behaviour.ANSWER;
    private volatile Duration delay = Duration.ZERO;
    private final Channel udp;
    private final Channel spoofer;
    private final Channel tcp;

    private TestDnsServer(InetAddress lo, int fixedPort) {
        Channel t = null;
        Channel u = null;
        for (int tries = 0; u == null; tries++) {
            t = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new TcpDnsQueryDecoder(), new TcpDnsResponseEncoder(), new TcpHandler());
                        }
                    })
                    .bind(lo, fixedPort).syncUninterruptibly().channel();
            int port = ((InetSocketAddress) t.localAddress()).getPort();
            try {
                u = udpChannel(new InetSocketAddress(lo, port));
            } catch (Exception e) {
                // syncUninterruptibly rethrows the bind's BindException unchecked, undeclared:
                // the UDP port beside the TCP one may be taken (another test's wildcard socket).
                t.close().syncUninterruptibly();
                if (tries == 10 || fixedPort != 0) {
                    throw e;
                }
            }
        }
        this.tcp = t;
        this.udp = u;
        this.spoofer = udpChannel(new InetSocketAddress(lo, 0));
    }

    private Channel udpChannel(InetSocketAddress at) {
        return new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                new UdpHandler());
                    }
                })
                .bind(at).syncUninterruptibly().channel();
    }

    /** A server on 127.0.0.1 and an ephemeral port, answering every name it knows. */
    static TestDnsServer start() {
        return new TestDnsServer(InetAddress.getLoopbackAddress(), 0);
    }

    /** A server on {@code address} (a loopback address) and {@code port}. */
    static TestDnsServer start(InetAddress address, int port) {
        return new TestDnsServer(address, port);
    }

    /** Where it listens (UDP and TCP). */
    InetSocketAddress address() {
        return (InetSocketAddress) udp.localAddress();
    }

    /** Answers {@code name} with {@code address}: an A record for IPv4, an AAAA record for IPv6. */
    TestDnsServer answer(String name, String address) {
        records.computeIfAbsent(key(name), k -> new ArrayList<>()).add(ipv4(address));
        return this;
    }

    /** Treats every query so, unless the name has its own behaviour. */
    TestDnsServer behaviour(Behaviour b) {
        this.defaultBehaviour = b;
        return this;
    }

    /** Treats queries for {@code name} so. */
    TestDnsServer behaviour(String name, Behaviour b) {
        behaviours.put(key(name), b);
        return this;
    }

    /** Waits this long before answering. */
    TestDnsServer delay(Duration d) {
        this.delay = d;
        return this;
    }

    /** The queries received so far. */
    List<Received> received() {
        synchronized (received) {
            return new ArrayList<>(received);
        }
    }

    /** Waits up to 5 s until {@code n} queries arrived; returns them. */
    List<Received> awaitReceived(int n) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (received().size() < n && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        return received();
    }

    @Override
    public void close() {
        udp.close().syncUninterruptibly();
        spoofer.close().syncUninterruptibly();
        tcp.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static String key(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n : n + ".";
    }

    private static byte[] ipv4(String address) {
        try {
            return InetAddress.getByName(address).getAddress();   // a literal: no lookup
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(address, e);
        }
    }

    private Behaviour behaviourFor(DnsQuestion q) {
        return behaviours.getOrDefault(key(q.name()), defaultBehaviour);
    }

    private void record(String transport, DnsQuery query, InetSocketAddress from) {
        DnsQuestion q = query.recordAt(DnsSection.QUESTION);
        boolean opt = false;
        for (int i = 0; i < query.count(DnsSection.ADDITIONAL); i++) {
            DnsRecord r = query.recordAt(DnsSection.ADDITIONAL, i);
            opt |= r.type() == DnsRecordType.OPT;
        }
        synchronized (received) {
            received.add(new Received(transport, query.id(), q == null ? null : q.name(), q == null ? null : q.type(),
                    opt, from));
        }
    }

    /** Fills {@code r} (fresh, with the query's ID) with the answer for {@code q}. */
    private void fill(DnsResponse r, DnsQuestion q, Behaviour b, boolean overUdp) {
        r.setRecursionAvailable(true);
        r.setRecursionDesired(true);
        r.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(q.name(), q.type(), q.dnsClass()));
        if (b == Behaviour.SERVFAIL) {
            r.setCode(DnsResponseCode.SERVFAIL);
            return;
        }
        if (b == Behaviour.TRUNCATE && overUdp) {
            r.setTruncated(true);
            return;
        }
        if (b == Behaviour.LARGE) {
            for (int i = 0; i < LARGE_RECORDS; i++) {
                r.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(q.name(), DnsRecordType.A, 60,
                        Unpooled.wrappedBuffer(new byte[] {10, 99, (byte) (i >> 8), (byte) i})));
            }
            return;
        }
        int wanted = q.type() == DnsRecordType.A ? 4 : q.type() == DnsRecordType.AAAA ? 16 : -1;
        List<byte[]> addresses = records.getOrDefault(key(q.name()), List.of()).stream()
                .filter(a -> a.length == wanted).toList();
        if (addresses.isEmpty()) {
            r.setCode(records.containsKey(key(q.name())) ? DnsResponseCode.NOERROR : DnsResponseCode.NXDOMAIN);
            return;
        }
        for (byte[] a : addresses) {
            r.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(q.name(), q.type(), 60, Unpooled.wrappedBuffer(a)));
        }
    }

    private void later(ChannelHandlerContext ctx, Runnable task) {
        long d = delay.toNanos();
        if (d == 0) {
            task.run();
        } else {
            ctx.executor().schedule(task, d, TimeUnit.NANOSECONDS);
        }
    }

    private final class UdpHandler extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            record("udp", query, query.sender());
            DnsQuestion q = query.recordAt(DnsSection.QUESTION);
            Behaviour b = behaviourFor(q);
            if (b == Behaviour.SILENT) {
                return;
            }
            InetSocketAddress client = query.sender();
            InetSocketAddress self = query.recipient();
            int id = query.id();
            if (b == Behaviour.SPOOF_FIRST) {
                DatagramDnsResponse wrongId = new DatagramDnsResponse(self, client, (id + 1) & 0xffff);
                fill(wrongId, q, Behaviour.ANSWER, true);
                ctx.writeAndFlush(wrongId);
                DatagramDnsResponse otherQuestion = new DatagramDnsResponse(self, client, id);
                fill(otherQuestion, new DefaultDnsQuestion("other." + q.name(), q.type()), Behaviour.ANSWER, true);
                ctx.writeAndFlush(otherQuestion);
                DatagramDnsResponse otherPort = new DatagramDnsResponse(null, client, id);
                fill(otherPort, q, Behaviour.ANSWER, true);
                otherPort.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(q.name(), DnsRecordType.A, 60,
                        Unpooled.wrappedBuffer(new byte[] {6, 6, 6, 6})));
                spoofer.writeAndFlush(otherPort);
                ctx.executor().schedule(() -> {
                    DatagramDnsResponse real = new DatagramDnsResponse(self, client, id);
                    fill(real, q, Behaviour.ANSWER, true);
                    ctx.writeAndFlush(real);
                }, 100, TimeUnit.MILLISECONDS);
                return;
            }
            later(ctx, () -> {
                DatagramDnsResponse r = new DatagramDnsResponse(self, client, id);
                fill(r, q, b, true);
                ctx.writeAndFlush(r);
            });
        }
    }

    private final class TcpHandler extends SimpleChannelInboundHandler<DnsQuery> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DnsQuery query) {
            record("tcp", query, (InetSocketAddress) ctx.channel().remoteAddress());
            DnsQuestion q = query.recordAt(DnsSection.QUESTION);
            Behaviour b = behaviourFor(q);
            if (b == Behaviour.SILENT) {
                return;
            }
            int id = query.id();
            later(ctx, () -> {
                DefaultDnsResponse r = new DefaultDnsResponse(id, DnsOpCode.QUERY);
                fill(r, q, b, false);
                ctx.writeAndFlush(r);
            });
        }
    }
}
