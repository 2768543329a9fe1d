package dev.jslirp.dns;

import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.wire.Ipv4Address;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DNS over TCP for the guest (RFC 1035 section 4.2.2, RFC 7766): a listener on
 * 127.0.0.1 with an ephemeral port, registered as the host end of the DNS address's
 * TCP port 53, so the NAT, which terminates the guest's TCP, connects guest
 * connections to it. Each accepted connection is a {@link DnsTcpSession}.
 *
 * <p>Bounds: {@link DnsConfig#maxTcpConnections()} connections (more are closed at
 * once), messages of at most 65535 bytes (the 2-byte length prefix), an idle timeout
 * of {@link DnsConfig#tcpIdleTimeout()}, and {@link DnsTcpSession#MAX_PENDING}
 * pipelined queries per connection.
 *
 * <p>The listener is reachable by any local process, like a resolver on the loopback;
 * it answers what the guest could ask, nothing more.
 */
final class DnsTcpServer {
    private static final Logger LOG = LoggerFactory.getLogger(DnsTcpServer.class);
    /** The largest DNS message over TCP: the length prefix is 16 bits (RFC 1035 section 4.2.2). */
    static final int MAX_MESSAGE_LENGTH = 65535;
    private static final InetSocketAddress LOOPBACK_EPHEMERAL = UdpForwarder.LOOPBACK_EPHEMERAL;

    private final GuestContext context;
    private final DnsConfig config;
    private final Upstreams upstreams;
    private final LocalAnswers local;
    private final Counters<DnsCounter> counters;
    private final long timeoutNanos;
    private final DnsMessageView queryView = new DnsMessageView();
    private final DnsMessageView answerView = new DnsMessageView();
    private final Set<Channel> sessions = new HashSet<>();
    private Channel listener;
    private boolean stopped;

    DnsTcpServer(GuestContext context, DnsConfig config, Upstreams upstreams, LocalAnswers local,
                 Counters<DnsCounter> counters) {
        this.context = context;
        this.config = config;
        this.upstreams = upstreams;
        this.local = local;
        this.counters = counters;
        this.timeoutNanos = config.upstreamTimeout().toNanos();
    }

    /** A decoder of length-prefixed DNS messages that strips the prefix. */
    static LengthFieldBasedFrameDecoder newFrameDecoder() {
        return new LengthFieldBasedFrameDecoder(MAX_MESSAGE_LENGTH + 2, 0, 2, 0, 2);
    }

    /** Opens the listener and registers it for the DNS address, port 53, once bound. */
    void start() {
        ChannelFuture bind = new ServerBootstrap()
                .group(context.eventLoop(), context.eventLoop())
                .channelFactory(context.hostChannels().tcpServer())
                .option(ChannelOption.ALLOCATOR, context.alloc())
                .childOption(ChannelOption.ALLOCATOR, context.alloc())
                // A guest that half-closes after its queries still gets their answers
                // (DnsTcpSession closes once they are out); without this Netty would close
                // the connection at the FIN and drop the answers still owed.
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accept(ch);
                    }
                })
                .bind(LOOPBACK_EPHEMERAL);
        listener = bind.channel();
        bind.addListener(f -> {
            if (!f.isSuccess()) {
                LOG.warn("DNS over TCP unavailable: cannot listen on {}: {}", LOOPBACK_EPHEMERAL,
                        String.valueOf(f.cause()));
            } else if (stopped) {
                listener.close();
            } else {
                InetSocketAddress at = (InetSocketAddress) listener.localAddress();
                context.registerTcpEndpoint(context.config().dnsAddress(), GuestDatagrams.DNS_PORT, at);
                if (context.config().ipv6()) {
                    context.registerTcpEndpoint(context.config().ipv6Dns(), GuestDatagrams.DNS_PORT, at);
                    context.registerTcpEndpoint(context.config().dnsLinkLocal(), GuestDatagrams.DNS_PORT, at);
                }
                LOG.debug("DNS over TCP for {}:53 served at {}", context.config().dnsAddress(), at);
            }
        });
    }

    private void accept(Channel ch) {
        if (stopped || sessions.size() >= config.maxTcpConnections()) {
            counters.increment(DnsCounter.TCP_CONNECTIONS_REFUSED);
            ch.close();
            return;
        }
        counters.increment(DnsCounter.TCP_CONNECTIONS);
        sessions.add(ch);
        ch.closeFuture().addListener(f -> sessions.remove(ch));
        ch.pipeline().addLast(newFrameDecoder(), new DnsTcpSession(this, config.tcpIdleTimeout().toNanos()));
    }

    /** Closes the listener and every connection. */
    void stop() {
        stopped = true;
        if (listener != null && listener.isRegistered()) {   // one that failed to register is closed already
            listener.close();
        }
        for (Channel ch : new ArrayList<>(sessions)) {
            ch.close();
        }
    }

    GuestContext context() {
        return context;
    }

    Counters<DnsCounter> counters() {
        return counters;
    }

    Upstreams upstreams() {
        return upstreams;
    }

    LocalAnswers local() {
        return local;
    }

    long timeoutNanos() {
        return timeoutNanos;
    }

    /** A view for queries, shared by everything on the loop that uses it without reentry. */
    DnsMessageView queryView() {
        return queryView;
    }

    /** A view for upstream answers, shared likewise. */
    DnsMessageView answerView() {
        return answerView;
    }
}
