package dev.jslirp.nat;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a guest's TCP connection continues on the host: a TCP address (the world, the
 * host's loopback for the gateway, a {@code guestfwd=...-tcp:HOST:PORT}), a unix socket
 * ({@code guestfwd=...-unix:PATH}) or a command whose standard input and output carry
 * the connection ({@code guestfwd=...-cmd:COMMAND}). {@link HostAddressMapper#tcpTarget}
 * decides which; the TCP NAT's host connector opens it.
 */
public sealed interface HostTarget {
    /** A TCP address. */
    record Inet(InetSocketAddress address) implements HostTarget {
        /** Checks the address. */
        public Inet {
            Objects.requireNonNull(address, "address");
        }

        /** QEMU's chardev form, {@code tcp:HOST:PORT}. */
        @Override
        public String toString() {
            String host = address.getAddress() == null ? address.getHostString() : address.getAddress().getHostAddress();
            return "tcp:" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
        }
    }

    /** A unix stream socket. */
    record Unix(Path path) implements HostTarget {
        /** Checks the path. */
        public Unix {
            Objects.requireNonNull(path, "path");
        }

        /** QEMU's chardev form, {@code unix:PATH}. */
        @Override
        public String toString() {
            return "unix:" + path;
        }
    }

    /**
     * A command run by {@code /bin/sh -c} for each connection, with one end of the
     * connection as its standard input and output (see {@link dev.jslirp.nat.guestfwd.CommandLauncher}).
     */
    record Command(String command) implements HostTarget {
        /** Checks the command. */
        public Command {
            Objects.requireNonNull(command, "command");
        }

        /** QEMU's form, {@code cmd:COMMAND}. */
        @Override
        public String toString() {
            return "cmd:" + command;
        }
    }
}
