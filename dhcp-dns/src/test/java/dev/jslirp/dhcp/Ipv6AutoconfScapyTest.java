package dev.jslirp.dhcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.autoconf.Dhcpv6Server;
import dev.jslirp.autoconf.RouterAdvertiser;
import dev.jslirp.core.config.NetworkConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * IPv6 autoconfiguration as an independent host sees it: scapy's ICMPv6 and DHCPv6
 * classes (nobody here wrote them) build a router solicitation and an Information-request
 * and decode the router advertisement and the Reply, over QEMU's stream protocol on a
 * real socket and event loop. See src/test/scripts/scapy_autoconf_client.py.
 */
class Ipv6AutoconfScapyTest {

    @Test
    @SuppressWarnings("unchecked")
    void scapyHostGetsTheAdvertisementAndTheStatelessConfiguration() throws Exception {
        String python = PythonScript.pythonWithScapy();
        DhcpConfig dhcp = DhcpConfig.builder().addDnsSearch("corp.example").addDnsSearch("lab.test")
                .bootfile("pxe.efi").build();
        try (StreamServer server = new StreamServer(NetworkConfig.defaults(), new RouterAdvertiser(dhcp),
                new Dhcpv6Server(dhcp))) {
            String out = PythonScript.run(python, "scapy_autoconf_client.py", 120,
                    "--port", Integer.toString(server.port()), "--mac", "52:54:00:ab:cd:ef");
            Map<String, Object> result = (Map<String, Object>) MiniJson.parse(out.strip());

            Map<String, Object> ra = (Map<String, Object>) result.get("ra");
            assertThat(ra).containsEntry("eth_src", "52:55:0a:00:02:02")
                    .containsEntry("eth_dst", "33:33:00:00:00:01")
                    .containsEntry("ip_src", "fe80::2")
                    .containsEntry("ip_dst", "ff02::1")
                    .containsEntry("hlim", 255L)
                    .containsEntry("checksum_valid", true)
                    .containsEntry("chlim", 64L)
                    .containsEntry("M", 0L)
                    .containsEntry("O", 1L)
                    .containsEntry("routerlifetime", 1800L)
                    .containsEntry("reachabletime", 0L)
                    .containsEntry("retranstimer", 0L)
                    .containsEntry("lladdr", "52:55:0a:00:02:02")
                    .containsEntry("mtu", 1500L);
            assertThat((Map<String, Object>) ra.get("prefix")).containsEntry("prefix", "fec0::")
                    .containsEntry("prefixlen", 64L).containsEntry("L", 1L).containsEntry("A", 1L)
                    .containsEntry("validlifetime", 86400L).containsEntry("preferredlifetime", 14400L);
            assertThat((Map<String, Object>) ra.get("rdnss")).containsEntry("dns", List.of("fec0::3"))
                    .containsEntry("lifetime", 1800L);
            assertThat((Map<String, Object>) ra.get("dnssl"))
                    .containsEntry("searchlist", List.of("corp.example.", "lab.test."))
                    .containsEntry("lifetime", 1800L);

            Map<String, Object> reply = (Map<String, Object>) result.get("reply");
            assertThat(reply).containsEntry("ip_src", "fe80::2")
                    .containsEntry("ip_dst", "fe80::5054:ff:feab:cdef")
                    .containsEntry("sport", 547L)
                    .containsEntry("dport", 546L)
                    .containsEntry("checksum_valid", true)
                    .containsEntry("trid", (long) 0x5c0ffe)
                    .containsEntry("dns_servers", List.of("fec0::3"))
                    .containsEntry("domains", List.of("corp.example.", "lab.test."))
                    .containsEntry("bootfile_url", "tftp://[fec0::2]/pxe.efi")
                    .containsEntry("client_duid_hex", reply.get("client_duid_sent_hex"));
            assertThat((Map<String, Object>) reply.get("server_duid")).containsEntry("type", 3L)
                    .containsEntry("hwtype", 1L).containsEntry("lladdr", "52:55:0a:00:02:02");
        }
    }
}
