package dev.jslirp.dns;

import dev.jslirp.core.wire.IpAddress;

/**
 * Where a DNS answer over UDP goes: to the guest's address and port, from the DNS
 * address it asked ({@code 10.0.2.3} or {@code fec0::3}), port 53.
 *
 * @param server    the DNS address the query was sent to; the answer's source
 * @param guest     the guest's address
 * @param guestPort the guest's port
 */
record ReplyTo(IpAddress server, IpAddress guest, int guestPort) {
}
