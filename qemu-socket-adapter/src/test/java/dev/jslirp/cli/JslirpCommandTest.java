package dev.jslirp.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.capture.CaptureLimits;
import dev.jslirp.core.config.NetworkConfig;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.nat.IcmpEcho;
import dev.jslirp.nat.NatConfig;
import dev.jslirp.nat.UdpFiltering;
import dev.jslirp.nat.hostfwd.HostForward;
import dev.jslirp.transport.Endpoint;
import dev.jslirp.transport.IoTransport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/** The jslirp command line, parsed in-process with picocli. */
class JslirpCommandTest {
    private static final String LISTEN = "--listen=unix:/tmp/jslirp-test.sock";

    /** Parses and checks {@code args} as the command does before starting. */
    static Jslirp.Plan plan(String... args) {
        JslirpCommand cmd = new JslirpCommand();
        new CommandLine(cmd).parseArgs(args);
        return cmd.plan();
    }

    record Result(int exitCode, String out, String err) {
    }

    /** Runs the command as main does, capturing its output; only for arguments that do not start jslirp. */
    static Result execute(String... args) {
        CommandLine cl = JslirpCommand.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(args);
        return new Result(rc, out.toString(), err.toString());
    }

    private static int ip(String a) {
        return Ipv4Address.parse(a);
    }

    // ------------------------------------------------------------------ transports

    @Test
    void listenOnAUnixSocketWithQemusDefaults() {
        Jslirp.Plan p = plan("--listen", "unix:/tmp/j.sock");
        assertThat(p.transport()).isEqualTo(new TransportSpec.Listen(new Endpoint.Unix(Paths.get("/tmp/j.sock"))));
        assertThat(p.configs().network().toString()).isEqualTo(NetworkConfig.defaults().toString());
        assertThat(p.configs().nat().forwards()).isEmpty();
        assertThat(p.netdevId()).isEqualTo("n0");
        assertThat(p.io()).isEqualTo(IoTransport.best());
    }

    @Test
    void listenOnTcp() {
        assertThat(plan("--listen", "tcp:127.0.0.1:5555").transport())
                .isEqualTo(new TransportSpec.Listen(new Endpoint.Inet("tcp", "127.0.0.1", 5555)));
        assertThat(plan("--listen", "tcp:[::1]:5555").transport())
                .isEqualTo(new TransportSpec.Listen(new Endpoint.Inet("tcp", "::1", 5555)));
    }

    @Test
    void connectWithReconnectDelay() {
        assertThat(plan("--connect", "unix:/tmp/q.sock", "--reconnect-delay", "500ms").transport())
                .isEqualTo(new TransportSpec.Connect(new Endpoint.Unix(Paths.get("/tmp/q.sock")), Duration.ofMillis(500)));
        assertThat(plan("--connect", "tcp:localhost:4444").transport())
                .isEqualTo(new TransportSpec.Connect(new Endpoint.Inet("tcp", "localhost", 4444), Duration.ofSeconds(1)));
        assertThat(plan("--connect", "tcp:localhost:4444", "--reconnect-delay", "3").transport())
                .isEqualTo(new TransportSpec.Connect(new Endpoint.Inet("tcp", "localhost", 4444), Duration.ofSeconds(3)));
    }

    @Test
    void dgramOverUdpWithAndWithoutRemote() {
        assertThat(plan("--dgram", "udp:127.0.0.1:5555,remote=127.0.0.1:5556").transport())
                .isEqualTo(new TransportSpec.Dgram(new Endpoint.Inet("udp", "127.0.0.1", 5555),
                        new Endpoint.Inet("udp", "127.0.0.1", 5556)));
        assertThat(plan("--dgram", "udp:127.0.0.1:5555").transport())
                .isEqualTo(new TransportSpec.Dgram(new Endpoint.Inet("udp", "127.0.0.1", 5555), null));
    }

    @Test
    void dgramOverUnixDatagramsOnEpoll() {
        if (!IoTransport.EPOLL.isAvailable()) {
            return;
        }
        assertThat(plan("--dgram", "unix:/tmp/j.dgram,remote=/tmp/q.dgram").transport())
                .isEqualTo(new TransportSpec.Dgram(new Endpoint.Unix(Paths.get("/tmp/j.dgram")),
                        new Endpoint.Unix(Paths.get("/tmp/q.dgram"))));
    }

    @Test
    void ioTransportCanBeChosen() {
        assertThat(plan(LISTEN, "--io", "nio").io()).isEqualTo(IoTransport.NIO);
        assertThat(plan(LISTEN, "--io", "auto").io()).isEqualTo(IoTransport.best());
    }

    // ------------------------------------------------------------------ -netdev user options

    @Test
    void addressingOptions() {
        NetworkConfig n = plan(LISTEN, "--net", "10.1.0.0/16", "--host", "10.1.0.1", "--dns", "10.1.0.53",
                "--dhcpstart", "10.1.0.100", "--mtu", "9000").configs().network();
        assertThat(n.network()).isEqualTo(ip("10.1.0.0"));
        assertThat(n.prefixLength()).isEqualTo(16);
        assertThat(n.host()).isEqualTo(ip("10.1.0.1"));
        assertThat(n.dns()).isEqualTo(ip("10.1.0.53"));
        assertThat(n.dhcpStart()).isEqualTo(ip("10.1.0.100"));
        assertThat(n.mtu()).isEqualTo(9000);
    }

    @ParameterizedTest
    @CsvSource({"on,true", "off,false", "yes,true", "no,false"})
    void restrictTakesQemusBooleans(String value, boolean restricted) {
        assertThat(plan(LISTEN, "--restrict", value).configs().network().restrict()).isEqualTo(restricted);
    }

    @Test
    void hostfwdRepeats() {
        List<HostForward> f = plan(LISTEN, "--hostfwd", "tcp::2222-:22", "--hostfwd", "udp:127.0.0.1:5353-10.0.2.15:53")
                .configs().nat().forwards();
        assertThat(f).containsExactly(HostForward.parse("tcp::2222-:22"), HostForward.parse("udp:127.0.0.1:5353-10.0.2.15:53"));
    }

    @Test
    void dhcpNamingOptions() {
        var d = plan(LISTEN, "--hostname", "guest", "--domainname", "example.test", "--dnssearch", "a.test",
                "--dnssearch", "b.test", "--tftp-server-name", "tftp.test", "--bootfile", "pxelinux.0").configs().dhcp();
        assertThat(d.hostname()).isEqualTo("guest");
        assertThat(d.domainName()).isEqualTo("example.test");
        assertThat(d.dnsSearch()).containsExactly("a.test", "b.test");
        assertThat(d.tftpServerName()).isEqualTo("tftp.test");
        assertThat(d.bootfile()).isEqualTo("pxelinux.0");
    }

    // ------------------------------------------------------------------ jslirp's own options

    @Test
    void dnsOptions() {
        var dns = plan(LISTEN, "--dns-upstream", "127.0.0.1:5353", "--dns-upstream", "127.0.0.2",
                "--dns-record", "db.test=10.0.2.50").configs().dns();
        assertThat(dns.upstreams()).containsExactly(new InetSocketAddress("127.0.0.1", 5353),
                new InetSocketAddress("127.0.0.2", 53));
        assertThat(dns.records()).containsEntry("db.test", java.util.List.of(dev.jslirp.core.wire.IpAddress.ipv4(ip("10.0.2.50"))));
    }

    @Test
    void noHostLoopback() {
        assertThat(plan(LISTEN).configs().network().hostLoopback()).isTrue();
        assertThat(plan(LISTEN, "--no-host-loopback").configs().network().hostLoopback()).isFalse();
    }

    @Test
    void hostfwdSourceIsTheClientUnlessToldGateway() {
        assertThat(plan(LISTEN).configs().nat().forwardSource()).isEqualTo(NatConfig.ForwardSource.CLIENT);
        assertThat(plan(LISTEN, "--hostfwd-source", "gateway").configs().nat().forwardSource())
                .isEqualTo(NatConfig.ForwardSource.GATEWAY);
    }

    @Test
    void hostfwdTakesAUnixSocketAsQemu() {
        HostForward f = plan(LISTEN, "--netdev-user", "hostfwd=unix:/run/vm-1/ssh.sock-:22").configs().nat()
                .forwards().get(0);
        assertThat(f.protocol()).isEqualTo(HostForward.Protocol.UNIX);
        assertThat(f.hostPath()).isEqualTo(Path.of("/run/vm-1/ssh.sock"));
    }

    @Test
    void guestForwardsAreTakenRepeatedlyAndTheirAddressesAnnounced() {
        NetworkSettings.Configs c = plan(LISTEN, "--guestfwd", "tcp:10.0.2.100:80-tcp:127.0.0.1:8080",
                "--netdev-user", "user,guestfwd=tcp::22-unix:/run/ssh.sock").configs();

        assertThat(c.nat().guestForwards()).extracting(Object::toString)
                .containsExactlyInAnyOrder("tcp:10.0.2.100:80-tcp:127.0.0.1:8080", "tcp::22-unix:/run/ssh.sock");
        assertThat(c.network().serviceAddresses()).extracting(Object::toString)
                .containsExactlyInAnyOrder("10.0.2.100", "10.0.2.4");
    }

    @Test
    void dhcpPoolOptions() {
        var d = plan(LISTEN, "--dhcp-static", "52:54:00:12:34:56=10.0.2.20", "--dhcp-pool-size", "32").configs().dhcp();
        assertThat(d.staticLeases()).containsEntry(MacAddress.parse("52:54:00:12:34:56"), ip("10.0.2.20"));
        assertThat(d.poolSize()).isEqualTo(32);
    }

    @Test
    void natLimits() {
        var nat = plan(LISTEN, "--max-tcp-flows", "100", "--max-half-open", "10", "--max-udp-flows", "50",
                "--tcp-buffer", "256k").configs().nat();
        assertThat(nat.maxTcpFlows()).isEqualTo(100);
        assertThat(nat.maxHalfOpen()).isEqualTo(10);
        assertThat(nat.maxUdpFlows()).isEqualTo(50);
        assertThat(nat.tcpBufferBytes()).isEqualTo(256 << 10);
        assertThat(plan(LISTEN, "--tcp-buffer", "2m").configs().nat().tcpBufferBytes()).isEqualTo(2 << 20);
        assertThat(plan(LISTEN, "--tcp-buffer", "65536").configs().nat().tcpBufferBytes()).isEqualTo(65536);
    }

    @Test
    void maxMemoryIsOneCeilingPerNetworkWithADefault() {
        assertThat(plan(LISTEN).configs().network().maxMemoryBytes()).isEqualTo(256L << 20);
        assertThat(plan(LISTEN, "--max-memory", "1g").configs().network().maxMemoryBytes()).isEqualTo(1L << 30);
        assertThat(plan(LISTEN, "--max-memory", "8g").configs().network().maxMemoryBytes()).isEqualTo(8L << 30);
        Jslirp.Plan p = plan(LISTEN, "--network", "id=n2,listen=unix:/tmp/n2.sock,max-memory=64m");
        assertThat(p.networks().get(1).configs().network().maxMemoryBytes()).isEqualTo(64L << 20);
    }

    @Test
    void udpFilteringAndIcmpEcho() {
        var defaults = plan(LISTEN).configs().nat();
        assertThat(defaults.udpFiltering()).isEqualTo(UdpFiltering.ENDPOINT);
        assertThat(defaults.icmpEcho()).isEqualTo(IcmpEcho.AUTO);
        var nat = plan(LISTEN, "--udp-filtering", "address-port", "--icmp-echo", "RAW").configs().nat();
        assertThat(nat.udpFiltering()).isEqualTo(UdpFiltering.ADDRESS_PORT);
        assertThat(nat.icmpEcho()).isEqualTo(IcmpEcho.RAW);
    }

    @ParameterizedTest
    @CsvSource({"debug,debug", "warn,warn", "TRACE,trace", "error,error"})
    void logLevelIsTakenInAnyCase(String given, String level) {
        JslirpCommand cmd = new JslirpCommand();
        new CommandLine(cmd).parseArgs(LISTEN, "--log-level", given);
        assertThat(cmd.logLevel()).isEqualTo(level);
        JslirpCommand none = new JslirpCommand();
        new CommandLine(none).parseArgs(LISTEN);
        assertThat(none.logLevel()).as("left to the default").isNull();
    }

    @Test
    void aBadLogLevelIsRefusedWhileParsing() {
        assertThatThrownBy(() -> new CommandLine(new JslirpCommand()).parseArgs(LISTEN, "--log-level", "loud"))
                .isInstanceOf(ParameterException.class)
                .hasMessage("invalid --log-level: 'loud' (expected error|warn|info|debug|trace)");
    }

    @Test
    void captureOptionsHaveDefaultsAndBounds() {
        Jslirp.Capture none = plan(LISTEN).capture();
        assertThat(none.file()).isNull();
        assertThat(none.limits()).isEqualTo(CaptureLimits.defaults());
        Jslirp.Capture c = plan(LISTEN, "--pcap", "cap.pcap", "--pcap-max-size", "1m", "--pcap-files", "5").capture();
        assertThat(c.file()).isEqualTo(Paths.get("cap.pcap").toAbsolutePath());
        assertThat(c.limits().maxFileBytes()).isEqualTo(1 << 20);
        assertThat(c.limits().files()).isEqualTo(5);
    }

    // ------------------------------------------------------------------ the settings table

    @Test
    void everyDeclaredSettingIsAnOptionOrANetdevUserKeyAndWorks() {
        CommandLine cl = JslirpCommand.commandLine();
        for (Setting s : NetworkSettings.DECLARED) {
            if (s.flag() != null) {
                OptionSpec o = cl.getCommandSpec().findOption(s.flag());
                assertThat(o).as(s.flag()).isNotNull();
                assertThat(o.description()[0]).startsWith(s.help());
                assertThat(o.isMultiValue()).as(s.flag() + " repeats").isEqualTo(s.repeats());
                assertThat(o.arity().max()).as(s.flag() + " takes a value").isEqualTo(s.switchValue() == null ? 1 : 0);
            }
            assertThat(NetdevUserString.supportedKeys().contains(s.key())).as(s.key()).isEqualTo(s.netdevUser());
        }
    }

    @Test
    void netdevUserTakesExactlyTheDeclaredKeysAndRefusesQemusOthers() {
        assertThat(NetdevUserString.supportedKeys()).contains("ip", "net", "hostfwd", "bootfile", "ipv4", "ipv6")
                .doesNotContain("mtu", "dns-upstream");
        assertThat(NetdevUserString.unsupportedKeys()).contains("name", "vlan").doesNotContain("tftp", "guestfwd", "smb")
                .doesNotContainAnyElementsOf(NetdevUserString.supportedKeys());
        Result mtu = execute(LISTEN, "--netdev-user", "mtu=1400");
        assertThat(mtu.exitCode()).isEqualTo(2);
        assertThat(mtu.err()).contains("unknown key 'mtu'");
    }

    @Test
    void helpListsTheKeysNetdevUserTakesAndRefuses() {
        String help = execute("--help").out().replaceAll("\\s+", " ");
        assertThat(help).contains("Keys: ip net host dns dhcpstart restrict hostfwd guestfwd smb smbserver hostname "
                + "domainname dnssearch tftp tftp-server-name bootfile ipv4 ipv6 ipv6-net ipv6-prefix ipv6-prefixlen "
                + "ipv6-host ipv6-dns;")
                .contains("(name vlan) are refused")
                .contains("--dnssearch=DOMAIN A DNS search domain DHCP gives the guest. Repeatable.")
                .contains("--no-host-loopback Do not let");
    }

    @Test
    void aSettingRepeatedInBothSpellingsKeepsTheNetdevUserValuesFirst() {
        var d = plan(LISTEN, "--dnssearch", "c.test", "--netdev-user", "dnssearch=a.test,dnssearch=b.test")
                .configs().dhcp();
        assertThat(d.dnsSearch()).containsExactly("a.test", "b.test", "c.test");
    }

    // ------------------------------------------------------------------ the QEMU-style string

    @Test
    void qemusNetdevUserLineCarriesOver() {
        Jslirp.Plan p = plan(LISTEN, "--netdev-user", "user,id=net0,net=10.0.2.0/24,host=10.0.2.2,dns=10.0.2.3,"
                + "dhcpstart=10.0.2.15,hostfwd=tcp::2222-:22,hostfwd=udp::5353-:53,restrict=off,hostname=vm,"
                + "domainname=lan.test,dnssearch=a.test,dnssearch=b.test,tftp-server-name=t.test,bootfile=boot.img");
        assertThat(p.netdevId()).isEqualTo("net0");
        assertThat(p.configs().network().toString()).isEqualTo(NetworkConfig.defaults().toString());
        assertThat(p.configs().nat().forwards()).containsExactly(HostForward.parse("tcp::2222-:22"),
                HostForward.parse("udp::5353-:53"));
        assertThat(p.configs().dhcp().hostname()).isEqualTo("vm");
        assertThat(p.configs().dhcp().domainName()).isEqualTo("lan.test");
        assertThat(p.configs().dhcp().dnsSearch()).containsExactly("a.test", "b.test");
        assertThat(p.configs().dhcp().tftpServerName()).isEqualTo("t.test");
        assertThat(p.configs().dhcp().bootfile()).isEqualTo("boot.img");
    }

    @Test
    void netdevUserStringCombinesWithOptions() {
        Jslirp.Plan p = plan(LISTEN, "--netdev-user", "net=192.168.76.0/24,hostfwd=tcp::1111-:11",
                "--hostfwd", "tcp::2222-:22", "--mtu", "1400");
        assertThat(p.configs().network().network()).isEqualTo(ip("192.168.76.0"));
        assertThat(p.configs().network().host()).as("follows net= as in QEMU").isEqualTo(ip("192.168.76.2"));
        assertThat(p.configs().network().mtu()).isEqualTo(1400);
        assertThat(p.configs().nat().forwards()).containsExactly(HostForward.parse("tcp::1111-:11"),
                HostForward.parse("tcp::2222-:22"));
    }

    /** QEMU's legacy ip=ADDR is net=ADDR/24; net= wins when both are given, as in QEMU. */
    @Test
    void legacyIpKeyIsANetOfLength24() {
        assertThat(plan(LISTEN, "--netdev-user", "ip=192.168.77.0").configs().network().network())
                .isEqualTo(ip("192.168.77.0"));
        assertThat(plan(LISTEN, "--netdev-user", "net=10.1.0.0/16,ip=192.168.77.0").configs().network().network())
                .isEqualTo(ip("10.1.0.0"));
    }

    @Test
    void netdevUserStringTakesQemusEscapesAndHarmlessKeys() {
        Jslirp.Plan p = plan(LISTEN, "--netdev-user", "type=user,id=x,ipv4=on,ipv6=off,bootfile=a,,b");
        assertThat(p.configs().dhcp().bootfile()).isEqualTo("a,b");
        assertThat(p.netdevId()).isEqualTo("x");
    }

    @Test
    void tftpDirectoryAsOptionOrNetdevUserKey(@TempDir Path dir) throws Exception {
        assertThat(plan(LISTEN).configs().tftp()).isNull();
        assertThat(plan(LISTEN, "--tftp", dir.toString(), "--bootfile", "boot.ipxe").configs().tftp().root())
                .isEqualTo(dir.toRealPath());
        Jslirp.Plan p = plan(LISTEN, "--netdev-user", "user,tftp=" + dir + ",bootfile=pxelinux.0");
        assertThat(p.configs().tftp().root()).isEqualTo(dir.toRealPath());
        assertThat(p.configs().dhcp().bootfile()).isEqualTo("pxelinux.0");
    }

    @Test
    void aKeyGivenBothWaysIsAnError() {
        assertThatThrownBy(() -> plan(LISTEN, "--netdev-user", "host=10.0.2.2", "--host", "10.0.2.2"))
                .isInstanceOf(ParameterException.class)
                .hasMessageContaining("host given twice").hasMessageContaining("--host")
                .hasMessageContaining("host= (in --netdev-user)");
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
        "name=n0;name",
        "vlan=1;vlan",
    })
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void unsupportedQemuKeysAreRefusedByName(String setting, String key) {
        Result r = execute(LISTEN, "--netdev-user", "user," + setting);
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("'" + key + "'").contains("not supported").contains("--netdev-user");
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void ipv6KeysAreTakenAndUnknownKeysAreRefused() {
        var net = plan(LISTEN, "--netdev-user", "ipv6=on,ipv6-net=fd00:1::/64,ipv6-dns=fd00:1::53").configs().network();
        assertThat(net.ipv6()).isTrue();
        assertThat(net.ipv6Host()).hasToString("fd00:1::2");
        assertThat(net.ipv6Dns()).hasToString("fd00:1::53");
        assertThat(plan(LISTEN, "--ipv6", "off").configs().network().ipv6()).isFalse();
        Result outside = execute(LISTEN, "--netdev-user", "ipv6-host=fec1::2");
        assertThat(outside.exitCode()).isEqualTo(2);
        assertThat(outside.err()).contains("ipv6-host= (in --netdev-user)").contains("not inside ipv6-net");
        Result unknown = execute(LISTEN, "--netdev-user", "frobnicate=1");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown key 'frobnicate'");
    }

    // ------------------------------------------------------------------ mistakes: status 2, one line naming the option

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
        "--mtu 99;--mtu;576..65520",
        "--mtu abc;--mtu;not a number",
        "--net 10.0.2.0/40;--net;8..30",
        "--host 10.0.3.2;--host;not inside net",
        "--dns 10.0.2.2;--dns;host address",
        "--dhcpstart nonsense;--dhcpstart;a.b.c.d",
        "--hostfwd tcp:2222;--hostfwd;[tcp|udp]:[hostaddr]:hostport-[guestaddr|name|[mac]]:guestport",
        "--restrict maybe;--restrict;on|off",
        "--hostfwd-source real;--hostfwd-source;client or gateway",
        "--guestfwd tcp:10.0.2.100:80;--guestfwd;tcp:HOST:PORT, unix:PATH or cmd:COMMAND",
        "--guestfwd tcp:10.0.2.100:80-file:/tmp/x;--guestfwd;character devices",
        "--guestfwd tcp:10.0.3.100:80-tcp:127.0.0.1:80;--guestfwd;not inside net",
        "--netdev-user guestfwd=tcp:10.0.2.3:53-tcp:127.0.0.1:53;guestfwd= (in --netdev-user);DNS address",
        "--smb /no/such/dir;--smb;not a readable directory",
        "--netdev-user smb=/no/such/dir;smb= (in --netdev-user);not a readable directory",
        "--smbserver 10.0.2.4;--smbserver;applies to smb= only",
        "--tcp-buffer 1x;--tcp-buffer;BYTES",
        "--tcp-buffer 1k;--tcp-buffer;out of range",
        "--max-memory lots;--max-memory;BYTES",
        "--max-memory 512k;--max-memory;1m..1024g",
        "--max-memory 2048g;--max-memory;1m..1024g",
        "--max-tcp-flows 0;--max-tcp-flows;1..1000000",
        "--max-half-open -1;--max-half-open;1..65536",
        "--max-udp-flows many;--max-udp-flows;not a number",
        "--udp-filtering open;--udp-filtering;endpoint|address-port",
        "--icmp-echo always;--icmp-echo;auto|ping|raw|off",
        "--dhcp-pool-size 5000;--dhcp-pool-size;1..1024",
        "--dhcp-static junk;--dhcp-static;aa:bb:cc:dd:ee:ff=a.b.c.d",
        "--dns-record noaddr;--dns-record;name=a.b.c.d",
        "--dns-upstream 1.2.3.4:99999;--dns-upstream;a.b.c.d:port",
        "--hostname bad_name!;--hostname;not a DNS name",
        "--io carrier-pigeon;--io;auto|epoll|nio",
        "--tftp /no/such/dir;--tftp;a readable directory",
        "--netdev-user tftp=/no/such/dir;tftp= (in --netdev-user);a readable directory",
        "--log-level loud;--log-level;error|warn|info|debug|trace",
        "--netdev-user host=10.0.9.9;host= (in --netdev-user);not inside net",
        "--netdev-user restrict=perhaps;restrict= (in --netdev-user);on|off",
        "--ready-fd 99999;--ready-fd;not an open file descriptor",
        "--ready-fd 1;--ready-fd;standard input, output or error",
        "--ready-fd three;--ready-fd;not a number",
        "--pid-file /nonexistent-dir/jslirp.pid;--pid-file;does not exist",
        "--log-file /nonexistent-dir/jslirp.log;--log-file;cannot open",
        "--pcap /tmp;--pcap;is a directory",
        "--pcap-max-size 64k;--pcap-max-size;at least 128k",
        "--pcap-max-size lots;--pcap-max-size;BYTES",
        "--pcap-files 0;--pcap-files;1..1000",
        "--metrics unix:/tmp/m.sock;--metrics;tcp:HOST:PORT",
        "--metrics tcp:127.0.0.1:99999;--metrics;0..65535",
        "--metrics tcp:127.0.0.1;--metrics;no port",
    })
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void badValueExitsWithStatus2AndOneLineNamingTheOption(String args, String option, String form) {
        String[] split = args.split(" ", 2);
        Result r = execute(LISTEN, split[0], split[1]);
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).startsWith("jslirp: ").contains(option).contains(form);
        assertThat(r.out()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = ';', value = {
        "--listen foo;--listen;unix:PATH or tcp:HOST:PORT",
        "--listen tcp:127.0.0.1:99999;--listen;0..65535",
        "--listen tcp:127.0.0.1;--listen;no port",
        "--listen unix:;--listen;no path",
        "--connect udp:1.2.3.4:5;--connect;unix:PATH or tcp:HOST:PORT",
        "--dgram tcp:127.0.0.1:5;--dgram;unix:PATH or udp:HOST:PORT",
        "--dgram udp:127.0.0.1:5555,remote=127.0.0.1:0;--dgram;non-zero port",
    })
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void badTransportAddressExitsWithStatus2(String args, String option, String form) {
        String[] split = args.split(" ", 2);
        Result r = execute(split[0], split[1]);
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).contains(option).contains(form);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void aTransportMustBeGiven() {
        Result none = execute("--mtu", "1500");
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.err()).contains("--listen").contains("--connect").contains("--dgram").contains("--network");
        assertThat(none.err().lines()).hasSize(1);
    }

    @Test
    void severalTransportsAreOneNetworkEachWithItsPortOptions() {
        Jslirp.Plan p = plan("--listen", "unix:/tmp/a.sock", "--listen", "unix:/tmp/b.sock,isolated=on,restrict=on",
                "--connect", "unix:/tmp/q.sock,lock=on", "--dgram", "udp:127.0.0.1:5555,remote=127.0.0.1:5556,isolated=on");
        assertThat(p.networks()).hasSize(1);
        List<TransportSpec> t = p.networks().get(0).transports();
        assertThat(t).hasSize(4);
        assertThat(t.get(0).ports().describe()).isEmpty();
        assertThat(((TransportSpec.Listen) t.get(1)).endpoint()).isEqualTo(new Endpoint.Unix(Paths.get("/tmp/b.sock")));
        assertThat(t.get(1).ports().describe()).isEqualTo("isolated=on,restrict=on");
        assertThat(t.get(2).ports().locked()).isTrue();
        assertThat(((TransportSpec.Dgram) t.get(3)).remote()).isEqualTo(new Endpoint.Inet("udp", "127.0.0.1", 5556));
        assertThat(t.get(3).ports().isolated()).isTrue();
        Result bad = execute("--listen", "unix:/tmp/a.sock,isolated=maybe");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("--listen isolated=").contains("expected on|off");
    }

    @Test
    void moreNetworksComeWithTheirOwnSettingsAndTransports() {
        Jslirp.Plan p = plan("--listen", "unix:/tmp/a.sock", "--net", "10.0.5.0/24", "--network",
                "id=n1,listen=unix:/tmp/n1.sock,,isolated=on,net=10.0.3.0/24,hostfwd=tcp::2223-:22,max-ports=8",
                "--network", "id=n2,dgram=udp:127.0.0.1:7000,,remote=127.0.0.1:7001,mtu=9000");
        assertThat(p.networks()).extracting(Jslirp.NetworkPlan::id).containsExactly("n0", "n1", "n2");
        Jslirp.NetworkPlan n1 = p.networks().get(1);
        assertThat(n1.configs().network().network()).isEqualTo(ip("10.0.3.0"));
        assertThat(n1.configs().network().maxPorts()).isEqualTo(8);
        assertThat(n1.configs().nat().forwards()).hasSize(1);
        assertThat(n1.transports().get(0).ports().isolated()).isTrue();
        assertThat(p.networks().get(2).configs().network().mtu()).isEqualTo(9000);
        assertThat(p.networks().get(0).configs().network().network()).isEqualTo(ip("10.0.5.0"));

        Result noId = execute("--network", "listen=unix:/tmp/x.sock");
        assertThat(noId.exitCode()).isEqualTo(2);
        assertThat(noId.err()).contains("invalid --network").contains("no id=");
        Result noTransport = execute("--network", "id=n1,net=10.0.3.0/24");
        assertThat(noTransport.err()).contains("--network n1: no transport");
        Result badKey = execute("--network", "id=n1,listen=unix:/tmp/x.sock,colour=blue");
        assertThat(badKey.err()).contains("--network n1: unknown key 'colour'");
        Result badValue = execute("--network", "id=n1,listen=unix:/tmp/x.sock,mtu=12");
        assertThat(badValue.err()).contains("mtu= (in --network n1)").contains("576..65520");
        Result twice = execute("--listen", "unix:/tmp/a.sock", "--network", "id=n0,listen=unix:/tmp/x.sock");
        assertThat(twice.err()).contains("--network n0: the id is taken");
        Result orphan = execute("--mtu", "9000", "--network", "id=n1,listen=unix:/tmp/x.sock");
        assertThat(orphan.err()).contains("--mtu").contains("give them in --network");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void reconnectDelayOutsideConnectModeOrRangeIsAnError() {
        Result listen = execute(LISTEN, "--reconnect-delay", "2s");
        assertThat(listen.exitCode()).isEqualTo(2);
        assertThat(listen.err()).contains("--reconnect-delay applies to --connect only");
        Result tooShort = execute("--connect", "unix:/tmp/q.sock", "--reconnect-delay", "5ms");
        assertThat(tooShort.exitCode()).isEqualTo(2);
        assertThat(tooShort.err()).contains("--reconnect-delay").contains("10ms..1h");
        Result garbage = execute("--connect", "unix:/tmp/q.sock", "--reconnect-delay", "soon");
        assertThat(garbage.exitCode()).isEqualTo(2);
        assertThat(garbage.err()).contains("--reconnect-delay").contains("500ms");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void unknownOptionAndMissingValueAreUsageErrors() {
        Result unknown = execute(LISTEN, "--frobnicate");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("--frobnicate");
        assertThat(unknown.err().lines()).hasSize(1);
        Result missing = execute(LISTEN, "--mtu");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("--mtu");
        assertThat(missing.err().lines()).hasSize(1);
        Result twice = execute(LISTEN, "--mtu", "1500", "--mtu", "1400");
        assertThat(twice.exitCode()).isEqualTo(2);
        assertThat(twice.err()).contains("--mtu");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void smbWithoutSmbdSaysWhatToInstall() {
        Result r = execute(LISTEN, "--smb", "/tmp", "--smbd", "/nonexistent/smbd");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--smbd").contains("/nonexistent/smbd").contains("not an executable");
        assertThat(r.err().lines()).hasSize(1);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void smbServerAddressThatDoesNotFitTheNetworkIsRefusedNamingSmbserver() {
        Result outside = execute(LISTEN, "--netdev-user", "smb=/tmp,smbserver=10.0.3.4");
        assertThat(outside.exitCode()).isEqualTo(2);
        assertThat(outside.err()).contains("smbserver= (in --netdev-user)").contains("not inside net");
        Result taken = execute(LISTEN, "--smb", "/tmp", "--guestfwd", "tcp::445-tcp:127.0.0.1:445");
        assertThat(taken.exitCode()).isEqualTo(2);
        assertThat(taken.err()).contains("10.0.2.4:445 is forwarded already");
    }

    @Test
    void smbIsPlannedWithItsServerAndShare() {
        NetworkSettings.Configs c = plan(LISTEN, "--netdev-user", "smb=/tmp,smbserver=10.0.2.9").configs();
        assertThat(c.smb().dir()).isEqualTo(Path.of("/tmp"));
        assertThat(c.smb().server()).hasToString("10.0.2.9");
        assertThat(c.network().serviceAddresses()).extracting(Object::toString).containsExactly("10.0.2.9");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void commandsAndSmbOnNioAreRefusedNamingEpoll() {
        Result cmd = execute(LISTEN, "--io", "nio", "--guestfwd", "tcp::80-cmd:cat");
        assertThat(cmd.exitCode()).isEqualTo(2);
        assertThat(cmd.err()).contains("guestfwd").contains("epoll");
        Result smb = execute(LISTEN, "--io", "nio", "--smb", "/tmp");
        assertThat(smb.exitCode()).isEqualTo(2);
        assertThat(smb.err()).contains("smb").contains("epoll");
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void unixDatagramsOnNioAreRefusedNamingEpoll() {
        Result r = execute("--dgram", "unix:/tmp/j.dgram", "--io", "nio");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--dgram").contains("epoll");
        assertThat(r.err().lines()).hasSize(1);
    }

    // ------------------------------------------------------------------ help and version

    @Test
    void helpDocumentsEveryOptionWithItsForm() {
        Result r = execute("--help");
        assertThat(r.exitCode()).isZero();
        CommandLine cl = JslirpCommand.commandLine();
        // picocli wraps a long option label where it has no spaces, e.g. after "[,"
        String unwrapped = r.out().replaceAll("\\n\\s+", "");
        for (OptionSpec o : cl.getCommandSpec().options()) {
            assertThat(r.out()).contains(o.longestName());
            if (o.arity().max() > 0) {
                assertThat(unwrapped).contains(o.longestName() + "=" + o.paramLabel());
            }
        }
        assertThat(r.out()).contains("--dgram udp:127.0.0.1:5555,remote=127.0.0.1:5556")
                .contains("-netdev dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=5556,"
                        + "remote.type=inet,remote.host=127.0.0.1,remote.port=5555")
                .contains("-netdev stream,id=n0,server=off,addr.type=unix,addr.path=/tmp/jslirp.sock");
    }

    @Test
    void versionNamesJslirpAndNetty() {
        Result r = execute("--version");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).containsPattern("jslirp \\d+\\.\\d+").contains("Netty 4.").doesNotContain("${");
    }
}
