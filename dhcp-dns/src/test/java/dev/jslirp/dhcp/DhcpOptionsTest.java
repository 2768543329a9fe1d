package dev.jslirp.dhcp;

import static dev.jslirp.core.testkit.GuestFrames.GATEWAY;
import static dev.jslirp.dhcp.DhcpServerTest.counters;
import static dev.jslirp.dhcp.DhcpServerTest.exchange;
import static dev.jslirp.dhcp.DhcpServerTest.guest;
import static dev.jslirp.dhcp.DhcpServerTest.ip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.testkit.VirtualGuest;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Each configuration option as the client sees it, and the limits on reply size. */
class DhcpOptionsTest {

    @Test
    void namesAndBootOptionsAreEncodedAsRfc2132Says() {
        DhcpConfig config = DhcpConfig.builder()
                .hostname("guest1")
                .domainName("corp.example.")
                .tftpServerName("tftp.example")
                .bootfile("boot/pxelinux.0")
                .build();
        try (VirtualGuest g = guest(config)) {
            ServerReply offer = exchange(g, ClientMessage.discover());
            assertThat(offer.text(12)).isEqualTo("guest1");
            assertThat(offer.text(15)).as("trailing dot dropped").isEqualTo("corp.example");
            assertThat(offer.text(66)).isEqualTo("tftp.example");
            assertThat(offer.text(67)).isEqualTo("boot/pxelinux.0");
            assertThat(offer.file).isEqualTo("boot/pxelinux.0");
            assertThat(offer.has(60)).isFalse();
            assertThat(counters(g).get(DhcpCounter.OPTION_OMITTED)).isZero();

            ServerReply ack = exchange(g, ClientMessage.request().serverId(GATEWAY).requested(offer.yiaddr));
            assertThat(ack.text(12)).isEqualTo("guest1");
            assertThat(ack.file).isEqualTo("boot/pxelinux.0");
        }
    }

    @Test
    void httpBootfileAddsUefiHttpClientVendorClassAsQemu() {
        try (VirtualGuest g = guest(DhcpConfig.builder().bootfile("http://10.0.2.2/boot.efi").build())) {
            ServerReply offer = exchange(g, ClientMessage.discover());
            assertThat(offer.text(60)).isEqualTo("HTTPClient");
            assertThat(offer.file).isEqualTo("http://10.0.2.2/boot.efi");
        }
    }

    @Test
    void searchListIsRfc3397EncodedWithCompression() {
        DhcpConfig config = DhcpConfig.builder().addDnsSearch("eng.apple.com").addDnsSearch("marketing.apple.com").build();
        try (VirtualGuest g = guest(config)) {
            ServerReply offer = exchange(g, ClientMessage.discover());
            // RFC 3397 section 3's example, concatenated.
            assertThat(offer.options.get(119)).isEqualTo(rfc3397Example());
        }
    }

    @Test
    void restrictOmitsRouterAndDnsAsQemu() {
        NetworkConfig net = NetworkConfig.builder().restrict(true).build();
        try (VirtualGuest g = VirtualGuest.embedded(net, new DhcpServer(DhcpConfig.defaults()))) {
            ServerReply offer = exchange(g, ClientMessage.discover());
            assertThat(offer.has(3)).isFalse();
            assertThat(offer.has(6)).isFalse();
            assertThat(offer.int32(1)).isEqualTo(ip("255.255.255.0"));
            assertThat(offer.int32(54)).isEqualTo(GATEWAY);
            assertThat(offer.yiaddr).isEqualTo(DhcpServerTest.POOL_FIRST);
        }
    }

    @Test
    void replyWithoutMaxSizeOptionFitsIn576ByteDatagramAndOmitsWhatDoesNotFit() {
        try (VirtualGuest g = guest(longSearchList())) {
            ServerReply offer = exchange(g, ClientMessage.discover());
            assertThat(offer.length).isLessThanOrEqualTo(576 - 28);
            assertThat(offer.has(119)).isFalse();
            assertThat(offer.int32(51)).isEqualTo(86400);
            assertThat(offer.endSeen).isTrue();
            assertThat(counters(g).get(DhcpCounter.OPTION_OMITTED)).isEqualTo(1);
        }
    }

    @Test
    void maxMessageSizeOptionAllowsLargerReplyUpToIt() {
        DhcpConfig config = longSearchList();
        try (VirtualGuest g = guest(config)) {
            ServerReply offer = exchange(g, ClientMessage.discover().maxSize(1000));
            assertThat(offer.length).isGreaterThan(548).isLessThanOrEqualTo(1000 - 28);
            assertThat(offer.options.get(119)).isEqualTo(DomainSearchEncoder.searchString(config.dnsSearch()));
            assertThat(offer.optionOrder.stream().filter(c -> c == 119).count()).as("RFC 3396 pieces").isEqualTo(2);
            assertThat(counters(g).get(DhcpCounter.OPTION_OMITTED)).isZero();
        }
    }

    @Test
    void maxMessageSizeBelow576IsTreatedAs576() {
        try (VirtualGuest g = guest(longSearchList())) {
            ServerReply offer = exchange(g, ClientMessage.discover().maxSize(300));
            assertThat(offer.length).isGreaterThanOrEqualTo(300).isLessThanOrEqualTo(548);
            assertThat(offer.int32(54)).isEqualTo(GATEWAY);
        }
    }

    @Test
    void maxMessageSizeAboveMtuIsCappedByMtu() {
        NetworkConfig net = NetworkConfig.builder().mtu(576).build();
        try (VirtualGuest g = VirtualGuest.embedded(net, new DhcpServer(longSearchList()))) {
            ServerReply offer = exchange(g, ClientMessage.discover().maxSize(1500));
            assertThat(offer.length).isLessThanOrEqualTo(548);
            assertThat(offer.has(119)).isFalse();
        }
    }

    @Test
    void longNamesThatDoNotFitAreOmittedAndCounted() {
        String label = "a".repeat(60);
        String longName = String.join(".", label, label, label, label);   // 243 characters
        DhcpConfig config = DhcpConfig.builder().hostname(longName).domainName(longName).build();
        try (VirtualGuest g = guest(config)) {
            ServerReply offer = exchange(g, ClientMessage.discover());
            assertThat(offer.text(12)).isEqualTo(longName);
            assertThat(offer.has(15)).isFalse();
            assertThat(offer.length).isLessThanOrEqualTo(548);
            assertThat(counters(g).get(DhcpCounter.OPTION_OMITTED)).isEqualTo(1);
        }
    }

    @Test
    void bootpReplyKeepsToThe64ByteVendFieldUnlessTheClientAllowsMore() {
        try (VirtualGuest g = guest(DhcpConfig.builder().hostname("a-rather-long-host-name-for-bootp-vend").build())) {
            ServerReply small = exchange(g, ClientMessage.of(0));
            assertThat(small.length).isEqualTo(300);
            assertThat(small.has(12)).isFalse();
            ServerReply large = exchange(g, ClientMessage.of(0).maxSize(576));
            assertThat(large.text(12)).isEqualTo("a-rather-long-host-name-for-bootp-vend");
        }
    }

    /** RFC 3397 section 3: "eng.apple.com." and "marketing.apple.com.", the search string the example splits in three. */
    static byte[] rfc3397Example() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(3);
        b.writeBytes("eng".getBytes(StandardCharsets.US_ASCII));
        b.write(5);
        b.writeBytes("apple".getBytes(StandardCharsets.US_ASCII));
        b.write(3);
        b.writeBytes("com".getBytes(StandardCharsets.US_ASCII));
        b.write(0);
        b.write(9);
        b.writeBytes("marketing".getBytes(StandardCharsets.US_ASCII));
        b.write(0xc0);
        b.write(0x04);
        return b.toByteArray();
    }

    /** Twenty unrelated domains: a search string of about 300 bytes. */
    static DhcpConfig longSearchList() {
        DhcpConfig.Builder b = DhcpConfig.builder();
        for (int i = 0; i < 20; i++) {
            b.addDnsSearch("d" + i + "-example" + i + ".test" + i);
        }
        return b.build();
    }
}
