package dev.jslirp.nat.hostfwd;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.IpAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The port forwards of one network, both protocols, and the one place their rules are
 * checked: the guest address ({@link HostForward#guestAddressIn}), a host address and
 * port forwarded twice, and which listener serves which rule. The TCP and UDP halves of
 * the NAT only open listeners ({@link ForwardListenerFactory}).
 *
 * <p>Changed on the network's event loop only; {@link #list()} may be read from any
 * thread (a snapshot republished on every change).
 */
public final class HostForwards {
    /**
     * A forward that is listening.
     *
     * @param rule      the forward as given
     * @param listening where it listens (the bound port for host port 0); null for a unix
     *                  socket, whose path is the rule's
     */
    public record Active(HostForward rule, InetSocketAddress listening) {
        /** How listings name where it listens: {@code unix:PATH}, or {@code ADDRESS:PORT} with the bound port. */
        public String hostEnd() {
            return rule.hostEnd(listening == null ? rule.hostPort() : listening.getPort());
        }
    }

    private final NetworkConfig net;
    private final Map<HostForward.Protocol, ForwardListenerFactory> factories =
            new EnumMap<>(HostForward.Protocol.class);
    private final Map<HostForward, ForwardListener> listeners = new LinkedHashMap<>();
    private volatile List<Active> published = List.of();

    /** Forwards into the guests of {@code net}. */
    public HostForwards(NetworkConfig net) {
        this.net = Objects.requireNonNull(net, "net");
    }

    /** Who opens the listeners of {@code protocol}. */
    public void serve(HostForward.Protocol protocol, ForwardListenerFactory factory) {
        factories.put(protocol, factory);
    }

    /**
     * Starts listening for {@code forward}. Call on the event loop.
     *
     * @return where it listens (with the port the system chose for host port 0; null for a unix socket)
     * @throws ConfigException naming {@code hostfwd}: a guest address outside the
     *         network, a host address and port forwarded already, or a failed bind
     * @throws IllegalStateException if nobody serves the forward's protocol (the NAT is
     *         not running)
     */
    public InetSocketAddress add(HostForward forward) {
        ForwardListenerFactory factory = factories.get(forward.protocol());
        if (factory == null) {
            throw new IllegalStateException("NAT not running");
        }
        if (forward.guestName() == null) {
            forward.guestAddressIn(net);
        }
        for (Map.Entry<HostForward, ForwardListener> e : listeners.entrySet()) {
            HostForward f = e.getKey();
            boolean taken = forward.hostPath() != null ? f.listensOn(forward.hostPath())
                    : forward.hostPort() != 0 && f.protocol() == forward.protocol()
                    && f.listensOn(forward.hostAddress(), forward.hostPort(), boundPort(e.getValue()));
            if (taken) {
                throw new ConfigException("hostfwd", "'" + forward + "': " + (forward.hostPath() != null
                        ? forward.hostEnd(0) : forward.protocol().name().toLowerCase(Locale.ROOT) + " "
                        + forward.hostEnd(forward.hostPort())) + " is forwarded already");
            }
        }
        ForwardListener l = factory.listen(forward);
        listeners.put(forward, l);
        publish();
        return l.boundAddress();
    }

    /**
     * Stops the forward of {@code protocol} listening on {@code hostAddress:hostPort}
     * (null address: all addresses; the port as given or as bound). Call on the event loop.
     *
     * @return false if there is no such forward
     */
    public boolean remove(HostForward.Protocol protocol, IpAddress hostAddress, int hostPort) {
        for (Iterator<Map.Entry<HostForward, ForwardListener>> it = listeners.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<HostForward, ForwardListener> e = it.next();
            HostForward f = e.getKey();
            if (f.protocol() == protocol && f.listensOn(hostAddress, hostPort, boundPort(e.getValue()))) {
                it.remove();
                e.getValue().close();
                publish();
                return true;
            }
        }
        return false;
    }

    /**
     * Stops the forward listening on the unix socket at {@code path} (beyond QEMU, whose
     * {@code hostfwd_remove} cannot). Call on the event loop.
     *
     * @return false if there is no such forward
     */
    public boolean removeUnix(Path path) {
        for (Iterator<Map.Entry<HostForward, ForwardListener>> it = listeners.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<HostForward, ForwardListener> e = it.next();
            if (e.getKey().listensOn(path)) {
                it.remove();
                e.getValue().close();
                publish();
                return true;
            }
        }
        return false;
    }

    private static int boundPort(ForwardListener l) {
        InetSocketAddress a = l.boundAddress();
        return a == null ? 0 : a.getPort();
    }

    /** The forwards listening, in the order added. Safe from any thread. */
    public List<Active> list() {
        return published;
    }

    /** Closes every listener (the NAT stops). */
    public void closeAll() {
        for (ForwardListener l : listeners.values()) {
            l.close();
        }
        listeners.clear();
        publish();
    }

    /** How a host address reads in messages: {@code *} for all addresses. */
    public static String hostText(IpAddress a) {
        return a == null ? "*" : a.toUriString();
    }

    private void publish() {
        List<Active> a = new ArrayList<>(listeners.size());
        listeners.forEach((f, l) -> a.add(new Active(f, l.boundAddress())));
        published = List.copyOf(a);
    }
}
