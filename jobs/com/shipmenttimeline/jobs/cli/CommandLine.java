package com.shipmenttimeline.jobs.cli;

import com.shipmenttimeline.jobs.config.UsageException;
import com.shipmenttimeline.jobs.run.Mode;
import com.shipmenttimeline.jobs.run.RunRequest;

import com.shipmenttimeline.schemas.SqlDialect;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A parsed command line: what the run is asked ({@link RunRequest}), and what only the launcher
 * uses (the conf file, the overrides, the query and DDL flags). Flags that only set a configuration
 * value ({@code --window-days}, {@code --events}, …) become {@code key=value} overrides, so a
 * setting has one path to the code.
 */
public record CommandLine(RunRequest request, SqlDialect dialect, String sql, String confFile, List<String> overrides) {

    public Mode mode() {
        return request.mode();
    }

    public static final String USAGE = String.join("\n",
            "usage: timeline --mode MODE [flags] [key=value ...]",
            "modes:",
            Mode.describe(),
            "flags:",
            "  --conf FILE            a HOCON file, or a bundled one: local, emr-dev, emr-prod",
            "  --as-of TIMESTAMP      the run's reference time (ISO-8601; default now)",
            "  --date YYYY-MM-DD      the nightly run of that date: as-of = that date 00:00 UTC",
            "  --rebuild              base: also drop and re-create the realtime view from its tables",
            "  --window-days N        the base window W (default 10)",
            "  --from YYYY-MM-DD      backfill: the window start",
            "  --to YYYY-MM-DD        backfill: read raw files up to that ingest date, as of its end (only when",
            "                         the stored timeline ends before then)",
            "  --replay-from TIMESTAMP  incremental: delete incremental rows after it and reprocess",
            "  --events N --days N --seed N --defect-rate R --end-date YYYY-MM-DD   generate",
            "  --dialect postgres|redshift   ddl",
            "  --sql \"SELECT ...\"     query: one statement against the configured warehouse",
            "  key=value              any configuration key (see conf/reference.conf)",
            "exit codes: 0 done, 1 failed (bug or environment), 2 bad flag or config, 3 bad input file, 4 warehouse busy,",
            "            5 monitor found a CRITICAL condition");

    public static CommandLine parse(String[] args) {
        Parser p = new Parser();
        for (int i = 0; i < args.length; i++) {
            i = p.take(args, i);
        }
        return p.build();
    }

    /** The flags seen so far; {@link #build} checks how they go together. */
    private static final class Parser {
        private static final java.util.Set<String> WITH_VALUE = java.util.Set.of("--mode", "--conf", "--as-of", "--date", "--window-days",
                "--from", "--to", "--replay-from", "--events", "--days", "--seed", "--defect-rate", "--end-date", "--dialect", "--sql");

        Mode mode;
        Instant asOf;
        LocalDate date;
        boolean rebuild;
        LocalDate from;
        LocalDate to;
        Instant replayFrom;
        SqlDialect dialect = SqlDialect.POSTGRES;
        String sql;
        String conf;
        final List<String> overrides = new ArrayList<>();

        /** Takes the argument at {@code i} (and its value); returns the index of the last one taken. */
        int take(String[] args, int i) {
            String arg = args[i];
            String value = null;
            if (arg.startsWith("--") && arg.contains("=")) {
                value = arg.substring(arg.indexOf('=') + 1);
                arg = arg.substring(0, arg.indexOf('='));
            }
            if (arg.equals("--help") || arg.equals("-h")) {
                throw new HelpRequested();
            }
            if (arg.equals("--rebuild")) {
                rebuild = true;
            } else if (WITH_VALUE.contains(arg)) {
                if (value == null) {
                    if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                        throw new UsageException(arg + " needs a value");
                    }
                    value = args[++i];
                }
                flag(arg, value);
            } else if (arg.startsWith("-")) {
                throw new UsageException("unknown flag " + arg + " (try --help)");
            } else if (!arg.contains("=")) {
                throw new UsageException("unexpected argument '" + arg + "': configuration overrides are key=value");
            } else {
                overrides.add(arg);
            }
            return i;
        }

        private void flag(String arg, String value) {
            switch (arg) {
                case "--mode" -> mode = Mode.parse(value);
                case "--conf" -> conf = value;
                case "--as-of" -> asOf = parseInstant(arg, value);
                case "--date" -> date = parseDate(arg, value);
                case "--from" -> from = parseDate(arg, value);
                case "--to" -> to = parseDate(arg, value);
                case "--replay-from" -> replayFrom = parseInstant(arg, value);
                case "--window-days" -> overrides.add("base.window-days=" + positiveInt(arg, value));
                case "--events" -> overrides.add("generator.events=" + positiveInt(arg, value));
                case "--days" -> overrides.add("generator.days=" + positiveInt(arg, value));
                case "--seed" -> overrides.add("generator.seed=" + parseLong(arg, value));
                case "--defect-rate" -> overrides.add("generator.defect-rate=" + parseRate(arg, value));
                case "--end-date" -> overrides.add("generator.end-date=\"" + parseDate(arg, value) + "\"");
                case "--dialect" -> dialect = parseDialect(value);
                case "--sql" -> sql = value;
                default -> throw new IllegalStateException(arg);
            }
        }

        CommandLine build() {
            if (mode == null) {
                throw new UsageException("--mode is required; use one of " + Mode.names());
            }
            if (date != null && asOf != null) {
                throw new UsageException("--date and --as-of both set the run's reference time; give one");
            }
            if (date != null) {
                asOf = date.atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            checkBackfill();
            if (replayFrom != null && mode != Mode.INCREMENTAL) {
                throw new UsageException("--replay-from belongs to --mode incremental");
            }
            if (rebuild && mode != Mode.DAILY_BASE && mode != Mode.BACKFILL) {
                throw new UsageException("--rebuild belongs to --mode daily_base or backfill");
            }
            if ((sql != null) != (mode == Mode.QUERY)) {
                throw new UsageException(mode == Mode.QUERY ? "--mode query needs --sql \"SELECT ...\"" : "--sql belongs to --mode query");
            }
            return new CommandLine(new RunRequest(mode, Optional.ofNullable(asOf), rebuild, Optional.ofNullable(from), Optional.ofNullable(to),
                    Optional.ofNullable(replayFrom)), dialect, sql, conf, List.copyOf(overrides));
        }

        /** --from and --to belong to a backfill; --to sets its reference time to the end of that day. */
        private void checkBackfill() {
            if (from != null && mode != Mode.BACKFILL) {
                throw new UsageException("--from belongs to --mode backfill");
            }
            if (mode == Mode.BACKFILL && from == null) {
                throw new UsageException("--mode backfill needs --from YYYY-MM-DD");
            }
            if (to == null) {
                return;
            }
            if (mode != Mode.BACKFILL) {
                throw new UsageException("--to belongs to --mode backfill");
            }
            if (to.isBefore(from)) {
                throw new UsageException("--to " + to + " is before --from " + from);
            }
            if (asOf != null) {
                throw new UsageException("--to sets the backfill's reference time (the end of that day); give --to or --as-of/--date, not both");
            }
            asOf = to.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        }
    }

    /** Thrown by {@code --help}: the launcher prints {@link #USAGE} and exits 0. */
    public static final class HelpRequested extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    static Instant parseInstant(String flag, String value) {
        Instant i = com.shipmenttimeline.transforms.JsonEventParser.parseTimestamp(value);
        if (i == null) {
            try {
                return LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (RuntimeException e) {
                throw new UsageException(flag + " " + value + ": not a timestamp; use e.g. 2025-07-11T10:00:00Z");
            }
        }
        return i;
    }

    static LocalDate parseDate(String flag, String value) {
        try {
            return LocalDate.parse(value);
        } catch (RuntimeException e) {
            throw new UsageException(flag + " " + value + ": not a date; use YYYY-MM-DD");
        }
    }

    private static int positiveInt(String flag, String value) {
        long v = parseLong(flag, value);
        if (v < 1 || v > Integer.MAX_VALUE) {
            throw new UsageException(flag + " " + value + ": must be a whole number of at least 1");
        }
        return (int) v;
    }

    private static long parseLong(String flag, String value) {
        try {
            return Long.parseLong(value.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " " + value + ": not a whole number");
        }
    }

    private static double parseRate(String flag, String value) {
        try {
            double d = Double.parseDouble(value);
            if (d < 0 || d > 1 || Double.isNaN(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new UsageException(flag + " " + value + ": must be a number from 0 to 1");
        }
    }

    private static SqlDialect parseDialect(String value) {
        try {
            return SqlDialect.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--dialect " + value + ": use postgres or redshift");
        }
    }
}
