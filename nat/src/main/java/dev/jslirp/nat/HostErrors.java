package dev.jslirp.nat;

import dev.jslirp.core.spi.IcmpError;
import io.netty.channel.unix.Errors;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.PortUnreachableException;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.nio.channels.DatagramChannel;

/**
 * What a host socket's failure means to the guest: the ICMP error a router between the
 * guest and the destination would have sent, as the NAT answers a failed TCP connect or
 * UDP send (libslirp's tcp_input() and udp's sosendto() make the same choices).
 *
 * <h2>Telling "no route" from "host unreachable"</h2>
 * <p>A connect fails with {@code ENETUNREACH} when the host has no route to the
 * destination, and with {@code EHOSTUNREACH} when a route exists but the neighbour did
 * not answer ARP or neighbour solicitation (or a router said so, or the route is of type
 * {@code unreachable}). The JDK keeps them apart ({@link NoRouteToHostException} for
 * EHOSTUNREACH, a plain {@link SocketException} for ENETUNREACH); Netty's epoll
 * transport (4.2, {@code Errors.newConnectException0}) throws a bare
 * {@link NoRouteToHostException} for both when a connect fails. Then a route lookup
 * settles it: connecting a JDK UDP socket to the destination sends nothing but asks the
 * kernel for a route, and fails with ENETUNREACH exactly when there is none (EHOSTUNREACH
 * for an {@code unreachable} route, EACCES for a {@code prohibit} one); it costs three
 * system calls, on failures only. When a route exists the failure came from the way
 * (no answer to ARP, or a router's ICMP error) and is taken for host unreachable, the
 * common case; a router's "network unreachable" then reaches the guest as host
 * unreachable on epoll (the JDK reports it as it is).
 */
public final class HostErrors {
    private HostErrors() {
    }

    /**
     * The ICMP error for a failed connect or send to {@code target}, or null if the failure
     * is none a router reports: a refused TCP connection (a RST's business), a timeout, a
     * local error.
     */
    public static IcmpError unreachable(Throwable cause, InetSocketAddress target) {
        if (cause instanceof PortUnreachableException) {
            return IcmpError.PORT_UNREACHABLE;
        }
        if (cause instanceof NoRouteToHostException) {
            // The JDK's says EHOSTUNREACH; Netty epoll's (bare, under Netty's annotated copy) either.
            return isBare(cause) ? routeTo(target) : IcmpError.HOST_UNREACHABLE;
        }
        if (cause instanceof Errors.NativeIoException) {
            // Netty epoll's failed send or read: errors reported on a UDP socket.
            int err = ((Errors.NativeIoException) cause).expectedErr();
            if (err == Errors.ERROR_ECONNREFUSED_NEGATIVE) {
                return IcmpError.PORT_UNREACHABLE;
            }
            return err == Errors.ERROR_EHOSTUNREACH_NEGATIVE ? IcmpError.HOST_UNREACHABLE
                    : err == Errors.ERROR_ENETUNREACH_NEGATIVE ? IcmpError.NET_UNREACHABLE : null;
        }
        if (cause instanceof ConnectException || cause instanceof BindException) {
            return null;
        }
        if (cause instanceof SocketException && mentionsUnreachable(cause.getMessage())) {
            // The JDK's ENETUNREACH: "Network is unreachable".
            return IcmpError.NET_UNREACHABLE;
        }
        return null;
    }

    /** True if the innermost {@link NoRouteToHostException} of {@code cause} has no message: Netty native's. */
    private static boolean isBare(Throwable cause) {
        Throwable innermost = cause;
        for (Throwable t = cause; t != null && t != t.getCause(); t = t.getCause()) {
            if (t instanceof NoRouteToHostException) {
                innermost = t;
            }
        }
        return innermost.getMessage() == null;
    }

    private static boolean mentionsUnreachable(String message) {
        return message != null && message.contains("unreachable");
    }

    /**
     * The error that the lack of a route to {@code target} stands for: network unreachable
     * if the host has none, administratively prohibited for a {@code prohibit} route, host
     * unreachable otherwise (the route exists or is of type {@code unreachable}).
     */
    static IcmpError routeTo(InetSocketAddress target) {
        StandardProtocolFamily family = target.getAddress() instanceof Inet6Address
                ? StandardProtocolFamily.INET6 : StandardProtocolFamily.INET;
        try (DatagramChannel probe = DatagramChannel.open(family)) {
            // Port 9 (discard) if none: connect(2) needs one; nothing is sent either way.
            probe.connect(new InetSocketAddress(target.getAddress(), target.getPort() == 0 ? 9 : target.getPort()));
            return IcmpError.HOST_UNREACHABLE;
        } catch (NoRouteToHostException e) {
            return IcmpError.HOST_UNREACHABLE;
        } catch (BindException e) {
            return IcmpError.ADMIN_PROHIBITED;
        } catch (SocketException e) {
            return IcmpError.NET_UNREACHABLE;
        } catch (IOException e) {
            return IcmpError.HOST_UNREACHABLE;
        }
    }
}
