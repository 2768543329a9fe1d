package dev.jslirp.transport.tap;

import com.sun.jna.LastErrorException;
import com.sun.jna.NativeLong;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;

/**
 * An open tap device: the file descriptor from which each read(2) returns one
 * Ethernet frame the interface sent and to which each write(2) delivers one frame to
 * the interface, as if it came from the wire.
 *
 * <h2>How it is opened</h2>
 * <ol>
 *   <li>{@code open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)}: a tun file
 *       bound to the calling thread's network namespace, not yet to a device.</li>
 *   <li>{@code ioctl(fd, TUNSETIFF, {name, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR})}:
 *       attaches to the tap of that name in that namespace, creating it if there is
 *       none. No packet-info header ({@code IFF_NO_PI}); a 10-byte virtio-net header
 *       ({@code struct virtio_net_hdr}) before every frame read and written
 *       ({@link #VNET_HEADER}), so that jslirp can leave the TCP checksum of a segment
 *       it sends for the guest's kernel to take as valid rather than compute it (see
 *       {@link TapFrameSink}). A name with
 *       {@code %d} ({@code tap%d}) lets the kernel pick a free number.</li>
 *   <li>{@code ioctl(fd, TUNGETIFF)}: reads the device's flags back, to learn whether it
 *       is persistent and has the header.</li>
 *   <li>Later, with offloads on ({@link #enableOffloads()}, the transport's choice):
 *       {@code ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)}, so the
 *       namespace's kernel may hand jslirp TCP super-frames of up to 64 KiB with a
 *       partial checksum instead of cutting and summing every 1500-byte segment itself.
 *       Without it the kernel hands jslirp only complete frames with complete checksums.
 *       Frames jslirp writes may be super-frames either way: the tun driver takes GSO
 *       on write whatever the offloads ({@code virtio_net_hdr_to_skb()}).</li>
 * </ol>
 *
 * <h2>Lifetime</h2>
 * <p>A tap jslirp creates is not persistent: the kernel removes it when the last file
 * descriptor closes, that is when jslirp exits (or the namespace goes away). A
 * persistent tap made beforehand ({@code ip tuntap add dev tap0 mode tap [user U]}) is
 * attached to and survives jslirp. Either way the descriptor stays valid if the
 * interface later moves to another namespace ({@code ip link set tap0 netns NS}), and
 * if the calling thread leaves the namespace it opened the tap in.
 */
public final class TapDevice implements AutoCloseable {
    /** The tun/tap clone device ({@code Documentation/networking/tuntap.rst}). */
    static final String CLONE_DEVICE = "/dev/net/tun";

    // <linux/if_tun.h>
    /** {@code _IOW('T', 202, int)}: attach the file to a tun/tap device. */
    static final int TUNSETIFF = 0x400454ca;
    /** {@code _IOR('T', 210, unsigned int)}: read the attached device's name and flags. */
    static final int TUNGETIFF = 0x800454d2;
    /** {@code _IOW('T', 208, unsigned int)}: set the offloads the reader takes ({@code TUN_F_*}). */
    static final int TUNSETOFFLOAD = 0x400454d0;
    /** {@code TUN_F_CSUM}: frames read may carry a partial checksum (virtio-net NEEDS_CSUM). */
    static final int TUN_F_CSUM = 0x01;
    /** {@code TUN_F_TSO4}: frames read may be TCP/IPv4 super-frames (GSO TCPV4), needs TUN_F_CSUM. */
    static final int TUN_F_TSO4 = 0x02;
    /** {@code TUN_F_TSO6}: frames read may be TCP/IPv6 super-frames (GSO TCPV6), needs TUN_F_CSUM. */
    static final int TUN_F_TSO6 = 0x04;
    /** {@code IFF_TAP}: an Ethernet (layer 2) device. */
    static final int IFF_TAP = 0x0002;
    /** {@code IFF_NO_PI}: no 4-byte packet-information header before each frame. */
    static final int IFF_NO_PI = 0x1000;
    /** {@code IFF_PERSIST}: the device outlives its file descriptors. */
    static final int IFF_PERSIST = 0x0800;
    /** {@code IFF_VNET_HDR}: a virtio-net header before each frame. */
    static final int IFF_VNET_HDR = 0x4000;
    /** Bytes of {@code struct virtio_net_hdr}, the tun driver's default header size. */
    public static final int VNET_HEADER = 10;

    private final FileDescriptor fd;
    private final String name;
    private final boolean persistent;
    private final boolean vnetHeader;

    private TapDevice(FileDescriptor fd, String name, boolean persistent, boolean vnetHeader) {
        this.fd = fd;
        this.name = name;
        this.persistent = persistent;
        this.vnetHeader = vnetHeader;
    }

    /**
     * Opens (creating if missing) the tap {@code name} in the calling thread's network
     * namespace, non-blocking. Needs CAP_NET_ADMIN there unless the tap exists and
     * belongs to the calling user.
     *
     * @throws IOException with a message naming the device and what is missing
     */
    public static TapDevice open(String name) throws IOException {
        LibC c = LibC.get();
        int fd;
        try {
            fd = c.open(CLONE_DEVICE, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw TapErrors.openTun(CLONE_DEVICE, e);
        }
        try {
            IfReq req = new IfReq(name);
            req.flags(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
            try {
                c.ioctl(fd, new NativeLong(TUNSETIFF), req.pointer());
            } catch (LastErrorException e) {
                throw TapErrors.attach(name, e);
            }
            IfReq got = new IfReq("");
            try {
                c.ioctl(fd, new NativeLong(TUNGETIFF), got.pointer());
            } catch (LastErrorException e) {
                throw TapErrors.attach(name, e);
            }
            return new TapDevice(new FileDescriptor(fd), got.name(), (got.flags() & IFF_PERSIST) != 0,
                    (got.flags() & IFF_VNET_HDR) != 0);
        } catch (IOException | RuntimeException e) {
            new TapDevice(new FileDescriptor(fd), name, false, false).close();
            throw e;
        }
    }

    /**
     * Takes over {@code fd}, a tun file already attached to a tap, possibly in another
     * network namespace (one a helper process opened there and passed over a unix
     * socket): reads the device's name and flags back ({@code TUNGETIFF} works from any
     * namespace), and makes the descriptor non-blocking and close-on-exec here. On
     * failure {@code fd} is closed.
     *
     * @throws IOException if {@code fd} is not a tun file attached to a tap
     */
    public static TapDevice adopt(int fd) throws IOException {
        LibC c = LibC.get();
        try {
            c.fcntl(fd, LibC.F_SETFD, LibC.FD_CLOEXEC);
            c.fcntl(fd, LibC.F_SETFL, c.fcntl(fd, LibC.F_GETFL, 0) | LibC.O_NONBLOCK);
            IfReq got = new IfReq("");
            c.ioctl(fd, new NativeLong(TUNGETIFF), got.pointer());
            if ((got.flags() & IFF_TAP) == 0) {
                throw new IOException("descriptor " + fd + " is attached to tun " + got.name() + ", not to a tap");
            }
            return new TapDevice(new FileDescriptor(fd), got.name(), (got.flags() & IFF_PERSIST) != 0,
                    (got.flags() & IFF_VNET_HDR) != 0);
        } catch (LastErrorException e) {
            new TapDevice(new FileDescriptor(fd), "?", false, false).close();
            throw new IOException("descriptor " + fd + " is not an attached tun file: " + e.getMessage(), e);
        } catch (IOException e) {
            new TapDevice(new FileDescriptor(fd), "?", false, false).close();
            throw e;
        }
    }

    /**
     * A descriptor that behaves like a tap (one message per read and write, e.g. one
     * end of a unix datagram socket pair) under {@code name}: for tests.
     */
    static TapDevice wrap(FileDescriptor fd, String name) {
        return wrap(fd, name, false);
    }

    /** As {@link #wrap(FileDescriptor, String)}, with or without virtio-net headers on its messages. */
    static TapDevice wrap(FileDescriptor fd, String name, boolean vnetHeader) {
        return new TapDevice(fd, name, false, vnetHeader);
    }

    /** The descriptor, non-blocking, for Netty's native reads and writes. */
    public FileDescriptor fd() {
        return fd;
    }

    /** The interface's name as the kernel knows it. */
    public String name() {
        return name;
    }

    /** True if the device existed as a persistent tap and outlives jslirp; false if jslirp's closing removes it. */
    public boolean persistent() {
        return persistent;
    }

    /** True if every frame read and written carries a {@value #VNET_HEADER}-byte virtio-net header first. */
    public boolean vnetHeader() {
        return vnetHeader;
    }

    /**
     * Tells the kernel that jslirp takes partial checksums and TCP super-frames of both
     * families on read ({@code TUNSETOFFLOAD}, see the class comment). Needs the
     * virtio-net header; works from any namespace, on a descriptor opened or adopted.
     *
     * @throws IOException if the device has no virtio-net header or the kernel refuses
     */
    public void enableOffloads() throws IOException {
        if (!vnetHeader) {
            throw new IOException(this + " has no virtio-net header, which offloads need");
        }
        try {
            LibC.get().ioctl(fd.intValue(), new NativeLong(TUNSETOFFLOAD),
                    new NativeLong(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6));
        } catch (LastErrorException e) {
            throw new IOException("cannot enable offloads on " + this + ": " + e.getMessage(), e);
        }
    }

    /** Closes the descriptor: a non-persistent tap disappears. Idempotent. */
    @Override
    public void close() {
        try {
            fd.close();
        } catch (IOException e) {
            // close(2) of a tun file cannot fail in a way worth reporting at shutdown.
        }
    }

    @Override
    public String toString() {
        return "tap " + name + (persistent ? " (persistent)" : "");
    }
}
