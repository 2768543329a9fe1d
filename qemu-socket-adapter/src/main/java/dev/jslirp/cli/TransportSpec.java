package dev.jslirp.cli;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.iface.GuestNetwork;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.GuestTransport;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import dev.jslirp.transport.dgram.DatagramTransport;
import dev.jslirp.transport.stream.StreamClient;
import dev.jslirp.transport.stream.StreamServer;
import dev.jslirp.transport.tap.NetworkNamespace;
import dev.jslirp.transport.tap.TapOptions;
import dev.jslirp.transport.tap.TapTransport;
import java.time.Duration;

/**
 * The transport the command line asks for, parsed and checked before anything starts:
 * {@code --listen}, {@code --connect}, {@code --dgram}, {@code --tap} or {@code --netns}.
 */
sealed interface TransportSpec {
    /** Builds the transport for {@code network}. */
    GuestTransport create(GuestNetwork network, IoTransport io, LinkBuffers buffers);

    /** Checks the spec can run on {@code io}; throws a CliException if not. */
    default void checkSupported(IoTransport io) {
    }

    /** {@code --listen}: jslirp listens, QEMU connects ({@code server=off}). */
    record Listen(Endpoint endpoint) implements TransportSpec {
        @Override
        public GuestTransport create(GuestNetwork network, IoTransport io, LinkBuffers buffers) {
            return new StreamServer(network, io, endpoint, buffers);
        }
    }

    /** {@code --connect}: QEMU listens ({@code server=on}), jslirp connects and reconnects. */
    record Connect(Endpoint endpoint, Duration reconnectDelay) implements TransportSpec {
        @Override
        public GuestTransport create(GuestNetwork network, IoTransport io, LinkBuffers buffers) {
            return new StreamClient(network, io, endpoint, buffers, reconnectDelay);
        }
    }

    /** {@code --dgram}: bare frames in datagrams; {@code remote} null means learn QEMU's address. */
    record Dgram(Endpoint local, Endpoint remote) implements TransportSpec {
        @Override
        public GuestTransport create(GuestNetwork network, IoTransport io, LinkBuffers buffers) {
            return new DatagramTransport(network, io, local, remote, buffers);
        }

        @Override
        public void checkSupported(IoTransport io) {
            try {
                io.datagramChannel(local);
            } catch (ConfigException e) {
                throw CliException.relabel(e, "--dgram");
            }
        }
    }

    /** {@code --tap NAME} or {@code --netns NS}: a tap device instead of QEMU; needs the epoll loop. */
    record Tap(TapOptions options) implements TransportSpec {
        @Override
        public GuestTransport create(GuestNetwork network, IoTransport io, LinkBuffers buffers) {
            return new TapTransport(network, options, buffers);
        }

        @Override
        public void checkSupported(IoTransport io) {
            String option = options.netns() != null ? "--netns" : "--tap";
            if (io != IoTransport.EPOLL) {
                throw new CliException("invalid " + option + ": a tap needs the epoll I/O transport (--io epoll)"
                        + (IoTransport.EPOLL.isAvailable() ? ""
                                : ", which is not available here: " + IoTransport.EPOLL.unavailabilityReason()));
            }
        }
    }

    /** Parses {@code --tap NAME}. */
    static TransportSpec tap(String name) {
        try {
            return new Tap(TapOptions.tap(name));
        } catch (ConfigException e) {
            throw CliException.relabel(e, "--tap");
        }
    }

    /**
     * Parses {@code --netns PID|PATH|NAME} with {@code --netns-ifname} (null: tap0) and
     * {@code --netns-static}.
     */
    static TransportSpec netns(String spec, String ifname, boolean staticAddress) {
        NetworkNamespace ns;
        try {
            ns = NetworkNamespace.of(spec);
        } catch (ConfigException e) {
            throw CliException.relabel(e, "--netns");
        }
        try {
            return new Tap(TapOptions.inNamespace(ns, ifname == null ? TapOptions.DEFAULT_NETNS_IFNAME : ifname,
                    staticAddress));
        } catch (ConfigException e) {
            throw CliException.relabel(e, "--netns-ifname");
        }
    }

    /** The accepted form of {@code --listen} and {@code --connect}. */
    String STREAM_FORM = "unix:PATH|tcp:HOST:PORT";
    /** The accepted form of {@code --dgram}. */
    String DGRAM_FORM = "udp:HOST:PORT[,remote=HOST:PORT]|unix:PATH[,remote=PATH]";

    /** Parses {@code --listen}. */
    static TransportSpec listen(String value) {
        return new Listen(endpoint("--listen", value, "tcp"));
    }

    /** Parses {@code --connect}; {@code reconnectDelay} must be positive. */
    static TransportSpec connect(String value, Duration reconnectDelay) {
        if (reconnectDelay.toMillis() < 10 || reconnectDelay.compareTo(Duration.ofHours(1)) > 0) {
            throw new CliException("invalid --reconnect-delay: " + reconnectDelay.toMillis()
                    + " ms out of range (expected 10ms..1h, e.g. 500ms or 2s)");
        }
        return new Connect(endpoint("--connect", value, "tcp"), reconnectDelay);
    }

    /**
     * Parses {@code --dgram LOCAL[,remote=REMOTE]}: LOCAL is {@code udp:HOST:PORT} or
     * {@code unix:PATH}; REMOTE is of the same kind, with or without its scheme.
     */
    static TransportSpec dgram(String value) {
        String localText = value;
        String remoteText = null;
        int at = value.lastIndexOf(",remote=");
        if (at >= 0) {
            localText = value.substring(0, at);
            remoteText = value.substring(at + ",remote=".length());
        }
        Endpoint local = endpoint("--dgram", localText, "udp");
        Endpoint remote = null;
        if (remoteText != null) {
            if (local instanceof Endpoint.Unix) {
                remote = endpoint("--dgram", remoteText.startsWith("unix:") ? remoteText : "unix:" + remoteText, "udp");
            } else {
                remote = endpoint("--dgram", remoteText.startsWith("udp:") ? remoteText : "udp:" + remoteText, "udp");
                Endpoint.Inet r = (Endpoint.Inet) remote;
                if (r.port() == 0 || r.isWildcard()) {
                    throw new CliException("invalid --dgram: remote=" + remoteText
                            + " must name QEMU's address, a host and a non-zero port (expected " + DGRAM_FORM + ")");
                }
            }
        }
        return new Dgram(local, remote);
    }

    private static Endpoint endpoint(String option, String value, String inetScheme) {
        try {
            return Endpoint.parse(option, value, inetScheme);
        } catch (ConfigException e) {
            throw CliException.relabel(e, option);
        }
    }
}
