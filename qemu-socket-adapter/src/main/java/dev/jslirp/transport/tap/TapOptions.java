package dev.jslirp.transport.tap;

import dev.jslirp.core.config.ConfigException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Which tap the transport serves and how it is set up.
 *
 * @param ifname        the interface's name, at most 15 bytes ({@code IFNAMSIZ} - 1), as
 *                      Linux accepts it (no {@code /}, {@code :} or white space, not
 *                      {@code .} or {@code ..}); may hold one {@code %d} for the kernel to number
 * @param netns         the namespace to create the tap in, or null for jslirp's own
 * @param staticAddress whether to give the interface the network's first DHCP address
 *                      and a default route via the gateway instead of leaving that to a
 *                      DHCP client; only with {@code netns}
 * @param offload       whether to enable the tap's segmentation offload both ways
 *                      ({@code --tap-offload}): TCP super-frames of up to 64 KiB with
 *                      partial checksums from and to the tap, segmented by the kernel
 *                      (see {@link TapDevice#enableOffloads()} and {@link TapFrameSink})
 */
public record TapOptions(String ifname, NetworkNamespace netns, boolean staticAddress, boolean offload) {
    /** Whether offloads are on unless told otherwise. */
    public static final boolean DEFAULT_OFFLOAD = true;

    /** The interface name {@code --netns} uses unless told otherwise (as slirp4netns's examples). */
    public static final String DEFAULT_NETNS_IFNAME = "tap0";

    /** Checks the name and the combination. */
    public TapOptions {
        Objects.requireNonNull(ifname, "ifname");
        checkName(ifname);
        if (staticAddress && netns == null) {
            throw new ConfigException("netns-static", "applies to a tap in a network namespace (--netns) only");
        }
    }

    /** Options with offloads as {@link #DEFAULT_OFFLOAD} says. */
    public TapOptions(String ifname, NetworkNamespace netns, boolean staticAddress) {
        this(ifname, netns, staticAddress, DEFAULT_OFFLOAD);
    }

    /** These options with offloads on or off. */
    public TapOptions withOffload(boolean on) {
        return new TapOptions(ifname, netns, staticAddress, on);
    }

    /** A tap in jslirp's own network namespace. */
    public static TapOptions tap(String ifname) {
        return new TapOptions(ifname, null, false);
    }

    /** A tap created in {@code netns}. */
    public static TapOptions inNamespace(NetworkNamespace netns, String ifname, boolean staticAddress) {
        return new TapOptions(ifname, Objects.requireNonNull(netns, "netns"), staticAddress);
    }

    /** Linux's {@code dev_valid_name()} rules (net/core/dev.c). */
    private static void checkName(String name) {
        String form = "expected an interface name of 1..15 characters without '/', ':' or spaces, e.g. tap0";
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes == 0 || bytes >= IfReq.IFNAMSIZ) {
            throw new ConfigException("tap", "'" + name + "' (" + form + ")");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new ConfigException("tap", "'" + name + "' (" + form + ")");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || Character.isWhitespace(c) || c > 0x7e || c < 0x21) {
                throw new ConfigException("tap", "'" + name + "' (" + form + ")");
            }
        }
    }
}
