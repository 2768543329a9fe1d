#!/usr/bin/env python3
"""An IPv6 host built from scapy's packet classes, speaking QEMU's stream protocol.

Connects to a jslirp network at 127.0.0.1:PORT as QEMU's `-netdev stream` would
(each Ethernet frame preceded by its length, 4 bytes big-endian), then does what a
guest's IPv6 autoconfiguration does: a router solicitation (RFC 4861), and a
stateless DHCPv6 Information-request (RFC 8415) asking for DNS servers, the domain
search list and a boot file URL. Every reply is decoded by scapy, not by jslirp, and
printed as one JSON object:

  {"ra": {...}, "reply": {...}}

Used by Ipv6AutoconfScapyTest; exits non-zero with a message on stderr if a reply
does not come in time.
"""
import argparse
import json
import socket
import struct
import sys

from scapy.layers.dhcp6 import (DHCP6_InfoRequest, DHCP6_Reply, DHCP6OptBootFileUrl, DHCP6OptClientId,
                                DHCP6OptDNSDomains, DHCP6OptDNSServers, DHCP6OptOptReq, DHCP6OptServerId, DUID_LLT)
from scapy.layers.inet import UDP
from scapy.layers.inet6 import (ICMPv6ND_RA, ICMPv6ND_RS, ICMPv6NDOptDNSSL, ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo,
                                ICMPv6NDOptRDNSS, ICMPv6NDOptSrcLLAddr, IPv6, in6_getnsma)
from scapy.layers.l2 import Ether


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


def wait_for(sock, layer):
    while True:
        frame = receive(sock)
        if layer in frame:
            return frame


def checksum_valid(frame, layer, field):
    """Rebuilds the checksum `field` of `layer` (with the IPv6 pseudo-header) and compares."""
    rebuilt = frame.copy()
    delattr(rebuilt[layer], field)
    rebuilt = Ether(bytes(rebuilt))
    return getattr(rebuilt[layer], field) == getattr(frame[layer], field)


def describe_ra(frame):
    ra = frame[ICMPv6ND_RA]
    out = {
        "eth_src": frame[Ether].src,
        "eth_dst": frame[Ether].dst,
        "ip_src": frame[IPv6].src,
        "ip_dst": frame[IPv6].dst,
        "hlim": frame[IPv6].hlim,
        "checksum_valid": checksum_valid(frame, ICMPv6ND_RA, "cksum"),
        "chlim": ra.chlim,
        "M": ra.M,
        "O": ra.O,
        "routerlifetime": ra.routerlifetime,
        "reachabletime": ra.reachabletime,
        "retranstimer": ra.retranstimer,
    }
    if ICMPv6NDOptSrcLLAddr in frame:
        out["lladdr"] = frame[ICMPv6NDOptSrcLLAddr].lladdr
    if ICMPv6NDOptMTU in frame:
        out["mtu"] = frame[ICMPv6NDOptMTU].mtu
    if ICMPv6NDOptPrefixInfo in frame:
        p = frame[ICMPv6NDOptPrefixInfo]
        out["prefix"] = {"prefix": p.prefix, "prefixlen": p.prefixlen, "L": p.L, "A": p.A,
                         "validlifetime": p.validlifetime, "preferredlifetime": p.preferredlifetime}
    if ICMPv6NDOptRDNSS in frame:
        r = frame[ICMPv6NDOptRDNSS]
        out["rdnss"] = {"dns": list(r.dns), "lifetime": r.lifetime}
    if ICMPv6NDOptDNSSL in frame:
        d = frame[ICMPv6NDOptDNSSL]
        out["dnssl"] = {"searchlist": [n.decode("ascii") if isinstance(n, bytes) else n for n in d.searchlist],
                        "lifetime": d.lifetime}
    return out


def describe_reply(frame):
    reply = frame[DHCP6_Reply]
    out = {
        "ip_src": frame[IPv6].src,
        "ip_dst": frame[IPv6].dst,
        "sport": frame[UDP].sport,
        "dport": frame[UDP].dport,
        "checksum_valid": checksum_valid(frame, UDP, "chksum"),
        "trid": reply.trid,
    }
    if DHCP6OptServerId in frame:
        duid = frame[DHCP6OptServerId].duid
        out["server_duid"] = {"type": duid.type, "hwtype": getattr(duid, "hwtype", None),
                              "lladdr": getattr(duid, "lladdr", None)}
    if DHCP6OptClientId in frame:
        out["client_duid_hex"] = bytes(frame[DHCP6OptClientId].duid).hex()
    if DHCP6OptDNSServers in frame:
        out["dns_servers"] = list(frame[DHCP6OptDNSServers].dnsservers)
    if DHCP6OptDNSDomains in frame:
        out["domains"] = [n.decode("ascii") if isinstance(n, bytes) else n for n in frame[DHCP6OptDNSDomains].dnsdomains]
    if DHCP6OptBootFileUrl in frame:
        url = frame[DHCP6OptBootFileUrl].optdata
        out["bootfile_url"] = url.decode("ascii") if isinstance(url, bytes) else url
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mac", default="52:54:00:ab:cd:ef")
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()

    sock = socket.create_connection(("127.0.0.1", args.port), timeout=args.timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    mac = args.mac
    # The link-local address a guest forms from its MAC (RFC 4291 appendix A).
    b = [int(x, 16) for x in mac.split(":")]
    lla = "fe80::%02x%02x:%02xff:fe%02x:%02x%02x" % (b[0] ^ 2, b[1], b[2], b[3], b[4], b[5])
    result = {}
    try:
        send(sock, Ether(src=mac, dst="33:33:00:00:00:02") / IPv6(src=lla, dst="ff02::2", hlim=255)
             / ICMPv6ND_RS() / ICMPv6NDOptSrcLLAddr(lladdr=mac))
        result["ra"] = describe_ra(wait_for(sock, ICMPv6ND_RA))

        client_duid = DUID_LLT(lladdr=mac, timeval=0x2c1d3f10)
        send(sock, Ether(src=mac, dst="33:33:00:01:00:02") / IPv6(src=lla, dst="ff02::1:2")
             / UDP(sport=546, dport=547)
             / DHCP6_InfoRequest(trid=0x5c0ffe)
             / DHCP6OptClientId(duid=client_duid)
             / DHCP6OptOptReq(reqopts=[23, 24, 59]))
        reply = wait_for(sock, DHCP6_Reply)
        result["reply"] = describe_reply(reply)
        result["reply"]["client_duid_sent_hex"] = bytes(client_duid).hex()
    except (socket.timeout, EOFError) as e:
        print("no reply from jslirp: %r; so far: %s" % (e, json.dumps(result)), file=sys.stderr)
        return 2
    finally:
        sock.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
