package dev.jslirp.cli;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.transport.GuestTransport;
import dev.jslirp.transport.IoTransport;
import dev.jslirp.transport.LinkBuffers;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One network of a running jslirp: the assembled network on its event loop and its
 * transports (each guest that comes through one is a port of the network's switch).
 * {@link #close()} takes them down in the reverse order, transports first.
 */
final class RunningNetwork implements AutoCloseable {
    private final Jslirp.NetworkPlan plan;
    private final JslirpNetwork network;
    private final List<GuestTransport> transports;

    private RunningNetwork(Jslirp.NetworkPlan plan, JslirpNetwork network, List<GuestTransport> transports) {
        this.plan = plan;
        this.network = network;
        this.transports = List.copyOf(transports);
    }

    /**
     * Builds the network of {@code plan} on {@code loop} and starts its transports.
     * Blocks; not on an event loop.
     *
     * @throws IOException if a transport cannot bind; nothing of it is left running then
     */
    static RunningNetwork start(Jslirp.NetworkPlan plan, EventLoop loop, IoTransport io, LinkBuffers buffers)
            throws IOException {
        NetworkSettings.Configs c = plan.configs();
        JslirpNetwork network = JslirpNetwork.builder()
                .network(c.network()).dhcp(c.dhcp()).dns(c.dns()).nat(c.nat()).tftp(c.tftp()).smb(c.smb())
                .eventLoop(loop, io.hostChannels())
                .build();
        List<GuestTransport> started = new ArrayList<>();
        try {
            for (TransportSpec spec : plan.transports()) {
                GuestTransport t = spec.create(network.guest(), io, buffers);
                t.start();
                started.add(t);
            }
            return new RunningNetwork(plan, network, started);
        } catch (IOException | RuntimeException e) {
            for (GuestTransport t : started) {
                t.close();
            }
            network.close();
            throw e;
        }
    }

    /** The network's id (netdev id). */
    String id() {
        return plan.id();
    }

    /** What it was started from. */
    Jslirp.NetworkPlan plan() {
        return plan;
    }

    /** The assembled network. */
    JslirpNetwork network() {
        return network;
    }

    /** Its transports, in the order given. */
    List<GuestTransport> transports() {
        return transports;
    }

    /** Closes the transports (unix socket files removed) and then the network; blocks until done. */
    @Override
    public void close() {
        try {
            for (GuestTransport t : transports) {
                try {
                    t.close();
                } catch (RuntimeException e) {
                    org.slf4j.LoggerFactory.getLogger(RunningNetwork.class).warn("closing {} failed", t, e);
                }
            }
        } finally {
            network.close();
        }
    }
}
