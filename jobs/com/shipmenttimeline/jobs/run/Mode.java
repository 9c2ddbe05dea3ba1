package com.shipmenttimeline.jobs.run;


import com.shipmenttimeline.jobs.config.UsageException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** What a launch does, named and described as on the command line ({@code --mode daily_base}, {@code timeline --help}). */
public enum Mode {
    DAILY_BASE("daily_base", "the nightly base run over the last W days"),
    BACKFILL("backfill", "a base run whose window starts at --from (optionally reading up to --to)"),
    INCREMENTAL("incremental", "take in the raw files that arrived since the last batch"),
    GENERATE("generate", "write sample raw events, locations and packages"),
    DDL("ddl", "print the warehouse DDL (no Spark)"),
    QUERY("query", "run one SQL statement against the warehouse and print the rows (no Spark)"),
    MONITOR("monitor", "check the alert conditions against the warehouse; one line each, exit 5 on CRITICAL (no Spark)"),
    STATUS("status", "show the pipeline's state: the checkpoint, the latest runs, the lease (no Spark)"),
    CONFIG("config", "print the effective configuration, secrets redacted");

    private final String flag;
    private final String help;

    Mode(String flag, String help) {
        this.flag = flag;
        this.help = help;
    }

    public String flag() {
        return flag;
    }

    public String help() {
        return help;
    }

    /** Whether the mode runs on a SparkSession (the others only talk to the warehouse, or print). */
    public boolean usesSpark() {
        return this == DAILY_BASE || this == BACKFILL || this == INCREMENTAL || this == GENERATE;
    }

    public static Mode parse(String value) {
        for (Mode m : values()) {
            if (m.flag.equals(value.toLowerCase(Locale.ROOT).replace('-', '_'))) {
                return m;
            }
        }
        throw new UsageException("--mode " + value + ": unknown mode; use one of " + names());
    }

    public static String names() {
        return Arrays.stream(values()).map(Mode::flag).collect(Collectors.joining(", "));
    }
}
