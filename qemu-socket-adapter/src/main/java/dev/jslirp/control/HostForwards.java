package dev.jslirp.control;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.nat.NatService;
import dev.jslirp.nat.hostfwd.HostForward;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.Locale;

/**
 * Port forwards added and removed while a network runs: the checks and NAT calls that
 * HMP's {@code hostfwd_add}/{@code hostfwd_remove} on the control socket and the
 * slirp4netns API's {@code add_hostfwd}/{@code remove_hostfwd} share. Call on the
 * network's event loop, where the NAT's tables live; binding a listener completes there
 * at once.
 */
public final class HostForwards {
    private HostForwards() {
    }

    /** A forward the network cannot set up; the message says why, without the rule. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Adds {@code forward} to {@code network}'s NAT: a guest address of 0 means the first
     * DHCP address, as in QEMU.
     *
     * @return where the host listens (port 0 replaced by the one the system chose)
     * @throws Refused if the guest address is not a guest's, the host address and port
     *                 are forwarded already, or the listener cannot be bound
     */
    public static InetSocketAddress add(JslirpNetwork network, HostForward forward) throws Refused {
        NetworkConfig net = network.guest().config();
        int guest = forward.guestAddress() != 0 ? forward.guestAddress() : net.dhcpStart();
        if (!net.inNetwork(guest) || net.isOwnAddress(guest) || guest == net.network() || guest == net.broadcast()) {
            throw new Refused("guest address " + Ipv4Address.toString(guest) + " is not a guest address of net "
                    + Ipv4Address.toString(net.network()) + "/" + net.prefixLength());
        }
        if (forward.hostPort() != 0 && forwarded(network, forward.protocol(), forward.hostAddress(), forward.hostPort())) {
            throw new Refused("hostfwd " + forward.protocol().name().toLowerCase(Locale.ROOT) + " "
                    + Ipv4Address.toString(forward.hostAddress()) + ":" + forward.hostPort() + " is forwarded already");
        }
        NatService nat = network.nat();
        try {
            return forward.protocol() == HostForward.Protocol.TCP ? nat.tcp().addForward(forward)
                    : done(nat.udp().addForward(forward));
        } catch (ConfigException e) {
            String prefix = "invalid " + e.option() + ": ";
            String detail = e.getMessage().startsWith(prefix) ? e.getMessage().substring(prefix.length()) : e.getMessage();
            throw new Refused("hostfwd: " + detail);
        } catch (IllegalStateException e) {
            throw new Refused(e.getMessage());
        }
    }

    /**
     * Removes the forward of {@code protocol} listening on {@code hostAddress:hostPort};
     * connections it accepted go on.
     *
     * @return false if there is none
     */
    public static boolean remove(JslirpNetwork network, HostForward.Protocol protocol, int hostAddress, int hostPort) {
        NatService nat = network.nat();
        return protocol == HostForward.Protocol.TCP ? nat.tcp().removeForward(hostAddress, hostPort)
                : done(nat.udp().removeForward(hostAddress, hostPort));
    }

    /** True if a forward of {@code protocol} listens on {@code address:port} already. */
    private static boolean forwarded(JslirpNetwork network, HostForward.Protocol protocol, int address, int port) {
        Collection<InetSocketAddress> listening = protocol == HostForward.Protocol.TCP
                ? network.nat().tcp().forwards().values() : network.nat().udp().forwardAddresses();
        for (InetSocketAddress a : listening) {
            if (a.getPort() == port && Ipv4Address.fromInetAddress(a.getAddress()) == address) {
                return true;
            }
        }
        return false;
    }

    /** The result of a future that completed on this loop; its failure rethrown. */
    private static <T> T done(Future<T> f) {
        if (!f.isDone()) {
            throw new IllegalStateException("NAT operation did not complete on the event loop");
        }
        if (!f.isSuccess()) {
            Throwable t = f.cause();
            throw t instanceof RuntimeException r ? r : new IllegalStateException(t);
        }
        return f.getNow();
    }
}
