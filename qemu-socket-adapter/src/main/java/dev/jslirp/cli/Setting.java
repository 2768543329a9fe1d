package dev.jslirp.cli;

import java.util.Objects;

/**
 * One network setting, declared once in {@link NetworkSettings#DECLARED}: everything the
 * command line needs to know about it comes from here.
 *
 * <ul>
 *   <li>{@code key}: the setting's name, QEMU's {@code -netdev user} key where QEMU has one
 *       ({@code net}, {@code hostfwd}); error messages and the configuration use it;</li>
 *   <li>{@code flag}: its option, {@code --KEY} unless said otherwise, or null for a
 *       setting taken only in {@code --netdev-user};</li>
 *   <li>{@code netdevUser}: whether {@code --netdev-user} takes it as {@code KEY=VALUE};</li>
 *   <li>{@code repeats}: whether it may be given more than once (then every value
 *       counts, in order);</li>
 *   <li>{@code paramLabel} and {@code help}: the form and text of {@code --help};</li>
 *   <li>{@code switchValue}: for an option that takes no value ({@code --no-host-loopback}),
 *       the value its presence stands for; null for options with a value;</li>
 *   <li>{@code section}: the heading it is listed under in {@code --help};</li>
 *   <li>{@code applier}: what a value does to the configuration builders.</li>
 * </ul>
 *
 * <p>Declare with {@link #qemu}, {@link #jslirp} or {@link #limit} and refine with
 * {@link #repeatable()}, {@link #asSwitch} or {@link #netdevUserOnly()}.
 */
record Setting(String key, String flag, boolean netdevUser, boolean repeats, String paramLabel, String help,
               String switchValue, Section section, Applier applier) {

    /** The headings of {@code --help} that settings are listed under, in that order. */
    enum Section {
        /** Keys of QEMU's {@code -netdev user}, under the same names. */
        QEMU("QEMU -netdev user options"),
        /** jslirp's own network settings. */
        JSLIRP("jslirp network options"),
        /** Bounds of the NAT's tables and buffers. */
        LIMITS("NAT limits");

        private final String heading;

        Section(String heading) {
            this.heading = heading;
        }

        /** The heading as {@code --help} prints it. */
        String heading() {
            return heading;
        }
    }

    /** Applies one value to the configuration builders; {@code label} names the option in errors. */
    @FunctionalInterface
    interface Applier {
        void apply(NetworkSettings.Builders b, String value, String label);
    }

    Setting {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(help, "help");
        Objects.requireNonNull(section, "section");
        Objects.requireNonNull(applier, "applier");
        if (flag == null && !netdevUser) {
            throw new IllegalArgumentException(key + ": a setting needs an option or a --netdev-user key");
        }
    }

    /** A QEMU {@code -netdev user} key, also taken as the option {@code --KEY}. */
    static Setting qemu(String key, String paramLabel, String help, Applier applier) {
        return new Setting(key, "--" + key, true, false, paramLabel, help, null, Section.QEMU, applier);
    }

    /** A setting of jslirp's own, as the option {@code --KEY} only. */
    static Setting jslirp(String key, String paramLabel, String help, Applier applier) {
        return new Setting(key, "--" + key, false, false, paramLabel, help, null, Section.JSLIRP, applier);
    }

    /** A bound of the NAT, as the option {@code --KEY} only. */
    static Setting limit(String key, String paramLabel, String help, Applier applier) {
        return new Setting(key, "--" + key, false, false, paramLabel, help, null, Section.LIMITS, applier);
    }

    /** The same setting, given any number of times. */
    Setting repeatable() {
        return new Setting(key, flag, netdevUser, true, paramLabel, help, switchValue, section, applier);
    }

    /** The same setting as an option {@code flag} without a value, which stands for {@code value}. */
    Setting asSwitch(String switchFlag, String value) {
        return new Setting(key, switchFlag, netdevUser, repeats, null, help, value, section, applier);
    }

    /** The same setting taken only as {@code KEY=VALUE} in {@code --netdev-user}, with no option of its own. */
    Setting netdevUserOnly() {
        return new Setting(key, null, true, repeats, paramLabel, help, switchValue, section, applier);
    }

    /** How errors name a value given with the option. */
    String optionLabel() {
        return flag;
    }

    /** How errors name a value given in {@code --netdev-user}. */
    String netdevUserLabel() {
        return key + "= (in --netdev-user)";
    }
}
