package dev.jslirp.transport.tap;

import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import java.io.IOException;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What opening a tap does in the network namespace of the calling thread: open or
 * create it, set its MTU and bring it up, and optionally what {@code --netns-static}
 * and slirp4netns's {@code --configure} add (an address with a default route, a MAC
 * address, the loopback interface up). {@link #open()} does it all with a handful of
 * ioctls ({@link LinkControl}); the steps and their order are slirp4netns's
 * {@code configure_network()}: links up, MTU, MAC, address and netmask, route.
 *
 * <p>It runs where the tap must live: on a thread that entered the namespace
 * ({@link NetworkNamespace#call}), in jslirp's own namespace ({@code --tap}), or in a
 * helper process started inside the namespace (the slirp4netns mode without the
 * capabilities to enter it from the JVM).
 *
 * @param ifname       the interface, as {@link TapOptions} checks it
 * @param mtu          the MTU to set
 * @param address      the IPv4 address to give the interface, or 0 to leave addressing to
 *                     a DHCP client; with {@code netmask} and a default route via {@code gateway}
 * @param netmask      the netmask of {@code address}
 * @param gateway      the default route's gateway, with {@code address}
 * @param mac          the MAC address to set, or -1 to keep the kernel's random one
 * @param loopbackUp   whether to bring the namespace's {@code lo} up too (slirp4netns's
 *                     {@code --configure} does)
 * @param linkOptional whether a failure to set the MTU or bring the link up is only
 *                     logged: for a persistent tap the user owns in jslirp's own
 *                     namespace, which can be attached without CAP_NET_ADMIN and then
 *                     configured by the user
 * @param ipv6         the IPv6 steps around the link coming up (sysctls before, a static
 *                     address and route after), or null to leave IPv6 as the kernel has it
 */
public record TapSetup(String ifname, int mtu, int address, int netmask, int gateway, long mac, boolean loopbackUp,
                       boolean linkOptional, Ipv6 ipv6) {
    /** IPv6 around the link coming up; runs on the thread in the tap's namespace. */
    public interface Ipv6 {
        /**
         * Before the link comes up (the kernel starts autoconfiguring then): the IPv6
         * sysctls of {@code dev}.
         *
         * @return true if the tap will have usable IPv6
         */
        boolean beforeUp(TapDevice dev) throws IOException;

        /** After the IPv4 address: a static IPv6 address and default route, if any. */
        void afterAddress(LinkControl control, String ifname, boolean usable) throws IOException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(TapSetup.class);

    /** Checks the combination. */
    public TapSetup {
        Objects.requireNonNull(ifname, "ifname");
        if (mac != -1 && (mac < 0 || mac > MacAddress.BROADCAST || MacAddress.isMulticast(mac) || mac == 0)) {
            throw new IllegalArgumentException("not a unicast MAC address: " + mac);
        }
    }

    /** Open, set the MTU, bring up; nothing else. */
    public static TapSetup link(String ifname, int mtu) {
        return new TapSetup(ifname, mtu, 0, 0, 0, -1, false, false, null);
    }

    /** This setup with {@code address}/{@code netmask} and a default route via {@code gateway}. */
    public TapSetup withAddress(int address, int netmask, int gateway) {
        return new TapSetup(ifname, mtu, address, netmask, gateway, mac, loopbackUp, linkOptional, ipv6);
    }

    /** This setup with the interface's MAC address set to {@code mac} (6 bytes in a long). */
    public TapSetup withMac(long mac) {
        return new TapSetup(ifname, mtu, address, netmask, gateway, mac, loopbackUp, linkOptional, ipv6);
    }

    /** This setup bringing {@code lo} up as well. */
    public TapSetup withLoopbackUp() {
        return new TapSetup(ifname, mtu, address, netmask, gateway, mac, true, linkOptional, ipv6);
    }

    /** This setup with {@code steps} for IPv6 around the link coming up. */
    public TapSetup withIpv6(Ipv6 steps) {
        return new TapSetup(ifname, mtu, address, netmask, gateway, mac, loopbackUp, linkOptional, steps);
    }

    /** This setup with a failure to configure the link only logged (see {@code linkOptional}). */
    public TapSetup withLinkOptional() {
        return new TapSetup(ifname, mtu, address, netmask, gateway, mac, loopbackUp, true, ipv6);
    }

    /**
     * Opens the tap in the calling thread's network namespace and configures it.
     * Nothing is left open on failure.
     *
     * @throws IOException naming the step that failed and, where it is a permission,
     *                     the capability missing
     */
    public OpenedTap open() throws IOException {
        TapDevice dev = TapDevice.open(ifname);
        try (LinkControl control = LinkControl.open()) {
            boolean ipv6Usable = ipv6 != null && ipv6.beforeUp(dev);
            try {
                if (loopbackUp) {
                    control.up("lo");
                }
                control.mtu(dev.name(), mtu);
                control.up(dev.name());
            } catch (IOException e) {
                if (!linkOptional || !dev.persistent()) {
                    throw e;
                }
                LOG.warn("{}; configure it yourself: ip link set {} mtu {} up", e.getMessage(), dev.name(), mtu);
            }
            if (mac != -1) {
                control.hardwareAddress(dev.name(), mac);
            }
            if (address != 0) {
                control.address(dev.name(), address, netmask);
                control.defaultRoute(gateway);
            }
            if (ipv6 != null) {
                ipv6.afterAddress(control, dev.name(), ipv6Usable);
            }
            return new OpenedTap(dev, Math.max(mtu, control.mtu(dev.name())));
        } catch (IOException | RuntimeException e) {
            dev.close();
            throw e;
        }
    }

    @Override
    public String toString() {
        return ifname + " mtu " + mtu + (address == 0 ? "" : " " + Ipv4Address.toString(address) + " mask "
                + Ipv4Address.toString(netmask) + " via " + Ipv4Address.toString(gateway))
                + (mac == -1 ? "" : " mac " + MacAddress.toString(mac)) + (loopbackUp ? " lo up" : "");
    }
}
