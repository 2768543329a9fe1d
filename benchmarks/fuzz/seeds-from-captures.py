#!/usr/bin/env python3
"""Writes the fuzz targets' seed files made from the guest frames of the captures in
test-captures (real frames from a real guest), in the FrameScript format
(slirp-core testkit.fuzz.FrameScript): one file per capture and target, named after the
capture. Run from the repository root after a capture is added; the files are committed.

  benchmarks/fuzz/seeds-from-captures.py
"""
import os
import struct

CAPTURES = "test-captures/src/test/resources/captures"
GUEST_MAC = bytes.fromhex("525400123456")
CORE = "slirp-core/src/test/resources/dev/jslirp/core/iface/GuestNetworkFuzzTestInputs"
TARGETS = {
    # capture -> input directories it seeds (besides the core's two)
    "guest-dhcp": ["dhcp-dns/src/test/resources/dev/jslirp/dhcp/DhcpFuzzTestInputs/messagesFromClients"],
    "guest-dns": ["dhcp-dns/src/test/resources/dev/jslirp/dns/DnsFuzzTestInputs/queriesFromTheGuest"],
    "guest-ipv6": ["dhcp-dns/src/test/resources/dev/jslirp/dns/DnsFuzzTestInputs/queriesFromTheGuest",
                   "dhcp-dns/src/test/resources/dev/jslirp/autoconf/AutoconfFuzzTestInputs/solicitationsFromTheGuest",
                   "dhcp-dns/src/test/resources/dev/jslirp/autoconf/AutoconfFuzzTestInputs/dhcpv6MessagesFromClients",
                   "nat/src/test/resources/dev/jslirp/nat/icmp/IcmpEchoFuzzTestInputs/echoThroughPingSockets",
                   "nat/src/test/resources/dev/jslirp/nat/icmp/IcmpEchoFuzzTestInputs/echoThroughARawSocket"],
    "guest-arp-ping-syn": ["nat/src/test/resources/dev/jslirp/nat/icmp/IcmpEchoFuzzTestInputs/echoThroughPingSockets",
                           "nat/src/test/resources/dev/jslirp/nat/icmp/IcmpEchoFuzzTestInputs/echoThroughARawSocket"],
    "guest-tcp": ["nat/src/test/resources/dev/jslirp/nat/tcp/TcpFlowFuzzTestInputs/segmentsAgainstAScriptedHost"],
}


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    off = 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        yield data[off + 16:off + 16 + caplen]
        off += 16 + caplen


def frame_step(frame, op=0):
    return bytes([op]) + struct.pack(">H", len(frame)) + frame


def tcp_script(all_frames):
    """The capture's TCP conversation as TcpFlowFuzzTest reads it: the guest's segments,
    and the network's turned into host actions (step 5): the host accepts after the SYN,
    sends 97 bytes where libslirp sent data (action 2) and closes where it sent a FIN
    (action 3). The guest's acknowledgment numbers count what the network sent in the
    script (the target counts them from the network's ISN)."""
    out = b""
    sent = 0           # sequence space the network used so far: SYN, data, FIN
    for f in all_frames:
        if f[12:14] != b"\x08\x00" or f[23] != 6:
            continue
        l4 = 14 + (f[14] & 0x0F) * 4
        flags = f[l4 + 13]
        payload = len(f) - l4 - (f[l4 + 12] >> 4) * 4
        if f[6:12] != GUEST_MAC:
            if flags & 0x02:
                sent = 1
            if payload > 0:
                out += bytes([5, 2])
                sent += 97
            if flags & 0x01:
                out += bytes([5, 3])
                sent += 1
            continue
        f = bytearray(f)
        if flags & 0x10:
            f[l4 + 8:l4 + 12] = struct.pack(">I", sent)
        out += frame_step(bytes(f), 1)          # checksums repaired after the ack changed
        if flags == 0x02:
            out += bytes([5, 0])                # the host accepts the connect
    return out


def write(directory, name, script):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(script)


for file in sorted(os.listdir(CAPTURES)):
    if not file.endswith(".pcap"):
        continue
    name = file[:-5]
    all_frames = list(frames(os.path.join(CAPTURES, file)))
    guest = [f for f in all_frames if f[6:12] == GUEST_MAC]
    script = b"".join(frame_step(f) for f in guest)
    for method in ("framesFromTheGuest", "framesFromTheGuestOnASmallLink"):
        write(os.path.join(CORE, method), name, script)
    for directory in TARGETS.get(name, []):
        write(directory, name, tcp_script(all_frames) if "Tcp" in directory else script)
    print(name, len(guest), "guest frames")
