package com.shipmenttimeline.jobs.cli;

import com.shipmenttimeline.jobs.config.UsageException;
import com.shipmenttimeline.jobs.run.Mode;
import com.shipmenttimeline.jobs.run.RunRequest;
import com.shipmenttimeline.schemas.SqlDialect;
import com.shipmenttimeline.transforms.JsonEventParser;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Collectors;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The command line as picocli sees it: {@code timeline MODE [options] [key=value ...]}, one
 * subcommand a mode, each with only the options that mean something to it. {@link CommandLine}
 * turns a parse into the run's {@link RunRequest}; flags that only set a configuration value
 * ({@code --window-days}, {@code --events}, …) become {@code key=value} overrides, so a setting
 * has one path to the code.
 */
final class ModeCommands {
    static final int WIDTH = 100;

    private ModeCommands() {}

    /** A new picocli command tree (picocli fills the option fields, so one a parse). */
    static picocli.CommandLine tree() {
        picocli.CommandLine cli = new picocli.CommandLine(new Root());
        // One subcommand a Mode, named and described by it (daily_base also answers to daily-base).
        List<ModeCommand> modes = List.of(new DailyBase(), new Backfill(), new Incremental(), new Generate(), new Ddl(), new Query(),
                new MonitorMode(), new StatusMode(), new ConfigMode());
        if (modes.stream().map(ModeCommand::mode).distinct().count() != Mode.values().length) {
            throw new IllegalStateException("every mode needs one command");
        }
        for (ModeCommand command : modes) {
            Mode mode = command.mode();
            picocli.CommandLine sub = new picocli.CommandLine(command);
            sub.getCommandSpec().usageMessage().description(mode.help());
            String dashed = mode.flag().replace('_', '-');
            cli.addSubcommand(mode.flag(), sub, dashed.equals(mode.flag()) ? new String[0] : new String[] {dashed});
        }
        cli.setExpandAtFiles(false); // "@file" is an argument like any other (a --sql text may start with @)
        cli.setUsageHelpWidth(WIDTH);
        cli.getCommandSpec().usageMessage().synopsisHeading("");
        for (picocli.CommandLine mode : cli.getSubcommands().values()) {
            mode.getCommandSpec().usageMessage().synopsisHeading("usage: ").descriptionHeading("%n").parameterListHeading("%n")
                    .optionListHeading("%noptions:%n").footerHeading("%n")
                    .footer("exit codes: see timeline --help");
        }
        return cli;
    }

    /**
     * The runbook's form, {@code --mode daily_base --date D}, made into picocli's
     * {@code daily_base --date D}: {@code --mode X} may stand anywhere, and its mode goes first.
     */
    static String[] modeFirst(String[] args) {
        List<String> rest = new ArrayList<>();
        String mode = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.equals("--mode") && !a.startsWith("--mode=")) {
                rest.add(a);
                continue;
            }
            String value;
            if (a.startsWith("--mode=")) {
                value = a.substring("--mode=".length());
            } else if (i + 1 < args.length && !args[i + 1].startsWith("-")) {
                value = args[++i];
            } else {
                throw new UsageException("--mode needs a value; use one of " + Mode.names());
            }
            if (mode != null) {
                throw new UsageException("--mode is given twice; give one");
            }
            mode = Mode.parse(value).flag();
        }
        if (mode != null) {
            rest.add(0, mode);
        }
        return rest.toArray(String[]::new);
    }

    /** picocli's complaint as the one line the launcher prints, naming the mode a flag belongs to. */
    static String explain(ParameterException e) {
        picocli.CommandLine where = e.getCommandLine();
        boolean atRoot = where.getParent() == null;
        if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().get(0);
            String name = first.contains("=") && first.startsWith("-") ? first.substring(0, first.indexOf('=')) : first;
            if (!name.startsWith("-")) {
                return atRoot ? "unknown mode '" + name + "'; use one of " + Mode.names() : e.getMessage();
            }
            if (atRoot) {
                return "give the mode first: timeline MODE " + name + " ... (or --mode MODE); one of " + Mode.names();
            }
            String here = where.getCommandName();
            List<String> owners = where.getParent().getSubcommands().values().stream().distinct()
                    .filter(c -> c.getCommandSpec().optionsMap().containsKey(name)).map(picocli.CommandLine::getCommandName).toList();
            if (!owners.isEmpty()) {
                return name + " belongs to --mode " + String.join(" or ", owners) + ", not " + here;
            }
            return "unknown flag " + name + " for " + here + " (try timeline " + here + " --help)";
        }
        return e.getMessage().replaceFirst("^Error: ", "").replaceAll("\\s*\\R\\s*", " ").strip();
    }

    // ---- the commands -------------------------------------------------------------------------

    @Command(name = "timeline", mixinStandardHelpOptions = true, versionProvider = Version.class,
            customSynopsis = {"usage: timeline MODE [options] [key=value ...]", "   or: timeline --mode MODE [options] [key=value ...]"},
            description = {"", "Per-shipment timelines from raw logistics events, kept fresh in the warehouse."},
            commandListHeading = "%nmodes:%n", optionListHeading = "%noptions:%n",
            footer = {"",
                "Every mode takes --conf FILE (a HOCON file, or a bundled one: local, emr-dev, emr-prod) and",
                "key=value overrides of any configuration key (see conf/reference.conf).",
                "'timeline MODE --help' lists a mode's options.",
                "",
                "exit codes: 0 done, 1 failed (bug or environment), 2 bad flag or config, 3 bad input file,",
                "            4 warehouse busy, 5 monitor found a CRITICAL condition"})
    static final class Root {}

    /** What every mode takes: the configuration file and {@code key=value} overrides. */
    static final class Common {
        @Option(names = "--conf", paramLabel = "FILE", description = "a HOCON file, or a bundled one: local, emr-dev, emr-prod")
        String conf;

        @Parameters(paramLabel = "key=value", arity = "0..*", description = "any configuration key (see conf/reference.conf)")
        List<String> overrides = new ArrayList<>();
    }

    /** The run's reference time: {@code --as-of} or {@code --date}, not both. */
    static final class ReferenceTime {
        @Option(names = "--as-of", paramLabel = "TIMESTAMP", converter = InstantConverter.class,
                description = "the run's reference time (ISO-8601; default now)")
        Instant asOf;

        @Option(names = "--date", paramLabel = "YYYY-MM-DD", converter = DateConverter.class,
                description = "the nightly run of that date: as-of = that date 00:00 UTC")
        LocalDate date;

        static Optional<Instant> of(ReferenceTime t) {
            return t == null ? Optional.empty() : Optional.of(asOf(t.date, t.asOf));
        }

        /** {@code --date D} means D 00:00 UTC; otherwise {@code --as-of} as given. */
        static Instant asOf(LocalDate date, Instant asOf) {
            return date != null ? date.atStartOfDay(ZoneOffset.UTC).toInstant() : asOf;
        }
    }

    /** What a parsed mode asks for; each mode fills in its own part. */
    static final class Parts {
        Optional<Instant> asOf = Optional.empty();
        boolean rebuild;
        Optional<LocalDate> from = Optional.empty();
        Optional<LocalDate> to = Optional.empty();
        Optional<Instant> replayFrom = Optional.empty();
        SqlDialect dialect = SqlDialect.POSTGRES;
        String sql;
        final List<String> overrides = new ArrayList<>();

        /** A flag that sets a configuration key, when it was given. */
        void set(String key, Object value) {
            if (value != null) {
                overrides.add(key + "=" + value);
            }
        }
    }

    /** One mode: its own options, and the checks that span them. */
    abstract static class ModeCommand {
        private final Mode mode;

        @Mixin
        Common common;

        ModeCommand(Mode mode) {
            this.mode = mode;
        }

        Mode mode() {
            return mode;
        }

        /** This mode's options into the request; by default it has none. */
        void fill(Parts parts) {}

        final CommandLine line() {
            for (String o : common.overrides) {
                if (!o.contains("=")) {
                    throw new UsageException("unexpected argument '" + o + "': configuration overrides are key=value");
                }
            }
            Parts p = new Parts();
            fill(p);
            p.overrides.addAll(common.overrides);
            return new CommandLine(new RunRequest(mode(), p.asOf, p.rebuild, p.from, p.to, p.replayFrom), p.dialect, p.sql, common.conf,
                    List.copyOf(p.overrides));
        }
    }

    @Command(mixinStandardHelpOptions = true)
    static final class DailyBase extends ModeCommand {
        @ArgGroup(exclusive = true)
        ReferenceTime time;

        @Option(names = "--rebuild", description = "also drop and re-create the realtime view from its tables")
        boolean rebuild;

        @Option(names = "--window-days", paramLabel = "N", converter = PositiveInt.class, description = "the base window W (default 10)")
        Integer windowDays;

        DailyBase() {
            super(Mode.DAILY_BASE);
        }

        @Override
        void fill(Parts p) {
            p.asOf = ReferenceTime.of(time);
            p.rebuild = rebuild;
            p.set("base.window-days", windowDays);
        }
    }

    /** A backfill's end: a reference time, or {@code --to}, which sets it to the end of that day. */
    static final class BackfillEnd {
        @Option(names = "--as-of", paramLabel = "TIMESTAMP", converter = InstantConverter.class, description = "the run's reference time (default now)")
        Instant asOf;

        @Option(names = "--date", paramLabel = "YYYY-MM-DD", converter = DateConverter.class, description = "as-of = that date 00:00 UTC")
        LocalDate date;

        @Option(names = "--to", paramLabel = "YYYY-MM-DD", converter = DateConverter.class,
                description = "read raw files up to that ingest date, as of its end (only when the stored timeline ends before then)")
        LocalDate to;
    }

    @Command(mixinStandardHelpOptions = true)
    static final class Backfill extends ModeCommand {
        @Option(names = "--from", required = true, paramLabel = "YYYY-MM-DD", converter = DateConverter.class, description = "the window start")
        LocalDate from;

        @ArgGroup(exclusive = true)
        BackfillEnd end;

        @Option(names = "--rebuild", description = "also drop and re-create the realtime view from its tables")
        boolean rebuild;

        Backfill() {
            super(Mode.BACKFILL);
        }

        @Override
        void fill(Parts p) {
            p.from = Optional.of(from);
            p.rebuild = rebuild;
            if (end == null) {
                return;
            }
            if (end.to != null) {
                if (end.to.isBefore(from)) {
                    throw new UsageException("--to " + end.to + " is before --from " + from);
                }
                p.to = Optional.of(end.to);
                p.asOf = Optional.of(end.to.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant());
            } else {
                p.asOf = Optional.of(ReferenceTime.asOf(end.date, end.asOf));
            }
        }
    }

    @Command(mixinStandardHelpOptions = true)
    static final class Incremental extends ModeCommand {
        @ArgGroup(exclusive = true)
        ReferenceTime time;

        @Option(names = "--replay-from", paramLabel = "TIMESTAMP", converter = InstantConverter.class,
                description = "delete the incremental rows after it and process their events again")
        Instant replayFrom;

        Incremental() {
            super(Mode.INCREMENTAL);
        }

        @Override
        void fill(Parts p) {
            p.asOf = ReferenceTime.of(time);
            p.replayFrom = Optional.ofNullable(replayFrom);
        }
    }

    @Command(mixinStandardHelpOptions = true)
    static final class Generate extends ModeCommand {
        @Option(names = "--events", paramLabel = "N", converter = PositiveInt.class, description = "how many events (about)")
        Integer events;

        @Option(names = "--days", paramLabel = "N", converter = PositiveInt.class, description = "over how many days")
        Integer days;

        @Option(names = "--seed", paramLabel = "N", converter = WholeNumber.class, description = "the same seed gives the same data")
        Long seed;

        @Option(names = "--defect-rate", paramLabel = "R", converter = Rate.class, description = "the share of bad rows, 0 to 1")
        Double defectRate;

        @Option(names = "--end-date", paramLabel = "YYYY-MM-DD", converter = DateConverter.class, description = "the last day of events")
        LocalDate endDate;

        Generate() {
            super(Mode.GENERATE);
        }

        @Override
        void fill(Parts p) {
            p.set("generator.events", events);
            p.set("generator.days", days);
            p.set("generator.seed", seed);
            p.set("generator.defect-rate", defectRate);
            p.set("generator.end-date", endDate == null ? null : "\"" + endDate + "\"");
        }
    }

    @Command(mixinStandardHelpOptions = true)
    static final class Ddl extends ModeCommand {
        @Option(names = "--dialect", paramLabel = "postgres|redshift", converter = DialectConverter.class, description = "default postgres")
        SqlDialect dialect;

        Ddl() {
            super(Mode.DDL);
        }

        @Override
        void fill(Parts p) {
            if (dialect != null) {
                p.dialect = dialect;
            }
        }
    }

    @Command(mixinStandardHelpOptions = true)
    static final class Query extends ModeCommand {
        @Option(names = "--sql", required = true, paramLabel = "\"SELECT ...\"", description = "one statement against the configured warehouse")
        String sql;

        Query() {
            super(Mode.QUERY);
        }

        @Override
        void fill(Parts p) {
            p.sql = sql;
        }
    }

    @Command(mixinStandardHelpOptions = true)
    static final class MonitorMode extends ModeCommand {
        @ArgGroup(exclusive = true)
        ReferenceTime time;

        MonitorMode() {
            super(Mode.MONITOR);
        }

        @Override
        void fill(Parts p) {
            p.asOf = ReferenceTime.of(time);
        }
    }

    @Command(mixinStandardHelpOptions = true)
    static final class StatusMode extends ModeCommand {
        StatusMode() {
            super(Mode.STATUS);
        }
    }

    @Command(mixinStandardHelpOptions = true)
    static final class ConfigMode extends ModeCommand {
        ConfigMode() {
            super(Mode.CONFIG);
        }
    }

    // ---- values ---------------------------------------------------------------------------------

    static final class InstantConverter implements ITypeConverter<Instant> {
        @Override
        public Instant convert(String value) {
            Instant i = JsonEventParser.parseTimestamp(value);
            if (i != null) {
                return i;
            }
            try {
                return LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (RuntimeException e) {
                throw new TypeConversionException("'" + value + "' is not a timestamp; use e.g. 2025-07-11T10:00:00Z");
            }
        }
    }

    static final class DateConverter implements ITypeConverter<LocalDate> {
        @Override
        public LocalDate convert(String value) {
            try {
                return LocalDate.parse(value);
            } catch (RuntimeException e) {
                throw new TypeConversionException("'" + value + "' is not a date; use YYYY-MM-DD");
            }
        }
    }

    static final class WholeNumber implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return Long.parseLong(value.replace("_", ""));
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a whole number");
            }
        }
    }

    static final class PositiveInt implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            long v = new WholeNumber().convert(value);
            if (v < 1 || v > Integer.MAX_VALUE) {
                throw new TypeConversionException("'" + value + "' must be a whole number of at least 1");
            }
            return (int) v;
        }
    }

    static final class Rate implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            try {
                double d = Double.parseDouble(value);
                if (d >= 0 && d <= 1) {
                    return d;
                }
            } catch (NumberFormatException e) {
                // the message below
            }
            throw new TypeConversionException("'" + value + "' must be a number from 0 to 1");
        }
    }

    static final class DialectConverter implements ITypeConverter<SqlDialect> {
        @Override
        public SqlDialect convert(String value) {
            try {
                return SqlDialect.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("'" + value + "': use postgres or redshift");
            }
        }
    }

    /** {@code --version}: this build's versions (filtered into the jar) and the Spark it runs on. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = ModeCommands.class.getResourceAsStream("/timeline-version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            String built = List.of("spark", "hadoop", "delta", "aws-sdk").stream()
                    .map(k -> k + " " + p.getProperty(k, "?")).collect(Collectors.joining(", "));
            return new String[] {
                "timeline " + p.getProperty("version", "(unknown: not built by Maven)"),
                "built against " + built,
                "running on Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION() + ", Java " + System.getProperty("java.version")};
        }
    }
}
