package dev.jslirp.slirp4netns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jslirp.cli.JslirpCommand;
import dev.jslirp.core.wire.Ipv4Address;
import dev.jslirp.core.wire.MacAddress;
import dev.jslirp.transport.tap.TapSetup;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code jslirp slirp4netns}'s command line, in-process: every option's forms, every
 * bad value refused with the option named and slirp4netns's words, the help text that
 * rootlesskit and podman search for features, and the version.
 */
class Slirp4netnsCommandLineTest {
    /** A PID argument: only its form is checked before start. */
    private static final String PID = "4242";

    /** Parses {@code args} and checks them as the command does before starting. */
    static Slirp4netnsOptions check(String... args) {
        Slirp4netnsCommand cmd = new Slirp4netnsCommand();
        new CommandLine(cmd).parseArgs(args);
        return Slirp4netnsOptions.check(cmd.raw());
    }

    record Result(int exitCode, String out, String err) {
    }

    /** Runs {@code jslirp slirp4netns ARGS} as main does; only for arguments that do not start it. */
    static Result execute(String... args) {
        CommandLine cl = JslirpCommand.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        String[] all = new String[args.length + 1];
        all[0] = "slirp4netns";
        System.arraycopy(args, 0, all, 1, args.length);
        int rc = cl.execute(all);
        return new Result(rc, out.toString(), err.toString());
    }

    // ------------------------------------------------------------------ what rootlesskit and podman run

    @Test
    void rootlesskitsCommandLineParses() {
        Slirp4netnsOptions o = check("--mtu", "65520", "-r", "1", "--disable-host-loopback", "--api-socket",
                "/tmp/s4n.sock", PID, "tap0");
        assertThat(o.mtu()).isEqualTo(65520);
        assertThat(o.readyFd().fd()).isEqualTo(1);
        assertThat(o.disableHostLoopback()).isTrue();
        assertThat(o.apiSocket()).isEqualTo(Path.of("/tmp/s4n.sock"));
        assertThat(o.target()).isEqualTo(new NamespaceTarget(Path.of("/proc/4242/ns/net"),
                Path.of("/proc/4242/ns/user"), 4242));
        assertThat(o.tapName()).isEqualTo("tap0");
        assertThat(o.configure()).isFalse();
        assertThat(o.warnings()).isEmpty();
    }

    @Test
    void podmansCommandLineParsesWithGetoptForms() {
        Slirp4netnsOptions o = check("--disable-host-loopback", "--mtu=65520", "-c", "-e", "0", "-r", "1",
                "--netns-type=path", "/proc/self/ns/net", "tap0");
        assertThat(o.configure()).isTrue();
        assertThat(o.exitFd().fd()).isZero();
        assertThat(o.target()).isEqualTo(new NamespaceTarget(Path.of("/proc/self/ns/net"), null, 0));
        assertThat(o.target().needsHelper()).as("no user namespace to enter").isFalse();
    }

    @Test
    void aUserNamespaceGivenByPathIsEnteredOnlyIfItIsAnotherOne() {
        Slirp4netnsOptions o = check("--userns-path=/proc/self/ns/user", "--netns-type=path", "/proc/self/ns/net", "tap0");
        assertThat(o.target().userns()).isEqualTo(Path.of("/proc/self/ns/user"));
        assertThat(o.target().needsHelper()).as("jslirp's own user namespace").isFalse();
        assertThat(check("--netns-type=pid", PID, "tap0").target().userns()).isEqualTo(Path.of("/proc/4242/ns/user"));
    }

    @Test
    void defaultsAreSlirp4netnss() {
        Slirp4netnsOptions o = check(PID, "tap0");
        assertThat(o.mtu()).isEqualTo(1500);
        SlirpAddresses a = o.addresses();
        assertThat(Ipv4Address.toString(a.network())).isEqualTo("10.0.2.0");
        assertThat(a.prefix()).isEqualTo(24);
        assertThat(Ipv4Address.toString(a.gateway())).isEqualTo("10.0.2.2");
        assertThat(Ipv4Address.toString(a.dns())).isEqualTo("10.0.2.3");
        assertThat(Ipv4Address.toString(a.dhcpStart())).isEqualTo("10.0.2.15");
        assertThat(Ipv4Address.toString(a.recommended())).isEqualTo("10.0.2.100");
        assertThat(o.disableHostLoopback()).isFalse();
        assertThat(o.disableDns()).isFalse();
        assertThat(o.outboundAddress()).isNull();
        assertThat(o.ipv6()).as("IPv6 only with -6, as slirp4netns").isFalse();
        assertThat(o.outboundAddress6()).isNull();
        assertThat(o.apiSocket()).isNull();
        assertThat(o.readyFd()).isNull();
        assertThat(o.exitFd()).isNull();
        assertThat(o.mac()).isEqualTo(-1);
    }

    @Test
    void cidrMovesEveryAddressWithIt() {
        SlirpAddresses a = check("--cidr=192.168.96.0/20", PID, "tap0").addresses();
        assertThat(a.cidr()).isEqualTo("192.168.96.0/20");
        assertThat(Ipv4Address.toString(a.gateway())).isEqualTo("192.168.96.2");
        assertThat(Ipv4Address.toString(a.dns())).isEqualTo("192.168.96.3");
        assertThat(Ipv4Address.toString(a.dhcpStart())).isEqualTo("192.168.96.15");
        assertThat(Ipv4Address.toString(a.recommended())).isEqualTo("192.168.96.100");
        assertThat(Ipv4Address.toString(a.netmask())).isEqualTo("255.255.240.0");
    }

    @Test
    void configureGivesTheTapTheRecommendedAddressARouteAMacAndLoopbackUp() {
        Slirp4netnsOptions o = check("-c", "--macaddress", "02:00:00:ab:cd:ef", "--mtu", "9000", PID, "tap1");
        TapSetup s = Slirp4netns.tapSetup(o);
        assertThat(s).isEqualTo(new TapSetup("tap1", 9000, Ipv4Address.parse("10.0.2.100"),
                Ipv4Address.parse("255.255.255.0"), Ipv4Address.parse("10.0.2.2"), MacAddress.parse("02:00:00:ab:cd:ef"),
                true, false, null));
        assertThat(Slirp4netns.tapSetup(check(PID, "tap0"))).isEqualTo(TapSetup.link("tap0", 1500));
    }

    @Test
    void shortOptionsTakeAttachedValuesAndAnOptionGivenTwiceTakesTheLast() {
        Slirp4netnsOptions o = check("-m1400", "--mtu", "1500", "-cr1", "-a/tmp/a.sock", PID, "tap0");
        assertThat(o.mtu()).isEqualTo(1500);
        assertThat(o.configure()).isTrue();
        assertThat(o.readyFd().fd()).isEqualTo(1);
        assertThat(o.apiSocket()).isEqualTo(Path.of("/tmp/a.sock"));
        assertThat(check("--configure", "--configure", PID, "tap0").configure()).isTrue();
    }

    @Test
    void optionsMayFollowTheArgumentsAsWithGetopt() {
        Slirp4netnsOptions o = check(PID, "tap0", "--mtu=2000", "--disable-dns");
        assertThat(o.mtu()).isEqualTo(2000);
        assertThat(o.disableDns()).isTrue();
    }

    @Test
    void outboundAddrTakesAnAddressOrAnInterfaceName() throws Exception {
        assertThat(check("--outbound-addr=127.0.0.2", PID, "tap0").outboundAddress())
                .isEqualTo(InetAddress.getByName("127.0.0.2"));
        assertThat(check("--outbound-addr=lo", PID, "tap0").outboundAddress())
                .isEqualTo(InetAddress.getByName("127.0.0.1"));
    }

    @Test
    void enableIpv6IsTakenInEitherSpellingAndAlongsideOtherShortOptions() {
        assertThat(check("--enable-ipv6", PID, "tap0").ipv6()).isTrue();
        Slirp4netnsOptions o = check("-c6", PID, "tap0");
        assertThat(o.ipv6()).isTrue();
        assertThat(o.configure()).isTrue();
        assertThat(o.warnings()).isEmpty();
    }

    @Test
    void outboundAddr6TakesAnAddressOrAnInterfaceNameAndWarnsWithoutIpv6() throws Exception {
        Slirp4netnsOptions o = check("-6", "--outbound-addr6=fd00:1::5", PID, "tap0");
        assertThat(o.outboundAddress6()).isEqualTo(InetAddress.getByName("fd00:1::5"));
        assertThat(o.warnings()).isEmpty();
        assertThat(check("-6", "--outbound-addr6=lo", PID, "tap0").outboundAddress6())
                .as("lo's ::1").isEqualTo(InetAddress.getByName("::1"));
        assertThat(check("--outbound-addr6=::1", PID, "tap0").warnings())
                .containsExactly("WARNING: --outbound-addr6 has no effect without --enable-ipv6");
    }

    @Test
    void deprecatedSpellingsAndTooManyArgumentsWarnAsSlirp4netnsDoes() {
        Slirp4netnsOptions o = check("--no-host-loopback", PID, "tap0", "extra");
        assertThat(o.disableHostLoopback()).isTrue();
        assertThat(o.warnings()).containsExactly(
                "WARNING: --no-host-loopback is deprecated and will be removed in future releases, please use "
                        + "--disable-host-loopback instead.",
                "WARNING: too many arguments");
    }

    @Test
    void theSandboxIsAcceptedWithAWarningThatItIsNotApplied() {
        Slirp4netnsOptions o = check("--enable-sandbox", PID, "tap0");
        assertThat(o.warnings()).hasSize(1);
        assertThat(o.warnings().get(0)).startsWith("WARNING: --enable-sandbox is accepted but not applied");
        assertThat(check("--create-sandbox", PID, "tap0").warnings()).hasSize(2);
    }

    @Test
    void seccompIsAskedForWithSlirp4netnssWarning() {
        Slirp4netnsOptions o = check("--enable-seccomp", PID, "tap0");
        assertThat(o.seccomp()).isTrue();
        assertThat(o.warnings()).containsExactly("WARNING: Support for seccomp is experimental");
        assertThat(check(PID, "tap0").seccomp()).isFalse();
    }

    @Test
    void targetTypeNetnsIsTheDefault() {
        assertThat(check("--target-type=netns", PID, "tap0").tapName()).isEqualTo("tap0");
    }

    // ------------------------------------------------------------------ bad values

    static Stream<Arguments> badValues() {
        return Stream.of(
                Arguments.of(new String[] {"-e", "x", PID, "tap0"}, "invalid --exit-fd 'x': exit-fd must be a non-negative integer"),
                Arguments.of(new String[] {"-e", "-1", PID, "tap0"}, "invalid --exit-fd '-1': exit-fd must be a non-negative integer"),
                Arguments.of(new String[] {"--exit-fd=987", PID, "tap0"}, "invalid --exit-fd '987': not an open file descriptor"),
                Arguments.of(new String[] {"-r", "3x", PID, "tap0"}, "invalid --ready-fd '3x': ready-fd must be a non-negative integer"),
                Arguments.of(new String[] {"--ready-fd=988", PID, "tap0"}, "invalid --ready-fd '988': not an open file descriptor"),
                Arguments.of(new String[] {"--mtu", "abc", PID, "tap0"}, "invalid --mtu 'abc': MTU must be a positive integer (< 65522)"),
                Arguments.of(new String[] {"--mtu", "0", PID, "tap0"}, "invalid --mtu '0': MTU must be a positive integer (< 65522)"),
                Arguments.of(new String[] {"-m", "65522", PID, "tap0"}, "invalid --mtu '65522': MTU must be a positive integer (< 65522)"),
                Arguments.of(new String[] {"-m", "65521", PID, "tap0"}, "invalid --mtu '65521': jslirp supports an MTU of 576..65520"),
                Arguments.of(new String[] {"-m", "500", PID, "tap0"}, "invalid --mtu '500': jslirp supports an MTU of 576..65520"),
                Arguments.of(new String[] {"--cidr", "10.0.2.0", PID, "tap0"}, "invalid --cidr '10.0.2.0': invalid CIDR: 10.0.2.0"),
                Arguments.of(new String[] {"--cidr", "10.0.2.0/24x", PID, "tap0"}, "invalid --cidr '10.0.2.0/24x': invalid CIDR"),
                Arguments.of(new String[] {"--cidr", "10.0.300.0/24", PID, "tap0"}, "invalid network address: 10.0.300.0"),
                Arguments.of(new String[] {"--cidr", "10.0.0.0/26", PID, "tap0"}, "prefix length needs to be 1-25"),
                Arguments.of(new String[] {"--cidr", "10.0.0.0/0", PID, "tap0"}, "prefix length needs to be 1-25"),
                Arguments.of(new String[] {"--cidr", "10.0.0.0/7", PID, "tap0"}, "prefix length needs to be 8-25 for jslirp"),
                Arguments.of(new String[] {"--cidr", "10.0.2.100/24", PID, "tap0"},
                        "CIDR needs to be a network address like 10.0.2.0/24, not like 10.0.2.100/24"),
                Arguments.of(new String[] {"--netns-type=file", PID, "tap0"}, "invalid --netns-type 'file': expected pid or path"),
                Arguments.of(new String[] {"--netns-type=tapfd", "3", "tap0"}, "tapfd (slirp4netns 1.3) is not supported by jslirp"),
                Arguments.of(new String[] {"--netns-type=path", "/nonexistent/netns", "tap0"},
                        "invalid PATH '/nonexistent/netns': existing path expected when --netns-type=path"),
                Arguments.of(new String[] {"--userns-path=/nonexistent/userns", PID, "tap0"},
                        "userns path doesn't exist: /nonexistent/userns"),
                Arguments.of(new String[] {"abc", "tap0"}, "invalid PID 'abc': PID must be a positive integer"),
                Arguments.of(new String[] {"0", "tap0"}, "invalid PID '0': PID must be a positive integer"),
                Arguments.of(new String[] {"99999999999", "tap0"}, "PID must be a positive integer"),
                Arguments.of(new String[] {PID}, "expected PID|PATH and TAPNAME, got only '4242'"),
                Arguments.of(new String[] {}, "expected PID|PATH and TAPNAME, got neither"),
                Arguments.of(new String[] {PID, "tap/0"}, "invalid TAPNAME: 'tap/0'"),
                Arguments.of(new String[] {PID, "a-name-longer-than-15"}, "invalid TAPNAME: 'a-name-longer-than-15'"),
                Arguments.of(new String[] {"--macaddress=02:00:00:00:00:01", PID, "tap0"},
                        "--macaddr cannot be specified when --configure or -c is not specified"),
                Arguments.of(new String[] {"-c", "--macaddress=02:00:00:00:00", PID, "tap0"},
                        "\"02:00:00:00:00\" is an invalid MAC address"),
                Arguments.of(new String[] {"-c", "--macaddress=zz:00:00:00:00:01", PID, "tap0"}, "is an invalid MAC address"),
                Arguments.of(new String[] {"-c", "--macaddress=01:00:5e:00:00:01", PID, "tap0"}, "not a unicast MAC address"),
                Arguments.of(new String[] {"--outbound-addr=no-such-if0", PID, "tap0"},
                        "invalid --outbound-addr 'no-such-if0': outbound-addr has to be valid ipv4 address or interface name."),
                Arguments.of(new String[] {"--outbound-addr=300.1.1.1", PID, "tap0"}, "outbound-addr has to be valid ipv4"),
                Arguments.of(new String[] {"--outbound-addr=0.0.0.0", PID, "tap0"}, "not a unicast address of this host"),
                Arguments.of(new String[] {"-6", "--outbound-addr6=10.0.0.1", PID, "tap0"},
                        "invalid --outbound-addr6 '10.0.0.1': outbound-addr6 has to be valid ipv6 address or interface name."),
                Arguments.of(new String[] {"-6", "--outbound-addr6=fd00::zz", PID, "tap0"},
                        "outbound-addr6 has to be valid ipv6"),
                Arguments.of(new String[] {"-6", "--outbound-addr6=no-such-if0", PID, "tap0"},
                        "outbound-addr6 has to be valid ipv6"),
                Arguments.of(new String[] {"-6", "--outbound-addr6=::", PID, "tap0"}, "not a unicast address of this host"),
                Arguments.of(new String[] {"-6", "--outbound-addr6=fe80::1", PID, "tap0"},
                        "not a unicast address of this host beyond the link"),
                Arguments.of(new String[] {"--target-type=bess", "/tmp/bess.sock"}, "BESS mode is not supported by jslirp"),
                Arguments.of(new String[] {"--target-type=vde", PID, "tap0"},
                        "--target-type must be either \"netns\" or \"bess\""),
                Arguments.of(new String[] {"--api-socket=/tmp/" + "x".repeat(110), PID, "tap0"},
                        "the specified API socket path is too long (>= 108)"),
                Arguments.of(new String[] {"--api-socket=/tmp", PID, "tap0"}, "invalid --api-socket '/tmp': is a directory"),
                Arguments.of(new String[] {"--api-socket=", PID, "tap0"}, "invalid --api-socket '': expected the path"),
                Arguments.of(new String[] {"--no-such-option", PID, "tap0"}, "Unknown option: '--no-such-option'"),
                Arguments.of(new String[] {"-x", PID, "tap0"}, "Unknown option: '-x'"),
                Arguments.of(new String[] {"--mtu"}, "Missing required parameter for option '--mtu'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void aBadValueIsRefusedNamingTheOptionWithStatus2(String[] args, String message) {
        Result r = execute(args);
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).startsWith("jslirp slirp4netns: ").contains(message).endsWith("--help)" + System.lineSeparator());
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.out()).isEmpty();
    }

    @Test
    void checkingRefusesBeforeAnythingStarts() {
        assertThatThrownBy(() -> check("--mtu", "x", PID, "tap0")).isInstanceOf(UsageException.class);
    }

    // ------------------------------------------------------------------ help and version

    @Test
    void helpListsWhatRootlesskitAndPodmanLookForAndOnlyThat() {
        Result r = execute("--help");
        assertThat(r.exitCode()).isZero();
        String help = r.out();
        assertThat(help).startsWith("Usage: slirp4netns [OPTION]... PID|PATH TAPNAME");
        // rootlesskit's DetectFeatures requires --netns-type (v0.4.0+), then looks for these:
        assertThat(help).contains("--netns-type", "--cidr", "--disable-host-loopback", "--api-socket");
        // podman's checkSlirpFlags:
        assertThat(help).contains("--mtu", "--outbound-addr");
        assertThat(help).contains("--enable-seccomp"); // rootlesskit and podman then ask for it
        assertThat(help).contains("--enable-ipv6", "--outbound-addr6"); // rootlesskit --ipv6, podman enable_ipv6
        // Features jslirp does not apply must not be detected:
        assertThat(help).doesNotContain("--enable-sandbox");
        assertThat(help).contains("-c, --configure", "-e, --exit-fd=FD", "-r, --ready-fd=FD", "--userns-path=PATH",
                "--disable-dns", "--macaddress=MAC", "-h, --help", "-v, --version");
        assertThat(execute("-h").out()).isEqualTo(help);
        assertThat(r.err()).isEmpty();
    }

    @Test
    void versionIsSlirp4netnssMachineReadableForm() {
        Result r = execute("--version");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out().lines().findFirst()).hasValue("slirp4netns version 1.2.0+jslirp");
        assertThat(r.out()).contains("commit: ", "libslirp: none (jslirp ");
        assertThat(execute("-v").out()).isEqualTo(r.out());
    }

    /** Found by Slirp4netnsOptionsFuzzTest: a NUL in a path escaped as InvalidPathException. */
    @Test
    void aPathWithANulCharacterIsAUsageErrorNamingTheOption() {
        assertThatThrownBy(() -> check("--netns-type=path", "/proc/self/\0/ns/net", "tap0"))
                .isInstanceOf(UsageException.class).hasMessageStartingWith("invalid PATH ");
        assertThatThrownBy(() -> check("--userns-path=/proc/\0", PID, "tap0"))
                .isInstanceOf(UsageException.class).hasMessageStartingWith("invalid --userns-path ");
        assertThatThrownBy(() -> check("--api-socket=/tmp/a\0b", PID, "tap0"))
                .isInstanceOf(UsageException.class).hasMessageStartingWith("invalid --api-socket ");
    }

    /** Found by Slirp4netnsOptionsFuzzTest: "@." was read as picocli's argument file and escaped. */
    @Test
    void anArgumentStartingWithAtIsAnArgumentNotAFileToRead() {
        Result r = execute("@.", "tap0");
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).startsWith("jslirp slirp4netns: invalid PID '@.'").doesNotContain("Exception");
    }
}
