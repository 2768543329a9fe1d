package dev.jslirp.supervision;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * The user (and group) {@code --runas USER[:GROUP]} names, resolved to ids at start-up, as
 * passt's and pasta's {@code --runas UID|UID:GID|LOGIN|LOGIN:GROUP}: a name is looked up in
 * the user or group database (getpwnam(3), getgrnam(3): {@code /etc/passwd}, or whatever
 * NSS is configured with), a number is taken as the id. Without GROUP the group is the
 * user's primary group from its database entry; a numeric user without an entry must then
 * name its group.
 *
 * @param uid       the user id
 * @param gid       the group id
 * @param userName  the user's name, or null if the database has no entry
 * @param groupName the group's name, or null if the database has no entry
 */
public record RunAs(long uid, long gid, String userName, String groupName) {
    /** The accepted form, for messages and {@code --help}. */
    public static final String FORM = "USER[:GROUP]";
    /** What {@link #FORM} means, for messages. */
    private static final String EXPECTED = "expected " + FORM + ", a user name or id and optionally a group name or "
            + "id, e.g. nobody or 65534:65534";
    /** The largest id: 2^32 - 2, since (uid_t) -1 means "leave unchanged" to the set*id calls. */
    static final long MAX_ID = 0xFFFF_FFFEL;

    /**
     * Parses and resolves {@code value}.
     *
     * @throws IllegalArgumentException saying what is wrong and the accepted form; for root
     *                                  as the target too, which would drop nothing
     */
    public static RunAs parse(String value) {
        String v = value.trim();
        int colon = v.indexOf(':');
        String user = colon < 0 ? v : v.substring(0, colon);
        String group = colon < 0 ? null : v.substring(colon + 1);
        if (user.isEmpty() || (group != null && group.isEmpty())) {
            throw new IllegalArgumentException("'" + value + "' (" + EXPECTED + ")");
        }
        Posix c = Posix.get();
        Pointer pw = isNumber(user) ? c.getpwuid((int) id(user, value, "user id"))
                : found(c.getpwnam(user), "user", user, value);
        long uid = pw != null ? idField(pw, 0) : id(user, value, "user id");
        if (uid == 0) {
            throw new IllegalArgumentException("'" + value + "' is root (uid 0), which drops nothing (" + EXPECTED
                    + "; a user other than root)");
        }
        long gid;
        Pointer gr;
        if (group != null) {
            gr = isNumber(group) ? c.getgrgid((int) id(group, value, "group id"))
                    : found(c.getgrnam(group), "group", group, value);
            gid = gr != null ? idField(gr, 0) : id(group, value, "group id");
        } else if (pw != null) {
            gid = idField(pw, 4);
            gr = c.getgrgid((int) gid);
        } else {
            throw new IllegalArgumentException("'" + value + "': uid " + uid + " has no entry in the user "
                    + "database to take its group from; name the group too, e.g. " + uid + ":" + uid + " ("
                    + EXPECTED + ")");
        }
        return new RunAs(uid, gid, name(pw), name(gr));
    }

    /** {@code entry}, or the refusal naming what was not found. */
    private static Pointer found(Pointer entry, String kind, String name, String value) {
        if (entry == null) {
            throw new IllegalArgumentException("'" + value + "': no " + kind + " '" + name + "' in the " + kind
                    + " database (" + EXPECTED + ")");
        }
        return entry;
    }

    /**
     * An id of a {@code struct passwd} or {@code struct group} (glibc's {@code <pwd.h>},
     * {@code <grp.h>}): both open with two pointers (the name and the password); then come
     * {@code pw_uid} and {@code pw_gid}, 4 bytes each ({@code skip} 0 or 4), or
     * {@code gr_gid} ({@code skip} 0), on every Linux ABI.
     */
    private static long idField(Pointer entry, int skip) {
        return Integer.toUnsignedLong(entry.getInt(2L * Native.POINTER_SIZE + skip));
    }

    /** The first field of a {@code struct passwd} or {@code struct group}, its name; null for no entry. */
    private static String name(Pointer entry) {
        return entry == null ? null : entry.getPointer(0).getString(0);
    }

    private static boolean isNumber(String s) {
        return !s.isEmpty() && s.chars().allMatch(ch -> ch >= '0' && ch <= '9');
    }

    private static long id(String digits, String value, String what) {
        if (digits.length() > 10 || Long.parseLong(digits) > MAX_ID) {
            throw new IllegalArgumentException("'" + value + "': " + what + " " + digits + " is out of range (0.."
                    + MAX_ID + "; " + EXPECTED + ")");
        }
        return Long.parseLong(digits);
    }

    /** E.g. {@code nobody:nogroup (uid 65534, gid 65534)}, or the ids alone where the databases have no name. */
    public String describe() {
        String u = userName != null ? userName : Long.toString(uid);
        String g = groupName != null ? groupName : Long.toString(gid);
        return u + ":" + g + " (uid " + uid + ", gid " + gid + ")";
    }
}
