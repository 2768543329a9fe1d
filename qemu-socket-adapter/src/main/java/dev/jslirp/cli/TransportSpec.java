package dev.jslirp.cli;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.PortOptions;
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
 * A transport the command line asks for, parsed and checked before anything starts:
 * {@code --listen}, {@code --connect}, {@code --dgram}, {@code --tap} or {@code --netns},
 * each with the options of the ports it makes ({@link PortSpec}). A network may have
 * several; each guest that comes through one is a port of the network's switch.
 */
sealed interface TransportSpec {
    /** Builds the transport for {@code network}. */
    GuestTransport create(GuestNetwork network, IoTransport io, LinkBuffers buffers);

    /** Checks the spec can run on {@code io}; throws a CliException if not. */
    default void checkSupported(IoTransport io) {
    }

    /** How the ports of this transport treat their guests. */
    PortOptions ports();

    /** This transport with the tap's offloads on or off ({@code --tap-offload}); others are unchanged. */
    default TransportSpec withTapOffload(boolean on) {
        return this;
    }

    /** {@code --listen}: jslirp listens, QEMU connects ({@code server=off}); each connection a port. */
    record Listen(Endpoint endpoint, PortOptions ports) implements TransportSpec {
        /** With ports of no restriction. */
        Listen(Endpoint endpoint) {
            this(endpoint, DEFAULT_PORTS);
        }

        @Override
        public GuestTransport create(GuestNetwork network, IoTransport io, LinkBuffers buffers) {
            return new StreamServer(network, io, endpoint, buffers, ports);
        }
    }

    /** {@code --connect}: QEMU listens ({@code server=on}), jslirp connects and reconnects. */
    record Connect(Endpoint endpoint, Duration reconnectDelay, PortOptions ports) implements TransportSpec {
        /** With ports of no restriction. */
        Connect(Endpoint endpoint, Duration reconnectDelay) {
            this(endpoint, reconnectDelay, DEFAULT_PORTS);
        }

        @Override
        public GuestTransport create(GuestNetwork network, IoTransport io, LinkBuffers buffers) {
            return new StreamClient(network, io, endpoint, buffers, reconnectDelay, ports);
        }
    }

    /** {@code --dgram}: bare frames in datagrams; {@code remote} null means learn QEMU's address. */
    record Dgram(Endpoint local, Endpoint remote, PortOptions ports) implements TransportSpec {
        /** With ports of no restriction. */
        Dgram(Endpoint local, Endpoint remote) {
            this(local, remote, DEFAULT_PORTS);
        }

        @Override
        public GuestTransport create(GuestNetwork network, IoTransport io, LinkBuffers buffers) {
            return new DatagramTransport(network, io, local, remote, buffers, ports);
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
    record Tap(TapOptions options, PortOptions ports) implements TransportSpec {
        /** With a port of no restriction. */
        Tap(TapOptions options) {
            this(options, DEFAULT_PORTS);
        }

        @Override
        public TransportSpec withTapOffload(boolean on) {
            return new Tap(options.withOffload(on), ports);
        }

        @Override
        public GuestTransport create(GuestNetwork network, IoTransport io, LinkBuffers buffers) {
            return new TapTransport(network, options, buffers, null, ports);
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

    /** Ports with no restriction (isolated, restrict and lock off). */
    PortOptions DEFAULT_PORTS = new PortOptions("guest", false, false, false);

    /** Parses {@code --tap NAME[,PORT OPTIONS]}. */
    static TransportSpec tap(String value) {
        PortSpec p = PortSpec.parse("--tap", value);
        try {
            return new Tap(TapOptions.tap(p.value()), p.options());
        } catch (ConfigException e) {
            throw CliException.relabel(e, "--tap");
        }
    }

    /**
     * Parses {@code --netns PID|PATH|NAME} with {@code --netns-ifname} (null: tap0) and
     * {@code --netns-static}.
     */
    static TransportSpec netns(String value, String ifname, boolean staticAddress) {
        PortSpec p = PortSpec.parse("--netns", value);
        String spec = p.value();
        NetworkNamespace ns;
        try {
            ns = NetworkNamespace.of(spec);
        } catch (ConfigException e) {
            throw CliException.relabel(e, "--netns");
        }
        try {
            return new Tap(TapOptions.inNamespace(ns, ifname == null ? TapOptions.DEFAULT_NETNS_IFNAME : ifname,
                    staticAddress), p.options());
        } catch (ConfigException e) {
            throw CliException.relabel(e, "--netns-ifname");
        }
    }

    /** The accepted form of {@code --listen} and {@code --connect}. */
    String STREAM_FORM = "unix:PATH|tcp:HOST:PORT" + PortSpec.FORM;
    /** The accepted form of {@code --dgram}. */
    String DGRAM_FORM = "udp:HOST:PORT[,remote=HOST:PORT]|unix:PATH[,remote=PATH]" + PortSpec.FORM;

    /** Parses {@code --listen}. */
    static TransportSpec listen(String value) {
        PortSpec p = PortSpec.parse("--listen", value);
        return new Listen(endpoint("--listen", p.value(), "tcp"), p.options());
    }

    /** Parses {@code --connect}; {@code reconnectDelay} must be positive. */
    static TransportSpec connect(String value, Duration reconnectDelay) {
        if (reconnectDelay.toMillis() < 10 || reconnectDelay.compareTo(Duration.ofHours(1)) > 0) {
            throw new CliException("invalid --reconnect-delay: " + reconnectDelay.toMillis()
                    + " ms out of range (expected 10ms..1h, e.g. 500ms or 2s)");
        }
        PortSpec p = PortSpec.parse("--connect", value);
        return new Connect(endpoint("--connect", p.value(), "tcp"), reconnectDelay, p.options());
    }

    /**
     * Parses {@code --dgram LOCAL[,remote=REMOTE]}: LOCAL is {@code udp:HOST:PORT} or
     * {@code unix:PATH}; REMOTE is of the same kind, with or without its scheme.
     */
    static TransportSpec dgram(String text) {
        PortSpec p = PortSpec.parse("--dgram", text);
        String value = p.value();
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
        return new Dgram(local, remote, p.options());
    }

    private static Endpoint endpoint(String option, String value, String inetScheme) {
        try {
            return Endpoint.parse(option, value, inetScheme);
        } catch (ConfigException e) {
            throw CliException.relabel(e, option);
        }
    }
}
