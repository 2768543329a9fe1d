package dev.jslirp.e2e;

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
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.handler.codec.dns.TcpDnsQueryDecoder;
import io.netty.handler.codec.dns.TcpDnsResponseEncoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The upstream DNS server of the end-to-end tests: a real resolver on a loopback address,
 * UDP and TCP on one port, built on Netty's codec-dns. It answers A and AAAA queries for the
 * names it was given (each name with one or more addresses of either family), NOERROR
 * without answers for other types of those names, NXDOMAIN for the rest, and records every
 * query so a test can prove the guest's lookup reached it.
 *
 * <p>Two ways to run it: in the test JVM ({@link #start}) as jslirp's {@code --dns-upstream};
 * or as a process of its own ({@link #main}) inside a network namespace, where libslirp, which
 * always forwards to the nameservers of {@code /etc/resolv.conf}, finds it on 127.0.0.1:53.
 */
public final class E2eDnsServer implements AutoCloseable {
    /** The line {@link #main} prints once it listens: {@code READY <port>}. */
    static final String READY = "READY";
    /** The prefix of the line {@link #main} prints per query: {@code QUERY <udp|tcp> <name> <type>}. */
    static final String QUERY = "QUERY";

    /** One query the server received. */
    public record Query(String transport, String name, String type) {
        @Override
        public String toString() {
            return QUERY + " " + transport + " " + name + " " + type;
        }

        /** Parses {@link #toString()}'s form, or returns null. */
        static Query parse(String line) {
            String[] w = line.trim().split(" ");
            return w.length == 4 && w[0].equals(QUERY) ? new Query(w[1], w[2], w[3]) : null;
        }
    }

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Map<String, List<byte[]>> records = new ConcurrentHashMap<>();
    private final List<Query> received = new CopyOnWriteArrayList<>();
    private final Consumer<Query> listener;
    private final Channel udp;
    private final Channel tcp;

    private E2eDnsServer(InetAddress address, int port, Map<String, String> answers, Consumer<Query> listener) {
        answers.forEach((name, a) -> records.put(key(name), addresses(a)));
        this.listener = listener;
        Channel t = null;
        Channel u = null;
        // An ephemeral TCP port may be taken for UDP by someone else: try a few.
        for (int attempt = 0; u == null; attempt++) {
            t = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(new TcpDnsQueryDecoder(), new TcpDnsResponseEncoder(), new TcpHandler());
                        }
                    })
                    .bind(address, port).syncUninterruptibly().channel();
            int bound = ((InetSocketAddress) t.localAddress()).getPort();
            try {
                u = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                        .handler(new ChannelInitializer<Channel>() {
                            @Override
                            protected void initChannel(Channel ch) {
                                ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                        new UdpHandler());
                            }
                        })
                        .bind(address, bound).syncUninterruptibly().channel();
            } catch (Exception e) { // the BindException comes through unchecked
                t.close().syncUninterruptibly();
                if (port != 0 || attempt == 10) {
                    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                    throw e;
                }
            }
        }
        this.tcp = t;
        this.udp = u;
    }

    /**
     * A server on 127.0.0.1 and an ephemeral port.
     *
     * @param answers name to its addresses, comma-separated literals of either family (A and
     *                AAAA records)
     */
    public static E2eDnsServer start(Map<String, String> answers) {
        return new E2eDnsServer(InetAddress.getLoopbackAddress(), 0, answers, q -> { });
    }

    /** Where it listens (UDP and TCP). */
    public InetSocketAddress address() {
        return (InetSocketAddress) udp.localAddress();
    }

    /** The queries received so far, in order. */
    public List<Query> received() {
        return new ArrayList<>(received);
    }

    /** The names asked for so far (lower case, with the trailing dot). */
    public List<String> namesAsked() {
        return received.stream().map(Query::name).toList();
    }

    @Override
    public void close() {
        udp.close().syncUninterruptibly();
        tcp.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * Runs the server as a process: {@code E2eDnsServer ADDRESS[,ADDRESS...] PORT
     * [NAME=ADDR[,ADDR...]]...}, one server on each address and the same port. Prints
     * {@code READY <port>} once they listen and {@code QUERY <transport> <name> <type>} per
     * query on stdout; exits when its stdin ends, so it never outlives the test that started it.
     */
    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: E2eDnsServer ADDRESS[,ADDRESS...] PORT [NAME=ADDR[,ADDR...]]...");
            System.exit(2);
        }
        Map<String, String> answers = new ConcurrentHashMap<>();
        for (int i = 2; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            answers.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        Consumer<Query> print = q -> {
            synchronized (out) {
                out.println(q);
            }
        };
        List<E2eDnsServer> servers = new ArrayList<>();
        try {
            int port = Integer.parseInt(args[1]);
            for (String address : args[0].split(",")) {
                E2eDnsServer s = new E2eDnsServer(InetAddress.getByName(address), port, answers, print);
                servers.add(s);
                port = s.address().getPort();
            }
            synchronized (out) {
                out.println(READY + " " + port);
            }
            InputStream in = System.in;
            while (in.read() >= 0) {
                // the parent holds our stdin open for as long as it wants us
            }
        } finally {
            servers.forEach(E2eDnsServer::close);
        }
    }

    private static String key(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n : n + ".";
    }

    /** Comma-separated address literals of either family, as bytes (4 or 16). */
    private static List<byte[]> addresses(String literals) {
        List<byte[]> out = new ArrayList<>();
        for (String literal : literals.split(",")) {
            if (!literal.matches("[0-9a-fA-F:.]+")) {
                throw new IllegalArgumentException("not an address literal: " + literal);
            }
            try {
                out.add(InetAddress.getByName(literal).getAddress()); // a literal: no lookup
            } catch (UnknownHostException e) {
                throw new IllegalArgumentException(literal, e);
            }
        }
        return out;
    }

    /** Records the query's question and returns it, or null if it has none (no answer then). */
    private DnsQuestion recordQuestion(String transport, DnsQuery query) {
        DnsQuestion q = query.recordAt(DnsSection.QUESTION);
        if (q != null) {
            Query seen = new Query(transport, key(q.name()), q.type().name());
            received.add(seen);
            listener.accept(seen);
        }
        return q;
    }

    /** Fills {@code r}, a fresh response with the query's ID, with the answer to {@code q}. */
    private void fill(DnsResponse r, DnsQuestion q) {
        r.setRecursionDesired(true);
        r.setRecursionAvailable(true);
        r.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(q.name(), q.type(), q.dnsClass()));
        List<byte[]> addresses = records.get(key(q.name()));
        if (addresses == null) {
            r.setCode(DnsResponseCode.NXDOMAIN);
            return;
        }
        int length = q.type() == DnsRecordType.A ? 4 : q.type() == DnsRecordType.AAAA ? 16 : -1;
        for (byte[] a : addresses) {
            if (a.length == length) {
                r.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(q.name(), q.type(), 60,
                        Unpooled.wrappedBuffer(a)));
            }
        }
    }

    /** Answers UDP queries; the decoder's message is released by SimpleChannelInboundHandler. */
    private final class UdpHandler extends SimpleChannelInboundHandler<DatagramDnsQuery> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            DnsQuestion q = recordQuestion("udp", query);
            if (q == null) {
                return;
            }
            DatagramDnsResponse r = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
            fill(r, q);
            ctx.writeAndFlush(r);
        }
    }

    /** Answers TCP queries; the decoder's message is released by SimpleChannelInboundHandler. */
    private final class TcpHandler extends SimpleChannelInboundHandler<DnsQuery> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DnsQuery query) {
            DnsQuestion q = recordQuestion("tcp", query);
            if (q == null) {
                return;
            }
            DefaultDnsResponse r = new DefaultDnsResponse(query.id(), DnsOpCode.QUERY);
            fill(r, q);
            ctx.writeAndFlush(r);
        }
    }
}
