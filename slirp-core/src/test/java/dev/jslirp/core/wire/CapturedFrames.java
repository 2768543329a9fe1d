package dev.jslirp.core.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;

/**
 * Frames a real guest sent: Debian's 6.1 kernel with busybox, under QEMU 7.2 with
 * {@code -netdev user} and {@code -object filter-dump} (the whole capture is
 * test-captures/src/test/resources/captures/guest-arp-ping-syn.pcap).
 */
final class CapturedFrames {
    /** Frame 1: ARP who-has 10.0.2.2 tell 10.0.2.15. */
    static final String ARP_REQUEST =
            "ffffffffffff525400123456080600010800060400015254001234560a00020f0000000000000a000202";
    /** Frame 3: ICMP echo request 10.0.2.15 → 10.0.2.2, id 0x60, seq 0, 56 data bytes. */
    static final String ECHO_REQUEST =
            "52550a0002025254001234560800450000541586400040010d130a00020f0a0002020800a35500600000374a1d00"
            + "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
            + "00000000000000000000";
    /** Frame 11: TCP SYN 10.0.2.15:34526 → 10.0.2.2:1, MSS 1460, SACK_PERM, TS, WS 5. */
    static final String TCP_SYN =
            "52550a00020252540012345608004500003c5ce240004006c5c90a00020f0a00020286de00016342be8600000000"
            + "a002faf090900000020405b40402080af78004470000000001030305";

    private CapturedFrames() {
    }

    static ByteBuf frame(String hex) {
        return Unpooled.wrappedBuffer(ByteBufUtil.decodeHexDump(hex));
    }
}
