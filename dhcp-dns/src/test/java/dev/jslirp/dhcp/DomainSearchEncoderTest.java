package dev.jslirp.dhcp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 3397 encoding, checked against the RFC's own example and by decoding pointers back. */
class DomainSearchEncoderTest {

    @Test
    void rfc3397ExampleIsReproducedByteForByte() {
        byte[] s = DomainSearchEncoder.searchString(List.of("eng.apple.com", "marketing.apple.com"));
        assertThat(s).isEqualTo(DhcpOptionsTest.rfc3397Example());
        byte[] opt = DomainSearchEncoder.options(List.of("eng.apple.com", "marketing.apple.com"));
        assertThat(opt[0]).isEqualTo((byte) 119);
        assertThat(opt[1] & 0xff).isEqualTo(s.length);
    }

    @Test
    void wholeNameRepeatedBecomesOnePointer() {
        byte[] s = DomainSearchEncoder.searchString(List.of("example.org", "EXAMPLE.org"));
        // 7example3org0 then a pointer to offset 0
        assertThat(s).hasSize(13 + 2);
        assertThat(s[13] & 0xff).isEqualTo(0xc0);
        assertThat(s[14]).isEqualTo((byte) 0);
    }

    @Test
    void unrelatedNamesAreWrittenInFull() {
        byte[] s = DomainSearchEncoder.searchString(List.of("a.b", "c.d"));
        assertThat(s).containsExactly(1, 'a', 1, 'b', 0, 1, 'c', 1, 'd', 0);
    }

    @Test
    void longListIsSplitIntoOptionsOf255BytesAtMost() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            names.add("host" + i + ".zone" + i + ".example" + i);
        }
        byte[] data = DomainSearchEncoder.searchString(names);
        byte[] opts = DomainSearchEncoder.options(names);
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        int pieces = 0;
        for (int i = 0; i < opts.length; ) {
            assertThat(opts[i] & 0xff).isEqualTo(119);
            int len = opts[i + 1] & 0xff;
            assertThat(len).isBetween(1, 255);
            joined.write(opts, i + 2, len);
            i += 2 + len;
            pieces++;
        }
        assertThat(data.length).isGreaterThan(510);
        assertThat(pieces).isEqualTo((data.length + 254) / 255);
        assertThat(joined.toByteArray()).isEqualTo(data);
        assertThat(decode(data)).isEqualTo(names);
    }

    @Test
    void compressedListDecodesToTheNamesGiven() {
        List<String> names = List.of("a.example.com", "b.example.com", "example.com", "x.a.example.com", "other.net");
        byte[] data = DomainSearchEncoder.searchString(names);
        assertThat(decode(data)).isEqualTo(names);
        int uncompressed = names.stream().mapToInt(n -> n.length() + 2).sum();
        assertThat(data.length).isLessThan(uncompressed);
    }

    @Test
    void noNamesNoOption() {
        assertThat(DomainSearchEncoder.options(List.of())).isEmpty();
    }

    /** An RFC 1035 4.1.4 decoder over the search string, pointers relative to its start. */
    static List<String> decode(byte[] s) {
        List<String> out = new ArrayList<>();
        int pos = 0;
        while (pos < s.length) {
            StringBuilder name = new StringBuilder();
            int p = pos;
            int next = -1;
            for (int hops = 0; hops < 100; hops++) {
                int len = s[p] & 0xff;
                if ((len & 0xc0) == 0xc0) {
                    if (next < 0) {
                        next = p + 2;
                    }
                    p = ((len & 0x3f) << 8) | (s[p + 1] & 0xff);
                    continue;
                }
                if (len == 0) {
                    if (next < 0) {
                        next = p + 1;
                    }
                    break;
                }
                if (name.length() > 0) {
                    name.append('.');
                }
                name.append(new String(s, p + 1, len, java.nio.charset.StandardCharsets.US_ASCII));
                p += 1 + len;
            }
            out.add(name.toString());
            pos = next;
        }
        return out;
    }
}
