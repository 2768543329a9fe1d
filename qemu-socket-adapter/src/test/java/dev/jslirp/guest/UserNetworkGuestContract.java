package dev.jslirp.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What a real guest sees on QEMU's own user network ({@code -netdev user}, libslirp), for one
 * NIC model: the reference behaviour that jslirp's end-to-end tests compare against, and proof
 * that the harness measures (negative checks fail where they should).
 *
 * <p>Traffic stays inside QEMU: the guest only ever addresses 10.0.2.x, and libslirp answers
 * ARP, ping and DHCP for 10.0.2.2 / 10.0.2.3 itself. One boot per concrete class.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class UserNetworkGuestContract {
    /** libslirp's gateway MAC: 52:55 followed by the gateway's IPv4 address (10.0.2.2). */
    static final String SLIRP_GATEWAY_MAC = "52:55:0a:00:02:02";
    static final Duration NET_TIMEOUT = Duration.ofSeconds(20);

    QemuGuest guest;

    /** @return the NIC under test */
    abstract NicModel nic();

    /** @return the MAC to give the guest NIC */
    abstract String mac();

    @BeforeAll
    void boot() {
        guest = QemuGuest.builder()
                .name(getClass().getSimpleName())
                .netdev("user,id=n0")
                .nic(nic())
                .mac(mac())
                .start();
        System.out.printf("%s: booted in %d ms (%s), transcript %s%n", getClass().getSimpleName(),
                guest.bootDuration().toMillis(), guest.accelerator(), guest.transcriptPath());
    }

    @AfterAll
    void shutDown() {
        if (guest == null) {
            return;
        }
        long pid = guest.pid();
        guest.close();
        assertThat(guest.isAlive()).isFalse();
        assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("QEMU pid %d after close", pid).isEmpty();
    }

    /** Gives eth0 the address libslirp's DHCP would, without asking it. */
    void configureStatically() {
        guest.runOk("ip -4 addr flush dev eth0 && ip addr add 10.0.2.15/24 dev eth0");
        guest.linkUp("eth0");
    }

    @Test
    void guestNicIsTheRequestedModelWithTheRequestedMac() {
        assertThat(guest.runOk("basename $(readlink /sys/class/net/eth0/device/driver)"))
                .isEqualTo(nic().guestDriver() + "\n");
        assertThat(guest.runOk("cat /sys/class/net/eth0/address")).isEqualTo(mac() + "\n");
    }

    @Test
    void staticGuestResolvesGatewayMacByArp() {
        configureStatically();
        String arping = guest.runOk("arping -c 1 -w 10 -I eth0 10.0.2.2", NET_TIMEOUT);
        assertThat(arping).contains("[" + SLIRP_GATEWAY_MAC + "]");
        guest.runOk("ping -c 1 -W 10 10.0.2.2", NET_TIMEOUT);
        assertThat(guest.runOk("ip neigh show 10.0.2.2 dev eth0")).contains("lladdr " + SLIRP_GATEWAY_MAC);
    }

    @Test
    void staticGuestPingsGatewayAndDnsAddress() {
        configureStatically();
        for (String address : new String[] {"10.0.2.2", "10.0.2.3"}) {
            GuestResult ping = guest.run("ping -c 2 -W 10 " + address, NET_TIMEOUT);
            assertThat(ping.exitCode()).as(ping.output()).isZero();
            assertThat(ping.output()).contains("64 bytes from " + address).contains("2 packets received");
        }
    }

    @Test
    void pingToAddressNobodyHoldsFails() {
        configureStatically();
        // libslirp answers ARP only for its own addresses, so 10.0.2.99 stays unresolved.
        GuestResult ping = guest.run("ping -c 1 -W 3 10.0.2.99", NET_TIMEOUT);
        assertThat(ping.exitCode()).as(ping.output()).isNotZero();
        assertThat(ping.output()).contains("0 packets received");
    }

    @Test
    void guestDhcpClientGetsLeaseFromLibslirp() {
        guest.runOk("ip -4 addr flush dev eth0");
        String log = guest.runOk("udhcpc -i eth0 -q -n -t 5 -T 2", NET_TIMEOUT);
        assertThat(log).contains("lease of 10.0.2.15 obtained from 10.0.2.2");

        Map<String, String> lease = guest.dhcpLease("eth0");
        assertThat(lease).containsEntry("interface", "eth0")
                .containsEntry("ip", "10.0.2.15")
                .containsEntry("subnet", "255.255.255.0")
                .containsEntry("mask", "24")
                .containsEntry("router", "10.0.2.2")
                .containsEntry("dns", "10.0.2.3")
                .containsEntry("serverid", "10.0.2.2")
                .containsEntry("lease", "86400");
        assertThat(guest.runOk("ip -4 addr show dev eth0")).contains("inet 10.0.2.15/24");
        assertThat(guest.runOk("ip route")).contains("default via 10.0.2.2 dev eth0");
        assertThat(guest.runOk("cat /etc/resolv.conf")).isEqualTo("nameserver 10.0.2.3\n");
        assertThat(guest.runOk("cat /run/udhcpc/eth0.events")).contains("bound 10.0.2.15");
    }
}
