/**
 * Packet capture: every frame of the guest's link, both ways, into pcap files that tshark
 * and Wireshark read ({@link dev.jslirp.capture.PacketCapture}), bounded in memory and on
 * disk, written off the event loop.
 */
package dev.jslirp.capture;
