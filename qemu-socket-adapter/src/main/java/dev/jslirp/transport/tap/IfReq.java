package dev.jslirp.transport.tap;

import com.sun.jna.Memory;
import java.nio.charset.StandardCharsets;

/**
 * A {@code struct ifreq} ({@code <linux/if.h>}) in native memory, the argument of the
 * tun and interface ioctls:
 *
 * <pre>
 * struct ifreq {
 *     char ifr_name[IFNAMSIZ];          // offset 0, 16 bytes, NUL-terminated
 *     union {                           // offset 16
 *         short           ifru_flags;   //   TUNSETIFF, SIOCGIFFLAGS/SIOCSIFFLAGS
 *         int             ifru_mtu;     //   SIOCGIFMTU/SIOCSIFMTU
 *         int             ifru_ivalue;  //   SIOCGIFINDEX (ifr_ifindex)
 *         struct sockaddr ifru_addr;    //   SIOCSIFADDR, SIOCSIFNETMASK (16 bytes)
 *         struct ifmap    ifru_map;     //   the largest member: 24 bytes on LP64
 *         ...
 *     };
 * };                                    // 40 bytes on LP64 (32 on 32-bit)
 * </pre>
 *
 * <p>Numbers are in the host's byte order except the address of a
 * {@code struct sockaddr_in} (family, then port and address in network order).
 */
final class IfReq {
    /** {@code IFNAMSIZ} from {@code <linux/if.h>}: the name field, terminating NUL included. */
    static final int IFNAMSIZ = 16;
    /** {@code sizeof(struct ifreq)} on LP64; ample on 32-bit platforms. */
    static final int SIZE = 40;
    private static final int UNION = IFNAMSIZ;
    /** {@code ARPHRD_ETHER}: the hardware type of an Ethernet device such as a tap. */
    static final int ARPHRD_ETHER = 1;

    private final Memory mem = new Memory(SIZE);

    /** A zeroed request for interface {@code name} (at most 15 bytes, checked by {@link TapOptions}). */
    IfReq(String name) {
        mem.clear();
        byte[] b = name.getBytes(StandardCharsets.US_ASCII);
        if (b.length >= IFNAMSIZ) {
            throw new IllegalArgumentException("interface name longer than " + (IFNAMSIZ - 1) + " bytes: " + name);
        }
        mem.write(0, b, 0, b.length);
    }

    /** The native memory, for ioctl. */
    Memory pointer() {
        return mem;
    }

    /** {@code ifr_name} as the kernel left it (TUNSETIFF fills in a {@code %d} pattern). */
    String name() {
        return mem.getString(0, StandardCharsets.US_ASCII.name());
    }

    short flags() {
        return mem.getShort(UNION);
    }

    void flags(int flags) {
        mem.setShort(UNION, (short) flags);
    }

    /** {@code ifr_ifindex}, as SIOCGIFINDEX left it. */
    int ifindex() {
        return mem.getInt(UNION);
    }

    int mtu() {
        return mem.getInt(UNION);
    }

    void mtu(int mtu) {
        mem.setInt(UNION, mtu);
    }

    /**
     * Sets {@code ifru_hwaddr}, a {@code struct sockaddr} whose family is the link type
     * ({@code ARPHRD_ETHER}, {@code <linux/if_arp.h>}: the kernel refuses another) and
     * whose {@code sa_data} starts with the 6 bytes of {@code mac}.
     */
    void hardwareAddress(long mac) {
        mem.setMemory(UNION, 16, (byte) 0);
        mem.setShort(UNION, (short) ARPHRD_ETHER);
        for (int i = 0; i < 6; i++) {
            mem.setByte(UNION + 2 + i, (byte) (mac >>> (8 * (5 - i))));
        }
    }

    /** Sets {@code ifru_addr} to the {@code struct sockaddr_in} of IPv4 {@code address}, port 0. */
    void ipv4(int address) {
        writeSockaddrIn(mem, UNION, address);
    }

    /**
     * Writes a {@code struct sockaddr_in} ({@code <linux/in.h>}, 16 bytes) for IPv4
     * {@code address} and port 0 at {@code offset}: family in host order, then port and
     * address in network order, then 8 bytes of zero padding.
     */
    static void writeSockaddrIn(Memory m, long offset, int address) {
        m.setMemory(offset, 16, (byte) 0);
        m.setShort(offset, (short) LibC.AF_INET);
        m.setByte(offset + 4, (byte) (address >>> 24));
        m.setByte(offset + 5, (byte) (address >>> 16));
        m.setByte(offset + 6, (byte) (address >>> 8));
        m.setByte(offset + 7, (byte) address);
    }
}
