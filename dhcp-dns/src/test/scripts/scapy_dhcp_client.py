#!/usr/bin/env python3
"""A DHCP client built from scapy's packet classes, speaking QEMU's stream protocol.

Connects to a jslirp network at 127.0.0.1:PORT as QEMU's `-netdev stream` would
(each Ethernet frame preceded by its length, 4 bytes big-endian), then plays a
client: DISCOVER, REQUEST (SELECTING), a unicast REQUEST (RENEWING) and a RELEASE.
Every reply is decoded by scapy, not by jslirp, and printed as one JSON object:

  {"offer": {...}, "ack": {...}, "renew_ack": {...}, "other_offer": {...}}

Used by DhcpScapyClientTest; exits non-zero with a message on stderr if a reply
does not come in time.
"""
import argparse
import json
import socket
import struct
import sys

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import mac2str

BROADCAST_MAC = "ff:ff:ff:ff:ff:ff"


def send(sock, packet):
    data = bytes(packet)
    sock.sendall(struct.pack("!I", len(data)) + data)


def read_exactly(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed by jslirp")
        buf += chunk
    return buf


def receive(sock):
    (length,) = struct.unpack("!I", read_exactly(sock, 4))
    return Ether(read_exactly(sock, length))


def options_of(packet):
    """DHCP options as (name, value) pairs; repeated options concatenated (RFC 3396)."""
    out = {}
    for opt in packet[DHCP].options:
        if not isinstance(opt, tuple):
            continue
        name, value = opt[0], opt[1] if len(opt) == 2 else list(opt[1:])
        key = str(name)
        if key in out and isinstance(value, bytes):
            out[key] += value
        else:
            out[key] = value
    return out


def search_list(data):
    """RFC 3397: names in DNS wire format, compression pointers (RFC 1035 4.1.4)
    counted from the start of the whole search string. scapy's dns_get_str assumes
    pointers into a DNS message (it subtracts the 12-byte header), so this decoder
    follows the pointers itself."""
    names, pos = [], 0
    while pos < len(data):
        labels, p, end = [], pos, None
        for _ in range(128):  # bounded: a pointer loop cannot hang the test
            length = data[p]
            if length & 0xC0 == 0xC0:
                if end is None:
                    end = p + 2
                p = ((length & 0x3F) << 8) | data[p + 1]
                continue
            if length == 0:
                if end is None:
                    end = p + 1
                break
            labels.append(data[p + 1:p + 1 + length].decode("ascii"))
            p += 1 + length
        else:
            raise ValueError("compression loop in search list")
        names.append(".".join(labels))
        pos = end
    return names


def checksums_valid(packet):
    """Rebuilds IP and UDP checksums with scapy and compares them with the received ones."""
    rebuilt = packet.copy()
    del rebuilt[IP].chksum
    del rebuilt[UDP].chksum
    rebuilt = Ether(bytes(rebuilt))
    return rebuilt[IP].chksum == packet[IP].chksum and rebuilt[UDP].chksum == packet[UDP].chksum


def describe(packet):
    bootp = packet[BOOTP]
    opts = options_of(packet)
    decoded = {}
    for key, value in opts.items():
        if key == "119":
            decoded["domain_search"] = search_list(value)
        elif isinstance(value, bytes):
            decoded[key] = value.decode("ascii", "replace")
        else:
            decoded[key] = value
    return {
        "eth_dst": packet[Ether].dst,
        "eth_src": packet[Ether].src,
        "ip_src": packet[IP].src,
        "ip_dst": packet[IP].dst,
        "sport": packet[UDP].sport,
        "dport": packet[UDP].dport,
        "checksums_valid": checksums_valid(packet),
        "op": bootp.op,
        "xid": bootp.xid,
        "flags": int(bootp.flags),
        "ciaddr": bootp.ciaddr,
        "yiaddr": bootp.yiaddr,
        "siaddr": bootp.siaddr,
        "chaddr": ":".join("%02x" % b for b in bytes(bootp.chaddr)[:6]),
        "file": bytes(bootp.file).rstrip(b"\0").decode("ascii"),
        "bootp_length": len(bytes(bootp)),
        "options": decoded,
    }


def wait_for(sock, xid, message_type):
    while True:
        frame = receive(sock)
        if BOOTP in frame and frame[BOOTP].xid == xid and DHCP in frame:
            if options_of(frame).get("message-type") == message_type:
                return frame


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mac", default="52:54:00:ab:cd:ef")
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()

    sock = socket.create_connection(("127.0.0.1", args.port), timeout=args.timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    mac = args.mac
    chaddr = mac2str(mac)
    result = {}
    try:
        base = Ether(src=mac, dst=BROADCAST_MAC) / IP(src="0.0.0.0", dst="255.255.255.255") / UDP(sport=68, dport=67)
        send(sock, base / BOOTP(chaddr=chaddr, xid=0x5C0FFEE1, flags=0x8000) / DHCP(options=[
            ("message-type", "discover"),
            ("param_req_list", [1, 3, 6, 12, 15, 26, 28, 42, 119]),
            ("max_dhcp_size", 1500),
            "end"]))
        offer = wait_for(sock, 0x5C0FFEE1, 2)
        result["offer"] = describe(offer)
        address = offer[BOOTP].yiaddr
        server = options_of(offer)["server_id"]

        send(sock, base / BOOTP(chaddr=chaddr, xid=0x5C0FFEE2, flags=0x8000) / DHCP(options=[
            ("message-type", "request"),
            ("requested_addr", address),
            ("server_id", server),
            ("max_dhcp_size", 1500),
            "end"]))
        result["ack"] = describe(wait_for(sock, 0x5C0FFEE2, 5))

        # RENEWING (RFC 2131 4.3.2): unicast from the leased address, ciaddr filled in.
        gateway_mac = offer[Ether].src
        unicast = Ether(src=mac, dst=gateway_mac) / IP(src=address, dst=server) / UDP(sport=68, dport=67)
        send(sock, unicast / BOOTP(chaddr=chaddr, xid=0x5C0FFEE3, ciaddr=address) / DHCP(options=[
            ("message-type", "request"),
            ("max_dhcp_size", 1500),
            "end"]))
        result["renew_ack"] = describe(wait_for(sock, 0x5C0FFEE3, 5))

        send(sock, unicast / BOOTP(chaddr=chaddr, xid=0x5C0FFEE4, ciaddr=address) / DHCP(options=[
            ("message-type", "release"),
            ("server_id", server),
            "end"]))
        # A RELEASE gets no reply; a DISCOVER from another client right after shows
        # whether the address was freed (it is offered only once nobody holds it).
        other = "52:54:00:ab:cd:00"
        send(sock, Ether(src=other, dst=BROADCAST_MAC) / IP(src="0.0.0.0", dst="255.255.255.255")
             / UDP(sport=68, dport=67)
             / BOOTP(chaddr=mac2str(other), xid=0x5C0FFEE5, flags=0x8000)
             / DHCP(options=[("message-type", "discover"), ("requested_addr", address), "end"]))
        result["other_offer"] = describe(wait_for(sock, 0x5C0FFEE5, 2))
    except (socket.timeout, EOFError) as e:
        print("no reply from jslirp: %r; so far: %s" % (e, json.dumps(result)), file=sys.stderr)
        return 2
    finally:
        sock.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
