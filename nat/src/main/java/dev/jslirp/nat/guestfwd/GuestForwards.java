package dev.jslirp.nat.guestfwd;

import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.HostTarget;
import java.util.ArrayList;
import java.util.List;

/**
 * The guest forwards of one network, checked against it: each server address must be one
 * of the network's service addresses ({@link NetworkConfig#serviceAddresses()}, so the
 * network answers ARP and neighbour discovery for it; {@code JslirpNetwork} adds them),
 * no server address and port may be forwarded twice, and {@code cmd:} targets need a
 * {@link CommandLauncher}. Found by destination without allocating; immutable.
 */
public final class GuestForwards {
    /** A forward with its server address resolved in the network. */
    public record Rule(IpAddress server, int port, GuestForward forward) {
    }

    private static final GuestForwards NONE = new GuestForwards(List.of());
    private final List<Rule> rules;

    private GuestForwards(List<Rule> rules) {
        this.rules = rules;
    }

    /** No guest forwards. */
    public static GuestForwards none() {
        return NONE;
    }

    /**
     * The forwards of {@code net}.
     *
     * @param canRunCommands whether a {@link CommandLauncher} runs {@code cmd:} targets here
     * @throws ConfigException naming the forward's option: a server that is not a service
     *         address of {@code net}, a server address and port given twice, or a
     *         {@code cmd:} target without a launcher
     */
    public static GuestForwards of(List<GuestForward> forwards, NetworkConfig net, boolean canRunCommands) {
        List<Rule> rules = new ArrayList<>(forwards.size());
        for (GuestForward f : forwards) {
            IpAddress server = f.serverIn(net);
            if (!net.serviceAddresses().contains(server)) {
                throw new ConfigException(f.option(), "'" + f + "': " + server + " is not a service address of the "
                        + "network (NetworkConfig.Builder.addServiceAddress; JslirpNetwork adds its forwards' own)");
            }
            for (Rule r : rules) {
                if (r.server().equals(server) && r.port() == f.port()) {
                    throw new ConfigException(f.option(), "'" + f + "': " + server.toUriString() + ":" + f.port()
                            + " is forwarded already (by '" + r.forward() + "')");
                }
            }
            if (f.target() instanceof HostTarget.Command && !canRunCommands) {
                throw new ConfigException(f.option(), "'" + f + "': cmd: targets need Netty's native epoll "
                        + "transport (Linux; run with --io epoll), which gives the command a socket of the event loop");
            }
            rules.add(new Rule(server, f.port(), f));
        }
        return rules.isEmpty() ? NONE : new GuestForwards(List.copyOf(rules));
    }

    /**
     * {@code net} with the server addresses of {@code forwards} added as service
     * addresses, so the network answers for them (an address already there counts once).
     *
     * @throws ConfigException naming the forward's option if a server address does not
     *         fit the network (outside it, or the gateway's, DNS's, first DHCP address)
     */
    public static NetworkConfig announce(NetworkConfig net, List<GuestForward> forwards) {
        if (forwards.isEmpty()) {
            return net;
        }
        NetworkConfig.Builder b = net.toBuilder();
        for (GuestForward f : forwards) {
            b.addServiceAddress(f.serverIn(net), f.option());
        }
        return b.build();
    }

    /** Where a guest connection to {@code (hi, lo)} (an {@link IpAddress} pair) and {@code port} goes, or null. */
    public HostTarget target(long hi, long lo, int port) {
        for (int i = 0; i < rules.size(); i++) {
            Rule r = rules.get(i);
            if (r.port() == port && r.server().is(hi, lo)) {
                return r.forward().target();
            }
        }
        return null;
    }

    /** The forwards, in the order given. */
    public List<Rule> rules() {
        return rules;
    }
}
