package dev.jslirp.transport.tap;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import dev.jslirp.core.wire.IpAddress;
import java.io.IOException;

/**
 * Interface configuration by the classic socket ioctls ({@code netdevice(7)}), issued
 * on an IPv4 datagram socket: MTU, link up, and for {@code --netns-static} an address
 * and a default route (and a MAC address for slirp4netns's {@code --macaddress}); the
 * IPv6 address and route go through an IPv6 datagram socket,
 * opened when first needed ({@code ipv6(7)}: {@code struct in6_ifreq} and
 * {@code struct in6_rtmsg}, what net-tools' {@code ifconfig}/{@code route -A inet6} use).
 * The sockets, and so every change, belong to the network namespace of the thread that
 * opened them; jslirp opens them once per start-up, on the thread that also opens the tap.
 *
 * <p>Every call needs {@code CAP_NET_ADMIN} in the namespace's user namespace except
 * {@link #mtu}; a refusal is an {@link IOException} saying so (see {@link TapErrors}).
 */
final class LinkControl implements AutoCloseable {
    // <linux/sockios.h>
    /** Gets {@code ifr_flags}. */
    static final int SIOCGIFFLAGS = 0x8913;
    /** Sets {@code ifr_flags}. */
    static final int SIOCSIFFLAGS = 0x8914;
    /** Sets the interface's IPv4 address. */
    static final int SIOCSIFADDR = 0x8916;
    /** Sets the interface's IPv4 netmask. */
    static final int SIOCSIFNETMASK = 0x891c;
    /** Gets {@code ifr_mtu}. */
    static final int SIOCGIFMTU = 0x8921;
    /** Sets {@code ifr_mtu}. */
    static final int SIOCSIFMTU = 0x8922;
    /** Sets the interface's hardware (MAC) address. */
    static final int SIOCSIFHWADDR = 0x8924;
    /** Adds a route ({@code struct rtentry}; {@code struct in6_rtmsg} on an IPv6 socket). */
    static final int SIOCADDRT = 0x890b;
    /** Gets {@code ifr_ifindex}. */
    static final int SIOCGIFINDEX = 0x8933;

    // <linux/if.h>
    /** {@code IFF_UP}: the interface is administratively up. */
    static final int IFF_UP = 0x1;

    // <linux/route.h>
    /** {@code RTF_UP}: the route is usable. */
    static final int RTF_UP = 0x1;
    /** {@code RTF_GATEWAY}: the destination is reached through a gateway. */
    static final int RTF_GATEWAY = 0x2;

    /**
     * {@code struct rtentry} on LP64 ({@code <linux/route.h>}): {@code unsigned long
     * rt_pad1} at 0, then three {@code struct sockaddr} of 16 bytes: {@code rt_dst} at
     * 8, {@code rt_gateway} at 24, {@code rt_genmask} at 40; {@code unsigned short
     * rt_flags} at 56; then padding, pointers and longs up to {@code unsigned short
     * rt_irtt} at 112; 120 bytes in all. All-zero fields mean "none" ({@code rt_dev}
     * NULL: the kernel picks the interface from the gateway).
     */
    private static final int RTENTRY_SIZE = 120;
    private static final int RT_DST = 8;
    private static final int RT_GATEWAY = 24;
    private static final int RT_GENMASK = 40;
    private static final int RT_FLAGS = 56;

    /**
     * {@code struct in6_ifreq} ({@code <linux/ipv6.h>}): {@code struct in6_addr ifr6_addr}
     * at 0, {@code __u32 ifr6_prefixlen} at 16, {@code int ifr6_ifindex} at 20; 24 bytes.
     */
    private static final int IN6_IFREQ_SIZE = 24;
    /**
     * {@code struct in6_rtmsg} ({@code <linux/ipv6_route.h>}) on LP64: {@code rtmsg_dst}
     * at 0, {@code rtmsg_src} at 16, {@code rtmsg_gateway} at 32 (each a 16-byte
     * {@code in6_addr}), {@code __u32 rtmsg_type} at 48, {@code __u16 rtmsg_dst_len} at
     * 52, {@code rtmsg_src_len} at 54, {@code __u32 rtmsg_metric} at 56, {@code unsigned
     * long rtmsg_info} at 64, {@code __u32 rtmsg_flags} at 72, {@code int rtmsg_ifindex}
     * at 76; 80 bytes. Zero type and metric mean unicast and the kernel's user priority
     * (1024), as {@code ip -6 route add} gives.
     */
    private static final int IN6_RTMSG_SIZE = 80;
    private static final int RTMSG_GATEWAY = 32;
    private static final int RTMSG_FLAGS = 72;
    private static final int RTMSG_IFINDEX = 76;

    private final int socket;
    /** The IPv6 socket, opened on first use, or -1. */
    private int socket6 = -1;

    private LinkControl(int socket) {
        this.socket = socket;
    }

    /** Opens the control socket in the calling thread's network namespace. */
    static LinkControl open() throws IOException {
        try {
            return new LinkControl(LibC.get().socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0));
        } catch (LastErrorException e) {
            throw new IOException("cannot open a socket to configure interfaces: " + e.getMessage(), e);
        }
    }

    /** The MTU of {@code ifname}. */
    int mtu(String ifname) throws IOException {
        IfReq req = new IfReq(ifname);
        ioctl(SIOCGIFMTU, req.pointer(), "read the MTU of " + ifname);
        return req.mtu();
    }

    /** Sets the MTU of {@code ifname}. */
    void mtu(String ifname, int mtu) throws IOException {
        IfReq req = new IfReq(ifname);
        req.mtu(mtu);
        ioctl(SIOCSIFMTU, req.pointer(), "set the MTU of " + ifname + " to " + mtu);
    }

    /** Brings {@code ifname} up ({@code ip link set IFNAME up}). */
    void up(String ifname) throws IOException {
        IfReq req = new IfReq(ifname);
        ioctl(SIOCGIFFLAGS, req.pointer(), "read the flags of " + ifname);
        req.flags(req.flags() | IFF_UP);
        ioctl(SIOCSIFFLAGS, req.pointer(), "bring " + ifname + " up");
    }

    /** Gives {@code ifname} IPv4 {@code address} with {@code netmask} ({@code ip addr add A/LEN dev IFNAME}). */
    void address(String ifname, int address, int netmask) throws IOException {
        IfReq req = new IfReq(ifname);
        req.ipv4(address);
        ioctl(SIOCSIFADDR, req.pointer(), "set the address of " + ifname);
        req = new IfReq(ifname);
        req.ipv4(netmask);
        ioctl(SIOCSIFNETMASK, req.pointer(), "set the netmask of " + ifname);
    }

    /** Adds the default route via {@code gateway} ({@code ip route add default via GW}); LP64 only. */
    void defaultRoute(int gateway) throws IOException {
        if (Native.LONG_SIZE != 8 || Native.POINTER_SIZE != 8) {
            throw new IOException("setting a route needs a 64-bit platform (struct rtentry layout)");
        }
        Memory rt = new Memory(RTENTRY_SIZE);
        rt.clear();
        IfReq.writeSockaddrIn(rt, RT_DST, 0);
        IfReq.writeSockaddrIn(rt, RT_GATEWAY, gateway);
        IfReq.writeSockaddrIn(rt, RT_GENMASK, 0);
        rt.setShort(RT_FLAGS, (short) (RTF_UP | RTF_GATEWAY));
        ioctl(SIOCADDRT, rt, "add the default route");
    }

    /** Sets the MAC address of {@code ifname} ({@code ip link set IFNAME address MAC}); {@code mac} holds 6 bytes. */
    void hardwareAddress(String ifname, long mac) throws IOException {
        IfReq req = new IfReq(ifname);
        req.hardwareAddress(mac);
        ioctl(SIOCSIFHWADDR, req.pointer(), "set the MAC address of " + ifname);
    }

    /** The interface index of {@code ifname}. */
    int index(String ifname) throws IOException {
        IfReq req = new IfReq(ifname);
        ioctl(SIOCGIFINDEX, req.pointer(), "read the index of " + ifname);
        return req.ifindex();
    }

    /** Gives {@code ifname} IPv6 {@code address}/{@code prefixLength} ({@code ip -6 addr add A/LEN dev IFNAME}). */
    void ipv6Address(String ifname, IpAddress address, int prefixLength) throws IOException {
        Memory req = new Memory(IN6_IFREQ_SIZE);
        req.clear();
        req.write(0, address.toIpv6Bytes(), 0, 16);
        req.setInt(16, prefixLength);
        req.setInt(20, index(ifname));
        ioctl6(SIOCSIFADDR, req, "set the IPv6 address " + address + "/" + prefixLength + " of " + ifname);
    }

    /**
     * Adds the IPv6 default route via {@code gateway} on {@code ifname}
     * ({@code ip -6 route add default via GW dev IFNAME}); the interface is named because
     * the gateway may be link-local. LP64 only.
     */
    void ipv6DefaultRoute(String ifname, IpAddress gateway) throws IOException {
        if (Native.LONG_SIZE != 8) {
            throw new IOException("setting a route needs a 64-bit platform (struct in6_rtmsg layout)");
        }
        Memory rt = new Memory(IN6_RTMSG_SIZE);
        rt.clear();
        rt.write(RTMSG_GATEWAY, gateway.toIpv6Bytes(), 0, 16);
        rt.setInt(RTMSG_FLAGS, RTF_UP | RTF_GATEWAY);
        rt.setInt(RTMSG_IFINDEX, index(ifname));
        ioctl6(SIOCADDRT, rt, "add the IPv6 default route via " + gateway + " on " + ifname);
    }

    private void ioctl(int request, Memory arg, String what) throws IOException {
        ioctl(socket, request, arg, what);
    }

    private void ioctl6(int request, Memory arg, String what) throws IOException {
        if (socket6 < 0) {
            try {
                socket6 = LibC.get().socket(LibC.AF_INET6, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
            } catch (LastErrorException e) {
                throw new IOException("cannot " + what + ": no IPv6 socket (" + e.getMessage()
                        + "; is IPv6 disabled in the kernel?)", e);
            }
        }
        ioctl(socket6, request, arg, what);
    }

    private static void ioctl(int fd, int request, Memory arg, String what) throws IOException {
        try {
            LibC.get().ioctl(fd, new NativeLong(request), arg);
        } catch (LastErrorException e) {
            throw TapErrors.linkConfig(what, e);
        }
    }

    @Override
    public void close() {
        for (int fd : new int[] {socket, socket6}) {
            if (fd < 0) {
                continue;
            }
            try {
                LibC.get().close(fd);
            } catch (LastErrorException e) {
                // Nothing to do about a failed close of a socket only used for ioctls.
            }
        }
    }
}
