#!/usr/bin/env python3
"""Bridges a veth interface inside a network namespace to jslirp's stream socket.

Plays QEMU's part of `-netdev stream`: connects to 127.0.0.1:PORT (in the caller's
namespace), then enters network namespace NETNS and copies Ethernet frames both
ways between the interface (an AF_PACKET socket) and the stream (each frame
preceded by its length, 4 bytes big-endian). A real client (busybox udhcpc) on the
veth peer then talks to jslirp as a guest would. Prints "ready" once both ends are
open; exits when the stream closes or after --lifetime seconds.

Needs root (setns, AF_PACKET); used by DhcpUdhcpcTest, which creates and deletes
the namespace.
"""
import argparse
import ctypes
import os
import select
import socket
import struct
import sys
import time

CLONE_NEWNET = 0x40000000
ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_CSUMNOTREADY = 1 << 3


def internet_checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def complete_checksum(frame):
    """Fills in the TCP/UDP checksum of an IPv4 frame the kernel left to offload.

    A veth "transmits" with the checksum unfinished (CHECKSUM_PARTIAL); a NIC, or
    QEMU for a guest without checksum offload, would have completed it.
    """
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return frame
    ihl = (frame[14] & 0x0F) * 4
    total = struct.unpack("!H", frame[16:18])[0]
    proto = frame[23]
    l4 = 14 + ihl
    offsets = {6: 16, 17: 6}
    if proto not in offsets or len(frame) < 14 + total:
        return frame
    seg = bytearray(frame[l4:14 + total])
    at = offsets[proto]
    seg[at:at + 2] = b"\0\0"
    pseudo = frame[26:34] + struct.pack("!BBH", 0, proto, len(seg))
    csum = internet_checksum(pseudo + bytes(seg))
    if proto == 17 and csum == 0:
        csum = 0xFFFF
    seg[at:at + 2] = struct.pack("!H", csum)
    return frame[:l4] + bytes(seg) + frame[14 + total:]


def enter_netns(name):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open("/var/run/netns/" + name, os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, "setns(%s): %s" % (name, os.strerror(err)))
    finally:
        os.close(fd)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--netns", required=True)
    ap.add_argument("--iface", required=True)
    ap.add_argument("--lifetime", type=float, default=120.0)
    args = ap.parse_args()

    stream = socket.create_connection(("127.0.0.1", args.port), timeout=10)
    stream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    enter_netns(args.netns)
    link = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    link.bind((args.iface, 0))
    link.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    print("ready", flush=True)

    pending = b""
    deadline = time.monotonic() + args.lifetime
    while time.monotonic() < deadline:
        readable, _, _ = select.select([stream, link], [], [], 0.5)
        if stream in readable:
            data = stream.recv(65536)
            if not data:
                return 0
            pending += data
            while len(pending) >= 4:
                (length,) = struct.unpack("!I", pending[:4])
                if len(pending) < 4 + length:
                    break
                link.send(pending[4:4 + length])
                pending = pending[4 + length:]
        if link in readable:
            frame, ancillary, _, address = link.recvmsg(65536, socket.CMSG_SPACE(32))
            if address[2] == socket.PACKET_OUTGOING:
                continue  # our own transmissions, seen again on the socket
            for level, kind, data in ancillary:
                if level == SOL_PACKET and kind == PACKET_AUXDATA:
                    (status,) = struct.unpack_from("I", data)
                    if status & TP_STATUS_CSUMNOTREADY:
                        frame = complete_checksum(frame)
            stream.sendall(struct.pack("!I", len(frame)) + frame)
    print("lifetime over", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
