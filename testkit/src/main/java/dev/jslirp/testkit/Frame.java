package dev.jslirp.testkit;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One Ethernet frame the network sent to a guest, decoded and copied: addresses are text
 * ({@code "10.0.2.2"}, {@code "fec0::2"} in RFC 5952's form, {@code "52:55:0a:00:02:02"}),
 * payloads are byte arrays, and nothing needs releasing. Printed, an IPv6 address before a
 * port is in brackets ({@code [fec0::2]:80}). {@link #bytes()} is the whole frame as sent.
 *
 * @param sourceMac      the Ethernet source
 * @param destinationMac the Ethernet destination
 * @param etherType      the EtherType (0x0800 IPv4, 0x0806 ARP, 0x86dd IPv6)
 * @param packet         what the frame carries, as far as it could be decoded
 * @param bytes          the frame's bytes
 */
public record Frame(String sourceMac, String destinationMac, int etherType, Packet packet, byte[] bytes) {

    /** What a frame carries: one of the records below. */
    public sealed interface Packet permits Arp, Tcp, Udp, Icmp, OtherIp, Undecoded {
    }

    /** An ARP packet ({@code operation} 1 request, 2 reply). */
    public record Arp(int operation, String senderMac, String senderIp, String targetMac, String targetIp)
            implements Packet {
    }

    /**
     * A TCP segment; {@code flags} as {@code "SYN|ACK"}, sequence numbers unsigned.
     */
    public record Tcp(String source, int sourcePort, String destination, int destinationPort,
                      long seq, long ack, String flags, int window, byte[] payload) implements Packet {
        /** True if the segment has the flag named (e.g. {@code "RST"}). */
        public boolean has(String flag) {
            return ("|" + flags + "|").contains("|" + flag + "|");
        }

        @Override
        public String toString() {
            return "TCP " + endpoint(source, sourcePort) + " > " + endpoint(destination, destinationPort) + " ["
                    + flags + "] seq " + seq + " ack " + ack + " win " + window + " " + describe(payload);
        }
    }

    /** A UDP datagram. */
    public record Udp(String source, int sourcePort, String destination, int destinationPort, byte[] payload)
            implements Packet {
        /** The payload as UTF-8 text. */
        public String payloadString() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        @Override
        public String toString() {
            return "UDP " + endpoint(source, sourcePort) + " > " + endpoint(destination, destinationPort) + " "
                    + describe(payload);
        }
    }

    /** An ICMP or ICMPv6 message ({@code ipv6} says which), its body after the 4-byte header. */
    public record Icmp(String source, String destination, boolean ipv6, int type, int code, byte[] body)
            implements Packet {
        @Override
        public String toString() {
            return (ipv6 ? "ICMPv6 " : "ICMP ") + source + " > " + destination + " type " + type + " code " + code;
        }
    }

    /** Another IP packet (another protocol, or a fragment): its addresses and protocol number. */
    public record OtherIp(String source, String destination, int protocol) implements Packet {
    }

    /** A frame that is neither ARP nor IP, or too short or malformed to decode. */
    public record Undecoded(String why) implements Packet {
    }

    @Override
    public String toString() {
        return sourceMac + " > " + destinationMac + " " + packet;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Frame f && Arrays.equals(bytes, f.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** {@code 10.0.2.2:80}, or {@code [fec0::2]:80}: an IPv6 address in brackets before a port (RFC 3986, 3.2.2). */
    static String endpoint(String ip, int port) {
        return (ip.indexOf(':') >= 0 ? "[" + ip + "]" : ip) + ":" + port;
    }

    static String describe(byte[] payload) {
        if (payload.length == 0) {
            return "(no data)";
        }
        String text = new String(payload, 0, Math.min(payload.length, 32), StandardCharsets.ISO_8859_1);
        return payload.length + " bytes \"" + text.replaceAll("[^\\x20-\\x7e]", ".")
                + (payload.length > 32 ? "...\"" : "\"");
    }
}
