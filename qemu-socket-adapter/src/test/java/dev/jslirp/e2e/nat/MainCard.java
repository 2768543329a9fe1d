package dev.jslirp.e2e.nat;

import dev.jslirp.e2e.GuestNic;
import dev.jslirp.e2e.UserOptions;
import dev.jslirp.guest.NicModel;

/**
 * A card on the NAT tests' main option set ({@link NatGuestComparison}), one per card model:
 * the virtio-net card on network {@code main} (the one the link capture records) and its e1000
 * twin on {@code main-e1000}. Both networks have the same options; each has its forwards on host
 * ports of its own, as two networks cannot listen on one port. The two drivers reach the
 * network differently (virtio-net's offloads and queues, e1000's emulated registers and plain
 * frames), so the checks a guest of either kind depends on run through both cards.
 *
 * @param model      the card
 * @param id         the netdev id of its network
 * @param mac        its MAC
 * @param guestfwdPort the port of its network's guest forwards: its own, as QEMU names a
 *                   {@code guestfwd=...-tcp:} forward's character device {@code guestfwd.tcp.PORT}
 *                   (net/slirp.c), and two netdevs with the same port fail to start
 *                   ("duplicate yank instance")
 * @param fwdHttp    host port of the TCP forward to the guest's httpd
 * @param fwdSha     host port of the TCP forward to the guest's sha256sum server
 * @param fwdUdp     host port of the UDP forward to the guest's echo
 * @param peerFwdSha port on the host side's address on the peer's link of the TCP forward to
 *                   the sha256sum server, for clients on "another machine" (the peer host)
 * @param peerFwdUdp as {@code peerFwdSha}, UDP to the guest's second echo
 */
record MainCard(NicModel model, String id, String mac, int guestfwdPort, int fwdHttp, int fwdSha, int fwdUdp, int peerFwdSha,
                int peerFwdUdp) {
    /** The card of {@code model}, with forward ports free on {@code host} a moment ago. */
    static MainCard of(NicModel model, HostSide host) {
        boolean virtio = model == NicModel.VIRTIO_NET_PCI;
        // mac(2) and mac(3) are the restricted and jslirp's no-loopback cards'.
        return new MainCard(model, virtio ? "main" : "main-e1000", GuestNic.mac(virtio ? 1 : 4),
                NatGuestComparison.GUESTFWD_PORT + (virtio ? 0 : 1),
                host.freeLoopbackTcpPort(), host.freeLoopbackTcpPort(), host.freeLoopbackUdpPort(),
                host.freeLoopbackTcpPort(), host.freeLoopbackUdpPort());
    }

    /**
     * The main options with this card's forwards, guest forwards to the host's
     * {@link ShoutServer} on {@code shoutPort} and, if {@code runsCommands}, to a command.
     */
    UserOptions options(int shoutPort, boolean runsCommands) {
        UserOptions o = UserOptions.DEFAULTS
                .withHostForward("tcp:127.0.0.1:" + fwdHttp + "-:" + NatShell.GUEST_HTTP_PORT)
                .withHostForward("tcp:127.0.0.1:" + fwdSha + "-:" + NatShell.GUEST_SHA_PORT)
                .withHostForward("udp:127.0.0.1:" + fwdUdp + "-:" + NatShell.GUEST_UDP_ECHO_PORT)
                .withHostForward("tcp:" + PeerHost.HOST_SIDE_ADDRESS + ":" + peerFwdSha + "-:" + NatShell.GUEST_SHA_PORT)
                .withHostForward("udp:" + PeerHost.HOST_SIDE_ADDRESS + ":" + peerFwdUdp + "-:"
                        + NatShell.GUEST_UDP_ECHO_PORT_2)
                .withGuestForward("tcp:" + NatGuestComparison.GUESTFWD_TCP + ":" + guestfwdPort + "-tcp:127.0.0.1:"
                        + shoutPort);
        return runsCommands ? o.withGuestForward(NatGuestComparison.commandForward(guestfwdPort)) : o;
    }

    /** The card with its network. */
    GuestNic nic(String netdev) {
        return new GuestNic(id, model, mac, netdev);
    }
}
