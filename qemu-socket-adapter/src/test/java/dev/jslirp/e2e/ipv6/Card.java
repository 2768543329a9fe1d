package dev.jslirp.e2e.ipv6;

import dev.jslirp.e2e.GuestNic;
import dev.jslirp.e2e.UserOptions;
import dev.jslirp.guest.NicModel;

/**
 * The guest's two cards, each on a network of its own with its own IPv6 prefix, so both are
 * configured at once and a test picks one by the addresses it uses: the virtio-net card on
 * QEMU's default fec0::/64, the e1000 card on fec0:1::/64 ({@code ipv6-net=}).
 */
enum Card {
    VIRTIO_NET(NicModel.VIRTIO_NET_PCI, 1, null),
    E1000(NicModel.E1000, 2, "fec0:1::/64");

    final NicModel model;
    final String mac;
    /** The {@code ipv6-net=} of the card's network, or null for QEMU's default. */
    final String ipv6Net;

    Card(NicModel model, int n, String ipv6Net) {
        this.model = model;
        this.mac = GuestNic.mac(n);
        this.ipv6Net = ipv6Net;
    }

    /** The netdev id. */
    String id() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** The options of the card's network. */
    UserOptions options() {
        return ipv6Net == null ? UserOptions.DEFAULTS : UserOptions.DEFAULTS.withIpv6Net(ipv6Net);
    }

    /** The prefix with its trailing "::" cut to "::"-ready text, e.g. {@code fec0::} or {@code fec0:1::}. */
    String prefix() {
        return ipv6Net == null ? "fec0::" : ipv6Net.substring(0, ipv6Net.indexOf('/'));
    }

    /** The host's address in the prefix (::2), which reaches the host's ::1. */
    String host() {
        return prefix() + "2";
    }

    /** The DNS address in the prefix (::3). */
    String dns() {
        return prefix() + "3";
    }

    /**
     * The address the guest's kernel forms by SLAAC (RFC 4862) with its default EUI-64
     * interface identifier (RFC 4291 appendix A): the MAC with ff:fe in the middle and the
     * universal/local bit flipped, 52:54:00:e2:e2:01 giving 5054:ff:fee2:e201.
     */
    String slaacAddress() {
        String[] b = mac.split(":");
        int first = Integer.parseInt(b[0], 16) ^ 2;
        return prefix() + String.format("%x:%x:%x:%x", (first << 8) | Integer.parseInt(b[1], 16),
                (Integer.parseInt(b[2], 16) << 8) | 0xff, 0xfe00 | Integer.parseInt(b[3], 16),
                (Integer.parseInt(b[4], 16) << 8) | Integer.parseInt(b[5], 16));
    }
}
