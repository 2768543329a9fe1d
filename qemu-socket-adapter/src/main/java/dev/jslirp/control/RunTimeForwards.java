package dev.jslirp.control;

import dev.jslirp.JslirpNetwork;
import dev.jslirp.core.config.ConfigException;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.nat.hostfwd.HostForward;
import io.netty.util.concurrent.Future;
import java.net.InetSocketAddress;

/**
 * Port forwards added and removed while a network runs, as HMP's
 * {@code hostfwd_add}/{@code hostfwd_remove} on the control socket and the slirp4netns
 * API's {@code add_hostfwd}/{@code remove_hostfwd} both do: the NAT's one forward API
 * ({@link dev.jslirp.nat.NatService#addForward}), whose checks live in
 * {@link dev.jslirp.nat.hostfwd.HostForwards}, with its refusals turned into one
 * message each front end words its own way. Call on the network's event loop, where
 * binding a listener completes at once.
 */
public final class RunTimeForwards {
    private RunTimeForwards() {
    }

    /** A forward the network cannot set up; the message says why, without the rule. */
    public static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Adds {@code forward} to {@code network}'s NAT (no guest address: the first DHCP
     * address, as in QEMU).
     *
     * @return where the host listens (port 0 replaced by the one the system chose); null for a unix socket
     * @throws Refused if the guest address is not a guest's, the host address and port
     *                 are forwarded already, or the listener cannot be bound; the message
     *                 reads {@code hostfwd: why}
     */
    public static InetSocketAddress add(JslirpNetwork network, HostForward forward) throws Refused {
        try {
            return done(network.nat().addForward(forward));
        } catch (ConfigException e) {
            // "invalid hostfwd: 'RULE': why" becomes "hostfwd: why": the caller names the rule.
            String detail = e.getMessage();
            for (String prefix : new String[] {"invalid " + e.option() + ": ", "'" + forward + "': "}) {
                detail = detail.startsWith(prefix) ? detail.substring(prefix.length()) : detail;
            }
            throw new Refused(e.option() + ": " + detail);
        } catch (IllegalStateException e) {
            throw new Refused(e.getMessage());
        }
    }

    /**
     * Removes the forward of {@code protocol} listening on {@code hostAddress:hostPort}
     * (null: all addresses); connections it accepted go on.
     *
     * @return false if there is none
     */
    public static boolean remove(JslirpNetwork network, HostForward.Protocol protocol, IpAddress hostAddress,
                                 int hostPort) {
        return done(network.nat().removeForward(protocol, hostAddress, hostPort));
    }

    /**
     * Removes the forward listening on the host unix socket at {@code path} (and its file);
     * connections it accepted go on.
     *
     * @return false if there is none
     */
    public static boolean removeUnix(JslirpNetwork network, java.nio.file.Path path) {
        return done(network.nat().removeUnixForward(path));
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
