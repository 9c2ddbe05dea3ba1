package com.shipmenttimeline.jobs;

import com.shipmenttimeline.jobs.cli.Commands;
import com.shipmenttimeline.jobs.cli.ExitCodes;
import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.SparkSessions;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;

/**
 * The entry for a notebook or any program that already has a SparkSession: runs one command line,
 * the same modes, flags and {@code key=value} overrides as the launcher, in the caller's session.
 *
 * <pre>{@code
 * // Scala or Java kernel
 * ShipmentTimeline.run(spark, "backfill", "--from", "2026-11-20", "--conf", "emr-prod")
 * # PySpark
 * spark._jvm.com.shipmenttimeline.jobs.ShipmentTimeline.run(spark._jsparkSession, ["backfill", "--from", "2026-11-20"])
 * }</pre>
 *
 * The session is never stopped. It must have been built with Delta Lake's extension and catalog (static
 * settings); else the run is refused before anything happens. For the run, the session is set to UTC
 * and Parquet's dates as written, and the job's Spark defaults fill the runtime settings the session
 * has not set itself ({@code spark.sql.shuffle.partitions}, …); all of them are put back after. The
 * Spark part of the configuration that needs a new session ({@code timeline.spark.master}, the UI) does
 * not apply. A run that does not succeed throws {@link RunFailedException} with the launcher's one line
 * and exit code; one that succeeds (or that a base run holding the lease made leave its files for the
 * next trigger) returns what the launcher would have printed.
 */
public final class ShipmentTimeline {
    private ShipmentTimeline() {}

    /** What a run printed: its summary (for a base or incremental run, the run's counts and the view). */
    public record Result(String output) {
        @Override
        public String toString() {
            return output;
        }
    }

    public static Result run(SparkSession spark, String... args) {
        if (spark == null) {
            throw new IllegalArgumentException("ShipmentTimeline.run needs the caller's SparkSession");
        }
        requireDelta(spark);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Commands commands = new Commands(out, out, new CallersSession(spark));
        int code = commands.run(args);
        out.flush();
        if (code != ExitCodes.OK) {
            throw new RunFailedException(code, commands.complaint());
        }
        return new Result(bytes.toString(StandardCharsets.UTF_8));
    }

    /** As {@link #run(SparkSession, String...)}, for callers whose lists do not become arrays (PySpark's py4j). */
    public static Result run(SparkSession spark, List<String> args) {
        return run(spark, args.toArray(String[]::new));
    }

    /** Refuses a session without Delta Lake's extension and catalog, naming the settings to give. */
    static void requireDelta(SparkSession spark) {
        missingDelta(staticSetting(spark, SparkSessions.EXTENSIONS), staticSetting(spark, SparkSessions.SESSION_CATALOG))
                .ifPresent(why -> {
                    throw new RunFailedException(ExitCodes.USAGE, why);
                });
    }

    /** Why a session with these static settings cannot run the timeline, if it cannot. */
    static Optional<String> missingDelta(String extensions, String catalog) {
        boolean extension = SparkSessions.hasDelta(extensions);
        boolean deltaCatalog = SparkSessions.DELTA_CATALOG.equals(catalog.trim());
        if (extension && deltaCatalog) {
            return Optional.empty();
        }
        List<String> lacks = new java.util.ArrayList<>();
        if (!extension) {
            lacks.add(SparkSessions.EXTENSIONS + " lacks " + SparkSessions.DELTA_EXTENSION);
        }
        if (!deltaCatalog) {
            lacks.add(SparkSessions.SESSION_CATALOG + " is '" + catalog + "'");
        }
        return Optional.of("the session has no Delta Lake (" + String.join("; ", lacks) + "): build it with "
                + SparkSessions.EXTENSIONS + "=" + SparkSessions.DELTA_EXTENSION + " and " + SparkSessions.SESSION_CATALOG + "="
                + SparkSessions.DELTA_CATALOG + " (static settings, which a running session cannot take); nothing was run");
    }

    private static String staticSetting(SparkSession spark, String key) {
        return spark.conf().getOption(key).getOrElse(() -> spark.sparkContext().getConf().get(key, ""));
    }

    /** The caller's session: set up for a run and put back after it, never stopped. */
    private static final class CallersSession implements Commands.Sessions {
        private final SparkSession spark;
        /** Each key set for the run, and its value before (empty: it was not set). */
        private final Map<String, Optional<String>> before = new LinkedHashMap<>();

        CallersSession(SparkSession spark) {
            this.spark = spark;
        }

        @Override
        public SparkSession open(Settings.SparkSettings settings) {
            RuntimeConfig conf = spark.conf();
            for (Map.Entry<String, String> e : SparkSessions.essential().entrySet()) {
                set(conf, e.getKey(), e.getValue());
            }
            for (Map.Entry<String, String> e : SparkSessions.defaults(settings, spark.sparkContext().master()).entrySet()) {
                if (!conf.contains(e.getKey()) && conf.isModifiable(e.getKey())) {
                    set(conf, e.getKey(), e.getValue());
                }
            }
            return spark;
        }

        private void set(RuntimeConfig conf, String key, String value) {
            before.putIfAbsent(key, conf.contains(key) ? Optional.of(conf.get(key)) : Optional.empty());
            conf.set(key, value);
        }

        @Override
        public void close(SparkSession session) {
            RuntimeConfig conf = spark.conf();
            before.forEach((key, value) -> {
                if (value.isPresent()) {
                    conf.set(key, value.get());
                } else {
                    conf.unset(key);
                }
            });
            before.clear();
        }
    }
}
