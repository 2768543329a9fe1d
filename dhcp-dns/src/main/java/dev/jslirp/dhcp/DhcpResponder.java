package dev.jslirp.dhcp;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.spi.GuestContext;
import dev.jslirp.core.spi.GuestPacket;
import dev.jslirp.core.stats.Counters;
import dev.jslirp.core.wire.IpAddress;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.Ipv4Packet;
import dev.jslirp.core.wire.UdpPacket;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * Builds the server's replies straight into frames from {@link GuestContext#newIpv4Frame}
 * and sends them: the fields of RFC 2131 table 3, the options the configuration
 * calls for within the client's size limit, and the destination of section 4.1.
 * Configuration strings are encoded once, at construction. See {@link DhcpServer}
 * for the option list and the choices against libslirp.
 */
final class DhcpResponder {
    /** UDP port of the server (RFC 2131 section 4.1). */
    static final int SERVER_PORT = 67;
    /** UDP port of the client. */
    static final int CLIENT_PORT = 68;
    /** IPv4 + UDP header bytes in front of a message. */
    static final int IP_UDP_OVERHEAD = Ipv4Packet.MIN_HEADER_LENGTH + UdpPacket.HEADER_LENGTH;
    /** The IP datagram every host must accept, and the floor of option 57 (RFC 2131 section 2, RFC 2132 9.10). */
    private static final int MIN_DATAGRAM = 576;
    /** A BOOTP message with its 64-byte vend field (RFC 951), the shortest reply sent (RFC 1542 section 2.1). */
    private static final int BOOTP_MESSAGE_LENGTH = 300;
    /** IPTOS_LOWDELAY, the TOS libslirp sends replies with. */
    private static final int TOS_LOW_DELAY = 0x10;
    /** The NAK text libslirp sends (option 56). */
    private static final byte[] NAK_MESSAGE = ascii("requested address not available");
    /** Vendor class for UEFI HTTP boot (UEFI 2.5 section 24.7.2), sent as QEMU does when the boot file is a URL. */
    private static final byte[] UEFI_HTTP_CLASS = ascii("HTTPClient");

    private final GuestContext context;
    private final NetworkConfig net;
    private final Counters<DhcpCounter> counters;
    private final DhcpReplyWriter writer = new DhcpReplyWriter();
    private final int leaseSeconds;
    private final byte[] hostName;
    private final byte[] domainName;
    private final byte[] tftpServerName;
    private final byte[] bootfile;
    private final boolean httpBoot;
    private final byte[] searchOptions;

    DhcpResponder(GuestContext context, DhcpConfig config, Counters<DhcpCounter> counters) {
        this.context = context;
        this.net = context.config();
        this.counters = counters;
        this.leaseSeconds = (int) config.leaseTime().getSeconds();
        this.hostName = asciiOrNull(config.hostname());
        this.domainName = asciiOrNull(config.domainName());
        this.tftpServerName = asciiOrNull(config.tftpServerName());
        this.bootfile = asciiOrNull(config.bootfile());
        this.httpBoot = config.bootfile() != null && config.bootfile().startsWith("http://");
        this.searchOptions = DomainSearchEncoder.options(config.dnsSearch());
    }

    /**
     * Builds and sends a reply in a new frame: an OFFER or ACK carrying {@code yiaddr}
     * (0 for an ACK to INFORM, which gets no lease options), a NAK, or a BOOTREPLY if
     * {@code type} is null. The frame passes to the core, or is released here if
     * building it fails.
     */
    void reply(DhcpPacket request, DhcpMessageType type, int ciaddr, int yiaddr) {
        boolean bootp = type == null;
        boolean nak = type == DhcpMessageType.NAK;
        int limit = messageLimit(request, bootp);
        ByteBuf frame = context.newFrame(UdpPacket.HEADER_LENGTH + limit);
        boolean passed = false;
        try {
            int udpOff = frame.writerIndex();
            // RFC 2131 table 3: a NAK has no siaddr, file or configuration.
            writer.begin(frame, udpOff + UdpPacket.HEADER_LENGTH, limit, request, ciaddr, yiaddr, nak ? 0 : net.host());
            if (!bootp) {
                dhcpHeaderOptions(request, type);
            }
            if (nak) {
                count(writer.bytes(DhcpOption.MESSAGE, NAK_MESSAGE));
            } else {
                if (bootfile != null) {
                    writer.file(bootfile);
                }
                if (!bootp && yiaddr != 0) {
                    count(writer.int32(DhcpOption.LEASE_TIME, leaseSeconds));
                    count(writer.int32(DhcpOption.RENEWAL_TIME, leaseSeconds / 2));
                    count(writer.int32(DhcpOption.REBINDING_TIME, (int) (leaseSeconds * 7L / 8)));
                }
                configurationOptions();
            }
            int length = writer.finish(BOOTP_MESSAGE_LENGTH);
            int dst = destination(request, yiaddr, nak);
            passed = true;
            send(frame, udpOff, length, dst);
        } finally {
            if (!passed) {
                frame.release();
            }
        }
        counters.increment(bootp ? DhcpCounter.BOOTP_REPLY_SENT
                : nak ? DhcpCounter.NAK_SENT
                : type == DhcpMessageType.OFFER ? DhcpCounter.OFFER_SENT : DhcpCounter.ACK_SENT);
    }

    /** 53, 54 and the client identifier echoed (RFC 6842 section 3): first, they always fit. */
    private void dhcpHeaderOptions(DhcpPacket request, DhcpMessageType type) {
        count(writer.messageType(type));
        count(writer.int32(DhcpOption.SERVER_ID, net.host()));
        if (request.clientIdOffset() >= 0) {
            count(writer.copy(DhcpOption.CLIENT_ID, request.buffer(), request.clientIdOffset(),
                    request.clientIdLength()));
        }
    }

    /** The configuration every reply but NAK carries, in libslirp's order where it has them. */
    private void configurationOptions() {
        count(writer.int32(DhcpOption.SUBNET_MASK, net.netmask()));
        if (!net.restrict()) {
            count(writer.int32(DhcpOption.ROUTER, net.host()));
            count(writer.int32(DhcpOption.DNS_SERVER, net.dns()));
        }
        count(writer.int32(DhcpOption.BROADCAST_ADDRESS, net.broadcast()));
        count(writer.int16(DhcpOption.INTERFACE_MTU, net.mtu()));
        if (hostName != null) {
            count(writer.bytes(DhcpOption.HOST_NAME, hostName));
        }
        if (domainName != null) {
            count(writer.bytes(DhcpOption.DOMAIN_NAME, domainName));
        }
        if (tftpServerName != null) {
            count(writer.bytes(DhcpOption.TFTP_SERVER_NAME, tftpServerName));
        }
        if (bootfile != null) {
            count(writer.bytes(DhcpOption.BOOTFILE_NAME, bootfile));
            if (httpBoot) {
                count(writer.bytes(DhcpOption.VENDOR_CLASS_ID, UEFI_HTTP_CLASS));
            }
        }
        if (searchOptions.length > 0) {
            count(writer.encoded(searchOptions));
        }
    }

    private void count(boolean written) {
        if (!written) {
            counters.increment(DhcpCounter.OPTION_OMITTED);
        }
    }

    /**
     * The longest message the client takes: option 57 read as an IP datagram size, no
     * less than 576, no more than the MTU; without it 576, or a 300-byte BOOTP message.
     */
    private int messageLimit(DhcpPacket request, boolean bootp) {
        int max = request.maxMessageSize();
        if (max == 0) {
            return bootp ? BOOTP_MESSAGE_LENGTH : MIN_DATAGRAM - IP_UDP_OVERHEAD;
        }
        return Math.min(Math.max(max, MIN_DATAGRAM), net.mtu()) - IP_UDP_OVERHEAD;
    }

    /**
     * Where a reply goes (RFC 2131 section 4.1, giaddr zero), with one departure: a
     * client that put its address in {@code ciaddr} (RENEWING, REBINDING, INFORM) gets
     * the reply by broadcast, as from libslirp, not by unicast to {@code ciaddr}.
     * busybox udhcpc (1.35) renews from a socket bound to ciaddr:68 and connected to
     * the server that it closes right after sending; jslirp answers within
     * microseconds, so a unicast ACK lands on that socket and is lost with it (seen
     * with real guests), and the renewal only completes after udhcpc's retry timeout.
     * A broadcast does not match that socket and reaches the listening one; every
     * client listens for broadcast replies anyway.
     */
    private int destination(DhcpPacket request, int yiaddr, boolean nak) {
        if (nak || request.ciaddr() != 0 || request.broadcastFlag() || yiaddr == 0) {
            return Ipv4Address.BROADCAST;
        }
        context.addNeighbor(IpAddress.ipv4(yiaddr), request.chaddr());
        return yiaddr;
    }

    /** Completes the UDP header over the {@code length}-byte message and sends; takes ownership of {@code frame}. */
    private void send(ByteBuf frame, int udpOff, int length, int dst) {
        int udpLength = UdpPacket.HEADER_LENGTH + length;
        frame.writerIndex(udpOff + udpLength);
        UdpPacket.writeHeader(frame, udpOff, SERVER_PORT, CLIENT_PORT, udpLength);
        context.send(frame, net.hostAddress(), IpAddress.ipv4(dst), GuestPacket.PROTO_UDP,
                GuestContext.trafficClass(TOS_LOW_DELAY));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] asciiOrNull(String s) {
        return s == null ? null : ascii(s);
    }
}
