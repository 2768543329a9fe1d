package dev.jslirp.cli;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgGroupSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Makes the command line's network options from the declared settings
 * ({@link NetworkSettings#DECLARED}), and reads them back after parsing.
 *
 * <p>jslirp's command is annotated for what is fixed (transports, supervision, logging);
 * the network settings are a table, so their options are built with picocli's programmatic
 * API by this model transformer, which picocli runs on every {@code new CommandLine} of
 * {@link JslirpCommand} once the annotations are read. Each {@link Setting.Section} becomes
 * one group of {@code --help} under its heading, listing the settings that have an option in
 * the table's order; {@code --netdev-user} heads the QEMU group, its help naming the keys it
 * takes and those it refuses, both derived from the table. Values stay in the option specs
 * and are read back with {@link #collect}.
 */
public final class SettingOptions implements CommandLine.IModelTransformer {
    /** The option that takes a whole {@code -netdev user} value. */
    static final String NETDEV_USER = "--netdev-user";
    /** Where the settings' groups go among the annotated ones (which use 1, 2 and 10 on). */
    private static final int FIRST_GROUP_ORDER = 3;
    private static final int FIRST_OPTION_ORDER = 20;

    @Override
    public CommandSpec transform(CommandSpec spec) {
        int order = FIRST_OPTION_ORDER;
        for (Setting.Section section : Setting.Section.values()) {
            ArgGroupSpec.Builder group = ArgGroupSpec.builder().exclusive(false).validate(false).multiplicity("0..1")
                    .heading("%n" + section.heading() + ":%n").order(FIRST_GROUP_ORDER + section.ordinal());
            if (section == Setting.Section.QEMU) {
                group.addArg(netdevUserOption(order++));
            }
            for (Setting s : NetworkSettings.DECLARED) {
                if (s.section() == section && s.flag() != null) {
                    group.addArg(option(s, order++));
                }
            }
            spec.addArgGroup(group.build());
        }
        return spec;
    }

    private static OptionSpec netdevUserOption(int order) {
        return OptionSpec.builder(NETDEV_USER).type(List.class).auxiliaryTypes(String.class)
                .paramLabel("KEY=VALUE,...").order(order)
                .description("A whole -netdev user value as QEMU takes it, e.g. "
                        + "'user,id=n0,net=10.0.2.0/24,hostfwd=tcp::2222-:22'. Keys: "
                        + String.join(" ", NetdevUserString.supportedKeys())
                        + "; id= names the netdev in the printed QEMU line; ',,' is a comma in a value. QEMU keys "
                        + "jslirp does not implement (" + String.join(" ", NetdevUserString.unsupportedKeys())
                        + ") are refused. Combines with the options below; a key given both ways is an error.")
                .build();
    }

    private static OptionSpec option(Setting s, int order) {
        OptionSpec.Builder b = OptionSpec.builder(s.flag()).order(order)
                .description(s.repeats() ? s.help() + " Repeatable." : s.help());
        if (s.switchValue() != null) {
            b.arity("0").type(boolean.class);
        } else if (s.repeats()) {
            b.type(List.class).auxiliaryTypes(String.class).paramLabel(s.paramLabel());
        } else {
            b.type(String.class).paramLabel(s.paramLabel());
        }
        return b.build();
    }

    /** The {@code --netdev-user} values parsed into {@code spec}, in order. */
    static List<String> netdevUserValues(CommandSpec spec) {
        return values(spec.findOption(NETDEV_USER));
    }

    /**
     * Adds every setting given as an option in the command line parsed into {@code spec} to {@code into}.
     *
     * @throws CliException for a setting that does not repeat given twice (picocli keeps the
     *         last value of an option in a group that is not validated)
     */
    static void collect(CommandSpec spec, NetworkSettings into) {
        List<String> args = spec.commandLine() == null || spec.commandLine().getParseResult() == null ? List.of()
                : spec.commandLine().getParseResult().originalArgs();
        for (Setting s : NetworkSettings.DECLARED) {
            if (s.flag() == null) {
                continue;
            }
            if (!s.repeats()) {
                long given = args.stream().filter(a -> a.equals(s.flag()) || a.startsWith(s.flag() + "=")).count();
                if (given > 1) {
                    throw new CliException(s.flag() + " given " + given + " times (give it once)");
                }
            }
            OptionSpec o = spec.findOption(s.flag());
            if (s.switchValue() != null) {
                if (Boolean.TRUE.equals(o.getValue())) {
                    into.option(s, s.switchValue());
                }
            } else {
                for (String v : values(o)) {
                    into.option(s, v);
                }
            }
        }
    }

    private static List<String> values(OptionSpec o) {
        Object v = o.getValue();
        List<String> out = new ArrayList<>();
        if (v instanceof Collection<?> c) {
            c.forEach(x -> out.add(String.valueOf(x)));
        } else if (v != null) {
            out.add(String.valueOf(v));
        }
        return out;
    }
}
