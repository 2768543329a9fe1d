package dev.jslirp.dhcp;

/**
 * One lease as {@code info leases} shows it, as dnsmasq's lease file and libvirt's
 * {@code net-dhcp-leases} do: a snapshot taken on the event loop.
 *
 * @param address          the address
 * @param mac              the client's hardware address
 * @param hostname         the host name it gave (option 12 or 81), or null
 * @param state            {@code BOUND}, {@code OFFERED}, {@code DECLINED} (quarantined) or
 *                         {@code STATIC} (a static lease the client took)
 * @param remainingSeconds seconds until it ends, -1 for never (a BOOTP client)
 */
public record LeaseInfo(int address, long mac, String hostname, String state, long remainingSeconds) {
}
