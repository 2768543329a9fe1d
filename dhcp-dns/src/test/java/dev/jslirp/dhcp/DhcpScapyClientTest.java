package dev.jslirp.dhcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The server as an independent client sees it: scapy's DHCP classes (nobody here
 * wrote them) build the requests and decode the replies, over QEMU's stream protocol
 * on a real socket and event loop. See src/test/scripts/scapy_dhcp_client.py.
 */
class DhcpScapyClientTest {

    @Test
    @SuppressWarnings("unchecked")
    void scapyClientCompletesDoraRenewAndReleaseOverTheStreamProtocol() throws Exception {
        String python = PythonScript.pythonWithScapy();
        DhcpConfig dhcp = DhcpConfig.builder()
                .hostname("vm1")
                .domainName("corp.example")
                .addDnsSearch("eng.apple.com").addDnsSearch("marketing.apple.com")
                .tftpServerName("10.0.2.2")
                .bootfile("pxelinux.0")
                .build();
        try (StreamServer server = new StreamServer(NetworkConfig.defaults(), new DhcpServer(dhcp))) {
            String out = PythonScript.run(python, "scapy_dhcp_client.py", 120,
                    "--port", Integer.toString(server.port()), "--mac", "52:54:00:ab:cd:ef");
            Map<String, Object> result = (Map<String, Object>) MiniJson.parse(out.strip());

            Map<String, Object> offer = (Map<String, Object>) result.get("offer");
            assertThat(offer).containsEntry("op", 2L)
                    .containsEntry("xid", 0x5C0FFEE1L)
                    .containsEntry("yiaddr", "10.0.2.15")
                    .containsEntry("siaddr", "10.0.2.2")
                    .containsEntry("ciaddr", "0.0.0.0")
                    .containsEntry("chaddr", "52:54:00:ab:cd:ef")
                    .containsEntry("flags", 0x8000L)
                    .containsEntry("file", "pxelinux.0")
                    .containsEntry("ip_src", "10.0.2.2")
                    .containsEntry("ip_dst", "255.255.255.255")
                    .containsEntry("eth_dst", "ff:ff:ff:ff:ff:ff")
                    .containsEntry("eth_src", "52:55:0a:00:02:02")
                    .containsEntry("sport", 67L)
                    .containsEntry("dport", 68L)
                    .containsEntry("checksums_valid", true);
            Map<String, Object> o = (Map<String, Object>) offer.get("options");
            assertThat(o).containsEntry("message-type", 2L)
                    .containsEntry("server_id", "10.0.2.2")
                    .containsEntry("subnet_mask", "255.255.255.0")
                    .containsEntry("router", "10.0.2.2")
                    .containsEntry("name_server", "10.0.2.3")
                    .containsEntry("broadcast_address", "10.0.2.255")
                    .containsEntry("interface-mtu", 1500L)
                    .containsEntry("lease_time", 86400L)
                    .containsEntry("renewal_time", 43200L)
                    .containsEntry("rebinding_time", 75600L)
                    .containsEntry("hostname", "vm1")
                    .containsEntry("domain", "corp.example")
                    .containsEntry("tftp_server_name", "10.0.2.2")
                    .containsEntry("boot-file-name", "pxelinux.0")
                    .containsEntry("domain_search", List.of("eng.apple.com", "marketing.apple.com"));

            Map<String, Object> ack = (Map<String, Object>) result.get("ack");
            assertThat(ack).containsEntry("xid", 0x5C0FFEE2L).containsEntry("yiaddr", "10.0.2.15")
                    .containsEntry("ip_dst", "255.255.255.255").containsEntry("checksums_valid", true);
            assertThat((Map<String, Object>) ack.get("options")).containsEntry("message-type", 5L)
                    .containsEntry("lease_time", 86400L).containsEntry("server_id", "10.0.2.2");

            Map<String, Object> renew = (Map<String, Object>) result.get("renew_ack");
            assertThat(renew).containsEntry("xid", 0x5C0FFEE3L)
                    .containsEntry("ciaddr", "10.0.2.15")
                    .containsEntry("yiaddr", "10.0.2.15")
                    .containsEntry("ip_dst", "255.255.255.255")
                    .containsEntry("eth_dst", "ff:ff:ff:ff:ff:ff")
                    .containsEntry("flags", 0L)
                    .containsEntry("checksums_valid", true);
            assertThat((Map<String, Object>) renew.get("options")).containsEntry("message-type", 5L);

            Map<String, Object> other = (Map<String, Object>) result.get("other_offer");
            assertThat(other).as("the released address goes to the next client asking for it")
                    .containsEntry("yiaddr", "10.0.2.15").containsEntry("chaddr", "52:54:00:ab:cd:00");

            Map<String, Long> counters = server.network().eventLoop()
                    .submit(() -> server.network().stats().service("dhcp", DhcpCounter.class).snapshot()).get();
            assertThat(counters).containsEntry("DISCOVER", 2L).containsEntry("REQUEST", 2L)
                    .containsEntry("RELEASE", 1L).containsEntry("LEASE_RELEASED", 1L)
                    .containsEntry("OFFER_SENT", 2L).containsEntry("ACK_SENT", 2L);
        }
    }
}
