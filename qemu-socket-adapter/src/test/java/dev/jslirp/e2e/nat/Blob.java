package dev.jslirp.e2e.nat;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Random bytes a test moves through the NAT, with their SHA-256 (what the guest's
 * {@code sha256sum} prints). Made from a seed, so a server in another process makes the same.
 *
 * @param bytes  the content
 * @param sha256 its SHA-256, lower-case hex
 */
public record Blob(byte[] bytes, String sha256) {
    /** {@code size} pseudo-random bytes from {@code seed}. */
    public static Blob random(long seed, int size) {
        byte[] b = new byte[size];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < size; i += 8) {
            long v = r.nextLong();
            for (int k = 0; k < 8 && i + k < size; k++) {
                b[i + k] = (byte) (v >>> (8 * k));
            }
        }
        return new Blob(b, sha256(b, b.length));
    }

    /** The SHA-256 of the first {@code length} bytes of {@code b}, lower-case hex. */
    public static String sha256(byte[] b, int length) {
        MessageDigest d = newDigest();
        d.update(b, 0, length);
        return HexFormat.of().formatHex(d.digest());
    }

    /** A fresh SHA-256 digest. */
    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The size in bytes. */
    public int size() {
        return bytes.length;
    }

    @Override
    public String toString() {
        return "Blob[" + bytes.length + " bytes, sha256 " + sha256 + "]";
    }
}
