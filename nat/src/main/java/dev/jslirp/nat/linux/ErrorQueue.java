package dev.jslirp.nat.linux;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.function.Consumer;

/**
 * Reads a socket's error queue: {@code recvmsg(fd, MSG_ERRQUEUE)} until it is empty, each
 * entry parsed into a {@link SocketError}. Netty reads no error queue, so the NAT does
 * it here for the sockets it turned it on for ({@link NativeSockets#enableErrorQueue}).
 *
 * <p>One instance per network, used on its event loop: the {@code struct msghdr}, the
 * {@code iovec}, the address and control buffers live in one block of native memory
 * allocated once. Only the error path runs here, so parsing may allocate.
 *
 * <p>Layouts, Linux LP64 (x86-64, aarch64; {@link NativeSockets#isAvailable()}):
 * {@code struct msghdr} (name 0, namelen 8, iov 16, iovlen 24, control 32,
 * controllen 40, flags 48; 56 bytes), {@code struct cmsghdr} (len 0, level 8, type 12,
 * data 16), {@code struct sock_extended_err} (errno 0, origin 4, type 5, code 6, info 8,
 * data 12, the offender's address after it at 16), {@code sockaddr_in} and
 * {@code sockaddr_in6}.
 */
public final class ErrorQueue {
    /** Bytes of the offending datagram kept in {@link SocketError#payload()}: an ICMP header and more. */
    public static final int PAYLOAD_BYTES = 64;

    private static final int MSGHDR = 56;
    private static final int IOV = 16;
    private static final int NAME = 128;
    private static final int CONTROL = 512;
    private static final int NAME_AT = MSGHDR + IOV;
    private static final int CONTROL_AT = NAME_AT + NAME;
    private static final int DATA_AT = CONTROL_AT + CONTROL;
    private static final int CMSG_HEADER = 16;
    private static final int EE_OFFENDER = 16;

    private final Memory mem = new Memory(DATA_AT + PAYLOAD_BYTES);
    private final Pointer name = mem.share(NAME_AT);
    private final Pointer iov = mem.share(MSGHDR);
    private final Pointer control = mem.share(CONTROL_AT);
    private final Pointer data = mem.share(DATA_AT);

    /**
     * Reads every entry of {@code fd}'s error queue and hands each to {@code sink}.
     *
     * @return the entries read; -1 if {@code recvmsg} failed for another reason than an
     *         empty queue (the socket closed, say)
     */
    public int drain(int fd, Consumer<SocketError> sink) {
        LibC libc = LibC.get();
        int n = 0;
        while (true) {
            prepare();
            long got = libc.recvmsg(fd, mem, LibC.MSG_ERRQUEUE | LibC.MSG_DONTWAIT);
            if (got < 0) {
                return Native.getLastError() == LibC.EAGAIN ? n : -1;
            }
            n++;
            SocketError e = parse((int) Math.min(got, PAYLOAD_BYTES));
            if (e != null) {
                sink.accept(e);
            }
        }
    }

    private void prepare() {
        mem.setPointer(0, name);
        mem.setInt(8, NAME);
        mem.setPointer(16, iov);
        mem.setLong(24, 1);
        mem.setPointer(32, control);
        mem.setLong(40, CONTROL);
        mem.setInt(48, 0);
        mem.setPointer(MSGHDR, data);
        mem.setLong(MSGHDR + 8, PAYLOAD_BYTES);
    }

    /** The entry just read, or null if it carried no extended error (never seen; ignored). */
    private SocketError parse(int payloadLength) {
        int nameLength = mem.getInt(8);
        InetSocketAddress destination = nameLength > 0 ? address(NAME_AT, nameLength) : null;
        long controlLength = Math.min(mem.getLong(40), CONTROL);
        for (long off = 0; off + CMSG_HEADER <= controlLength; ) {
            long len = mem.getLong(CONTROL_AT + off);
            if (len < CMSG_HEADER || off + len > controlLength) {
                break;
            }
            int level = mem.getInt(CONTROL_AT + off + 8);
            int type = mem.getInt(CONTROL_AT + off + 12);
            if ((level == NativeSockets.SOL_IP && type == NativeSockets.IP_RECVERR)
                    || (level == NativeSockets.SOL_IPV6 && type == NativeSockets.IPV6_RECVERR)) {
                int ee = (int) (CONTROL_AT + off + CMSG_HEADER);
                int dataLength = (int) len - CMSG_HEADER;
                InetSocketAddress offender = dataLength > EE_OFFENDER
                        ? address(ee + EE_OFFENDER, dataLength - EE_OFFENDER) : null;
                return new SocketError(mem.getInt(ee), mem.getByte(ee + 4) & 0xff, mem.getByte(ee + 5) & 0xff,
                        mem.getByte(ee + 6) & 0xff, destination, offender == null ? null : offender.getAddress(),
                        mem.getByteArray(DATA_AT, payloadLength));
            }
            off += (len + 7) & ~7L;  // CMSG_ALIGN
        }
        return null;
    }

    /** The {@code sockaddr_in} or {@code sockaddr_in6} at {@code off}, or null if it is neither. */
    private InetSocketAddress address(int off, int length) {
        int family = mem.getShort(off) & 0xffff;
        int port = ((mem.getByte(off + 2) & 0xff) << 8) | (mem.getByte(off + 3) & 0xff);
        try {
            if (family == LibC.AF_INET && length >= 8) {
                return new InetSocketAddress(InetAddress.getByAddress(mem.getByteArray(off + 4, 4)), port);
            }
            if (family == LibC.AF_INET6 && length >= 24) {
                // An IPv4-mapped address comes back as the Inet4Address it stands for.
                return new InetSocketAddress(InetAddress.getByAddress(mem.getByteArray(off + 8, 16)), port);
            }
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes are an address", e);
        }
        return null;
    }
}
