package dev.jslirp.cli;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.code_intelligence.jazzer.mutation.annotation.NotNull;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fuzzes {@code --netdev-user} strings as the command line takes them: split into
 * {@code KEY=VALUE} pairs (with {@code ,,} for a comma), each applied to the
 * configuration as its setting declares, then the configurations built. A string is
 * refused with a {@link CliException} (exit status 2, a message naming the key), never
 * another exception.
 */
class NetdevUserFuzzTest {
    @ValueSource(strings = {"user,id=n0,net=10.0.2.0/24,hostfwd=tcp::2222-:22",
            "net=192.168.76.0/24,host=192.168.76.2,dns=192.168.76.3,dhcpstart=192.168.76.9",
            "ipv6-net=fd00::/64,ipv6-host=fd00::2,ipv6-dns=fd00::3,restrict=on",
            "hostname=vm,domainname=example.test,dnssearch=a.example.test,dnssearch=b.example.test",
            "hostfwd=udp:127.0.0.1:5353-:53,hostfwd=tcp:[::1]:8080-[fec0::15]:80",
            "ipv4=off,ipv6=on", "type=user,mtu=65520", "tftp=/tmp,bootfile=pxelinux.0,tftp-server-name=boot",
            "smb=/srv", "id=a,,b", "net=10.0.2.0/33", "=",
            "guestfwd=tcp:10.0.2.100:1234-tcp:127.0.0.1:8080,guestfwd=:80-cmd:netcat 127.0.0.1 80",
            "guestfwd=tcp:[fec0::4]:80-unix:/tmp/g.sock,ipv6-net=fd00::/64", "guestfwd=:1-tcp:localhost:1"})
    @FuzzTest(maxDuration = "10m")
    void netdevUserStrings(@NotNull String text) {
        if (System.getProperty("jdk.net.hosts.file") == null) {
            // guestfwd=...-tcp:HOST:PORT resolves HOST: never through the machine's resolver here
            throw new AssertionError("jdk.net.hosts.file is not set: the fuzz JVM would ask the machine's resolver");
        }
        try {
            NetworkSettings settings = new NetworkSettings();
            for (NetdevUserString.Pair p : NetdevUserString.parse(text).pairs()) {
                settings.netdevUser(p.key(), p.value());
            }
            settings.build();
        } catch (CliException e) {
            if (e.getMessage() == null || e.getMessage().isBlank()) {
                throw new AssertionError("refused without a message", e);
            }
        }
    }
}
