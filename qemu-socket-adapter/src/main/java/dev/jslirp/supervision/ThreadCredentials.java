package dev.jslirp.supervision;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Who one thread runs as, read from its {@code /proc/.../status} (proc(5)): the four user
 * ids and four group ids (real, effective, saved, filesystem), the supplementary groups and
 * the permitted, effective and ambient capability sets. Credentials are per thread in Linux,
 * so checking a process means checking each of its threads ({@link #allThreads}).
 *
 * @param uids      {@code Uid:} real, effective, saved set, filesystem
 * @param gids      {@code Gid:} the same four
 * @param groups    {@code Groups:} the supplementary group ids
 * @param capPrm    {@code CapPrm:} the permitted capabilities, a bit mask
 * @param capEff    {@code CapEff:} the effective capabilities
 * @param capAmb    {@code CapAmb:} the ambient capabilities (zero before Linux 4.3, where the line is missing)
 */
public record ThreadCredentials(long[] uids, long[] gids, long[] groups, BigInteger capPrm, BigInteger capEff,
                                BigInteger capAmb) {
    /** {@code CAP_SETGID}, bit 6 of a capability set ({@code <linux/capability.h>}). */
    static final int CAP_SETGID = 6;
    /** {@code CAP_SETUID}, bit 7. */
    static final int CAP_SETUID = 7;

    /** The calling thread's, from {@code /proc/thread-self/status}. */
    public static ThreadCredentials current() throws IOException {
        return parse(Files.readString(Path.of("/proc/thread-self/status")));
    }

    /**
     * Every thread of this process, from {@code /proc/self/task/TID/status}, by thread id;
     * a thread that ends while being read is left out.
     */
    public static List<Named> allThreads() throws IOException {
        List<Named> all = new ArrayList<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/self/task"))) {
            for (Path task : tasks) {
                try {
                    String status = Files.readString(task.resolve("status"));
                    all.add(new Named(task.getFileName().toString(), name(status), parse(status)));
                } catch (NoSuchFileException e) {
                    // The thread ended meanwhile.
                }
            }
        }
        return all;
    }

    /** One thread's credentials with its id and name ({@code Name:}, e.g. {@code epollEventLoopGroup-2-1}). */
    public record Named(String tid, String name, ThreadCredentials credentials) {
    }

    /**
     * The credentials in the text of a status file.
     *
     * @throws IOException if a line this needs is missing or malformed
     */
    static ThreadCredentials parse(String status) throws IOException {
        long[] uids = null;
        long[] gids = null;
        long[] groups = null;
        BigInteger prm = null;
        BigInteger eff = null;
        BigInteger amb = BigInteger.ZERO;
        for (String line : status.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String value = line.substring(colon + 1).trim();
            switch (line.substring(0, colon)) {
                case "Uid" -> uids = numbers(value, "Uid");
                case "Gid" -> gids = numbers(value, "Gid");
                case "Groups" -> groups = numbers(value, "Groups");
                case "CapPrm" -> prm = mask(value, "CapPrm");
                case "CapEff" -> eff = mask(value, "CapEff");
                case "CapAmb" -> amb = mask(value, "CapAmb");
                default -> {
                }
            }
        }
        if (uids == null || uids.length != 4 || gids == null || gids.length != 4 || groups == null || prm == null
                || eff == null) {
            throw new IOException("a /proc status without the Uid, Gid, Groups, CapPrm and CapEff lines of proc(5)");
        }
        return new ThreadCredentials(uids, gids, groups, prm, eff, amb);
    }

    /** The {@code Name:} line's value, or "?". */
    private static String name(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("Name:")) {
                return line.substring("Name:".length()).trim();
            }
        }
        return "?";
    }

    private static long[] numbers(String value, String field) throws IOException {
        if (value.isEmpty()) {
            return new long[0];
        }
        String[] parts = value.split("\\s+");
        long[] n = new long[parts.length];
        try {
            for (int i = 0; i < parts.length; i++) {
                n[i] = Long.parseLong(parts[i]);
            }
        } catch (NumberFormatException e) {
            throw new IOException("a /proc status with a malformed " + field + " line: '" + value + "'", e);
        }
        return n;
    }

    private static BigInteger mask(String value, String field) throws IOException {
        try {
            return new BigInteger(value, 16);
        } catch (NumberFormatException e) {
            throw new IOException("a /proc status with a malformed " + field + " line: '" + value + "'", e);
        }
    }

    /** The effective user id. */
    public long euid() {
        return uids[1];
    }

    /** The effective group id. */
    public long egid() {
        return gids[1];
    }

    /** True if the effective set holds what changing user and group needs ({@code CAP_SETUID}, {@code CAP_SETGID}). */
    public boolean canChangeIdentity() {
        return capEff.testBit(CAP_SETUID) && capEff.testBit(CAP_SETGID);
    }

    /**
     * What still differs from running as {@code uid}:{@code gid} with no supplementary groups
     * and no capabilities, or an empty string if nothing does.
     */
    public String differenceFrom(long uid, long gid) {
        List<String> off = new ArrayList<>();
        for (long u : uids) {
            if (u != uid) {
                off.add("Uid " + join(uids));
                break;
            }
        }
        for (long g : gids) {
            if (g != gid) {
                off.add("Gid " + join(gids));
                break;
            }
        }
        if (groups.length > 0) {
            off.add("Groups " + join(groups));
        }
        if (capPrm.signum() != 0) {
            off.add("CapPrm " + capPrm.toString(16));
        }
        if (capEff.signum() != 0) {
            off.add("CapEff " + capEff.toString(16));
        }
        if (capAmb.signum() != 0) {
            off.add("CapAmb " + capAmb.toString(16));
        }
        return String.join(", ", off);
    }

    private static String join(long[] ids) {
        StringBuilder b = new StringBuilder();
        for (long id : ids) {
            b.append(b.length() == 0 ? "" : " ").append(id);
        }
        return b.toString();
    }
}
