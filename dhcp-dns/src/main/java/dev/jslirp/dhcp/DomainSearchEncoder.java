package dev.jslirp.dhcp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Encodes the domain search option (RFC 3397): the names one after the other in DNS
 * wire format (RFC 1035 section 3.1), compressed as RFC 1035 section 4.1.4 allows,
 * with pointers counted from the start of the whole search string (RFC 3397 section
 * 2), then cut into as many option 119 instances as 255-byte values need, which the
 * client concatenates again (RFC 3396).
 *
 * <p>Compression: every suffix written is remembered by its offset; a later name
 * whose remaining labels match a remembered suffix (compared case-insensitively, as
 * DNS names are, RFC 4343) ends in a two-byte pointer to it. Runs once at start-up.
 */
final class DomainSearchEncoder {
    /** Pointers hold 14 bits of offset (RFC 1035 section 4.1.4). */
    private static final int MAX_POINTER_OFFSET = 0x3fff;

    private DomainSearchEncoder() {
    }

    /**
     * The search string: compressed names, concatenated, without option headers.
     *
     * @param names domain names of labels of 1..63 characters, without the trailing dot
     */
    static byte[] searchString(List<String> names) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Map<String, Integer> suffixes = new HashMap<>();
        for (String name : names) {
            String[] labels = name.isEmpty() ? new String[0] : name.split("\\.");
            int i = 0;
            for (; i < labels.length; i++) {
                String suffix = String.join(".", Arrays.copyOfRange(labels, i, labels.length))
                        .toLowerCase(Locale.ROOT);
                Integer at = suffixes.get(suffix);
                if (at != null) {
                    out.write(0xc0 | (at >>> 8));
                    out.write(at & 0xff);
                    break;
                }
                if (out.size() <= MAX_POINTER_OFFSET) {
                    suffixes.put(suffix, out.size());
                }
                byte[] label = labels[i].getBytes(StandardCharsets.US_ASCII);
                out.write(label.length);
                out.write(label, 0, label.length);
            }
            if (i == labels.length) {
                out.write(0);   // the root label ends an uncompressed name
            }
        }
        return out.toByteArray();
    }

    /**
     * The option 119 instances carrying {@code names}, headers included: the search
     * string cut into pieces of at most 255 bytes (RFC 3396 section 5), or an empty
     * array for no names.
     */
    static byte[] options(List<String> names) {
        if (names.isEmpty()) {
            return new byte[0];
        }
        byte[] data = searchString(names);
        int pieces = (data.length + 254) / 255;
        byte[] out = new byte[data.length + 2 * pieces];
        int o = 0;
        for (int start = 0; start < data.length; start += 255) {
            int len = Math.min(255, data.length - start);
            out[o++] = (byte) DhcpOption.DOMAIN_SEARCH;
            out[o++] = (byte) len;
            System.arraycopy(data, start, out, o, len);
            o += len;
        }
        return out;
    }
}
