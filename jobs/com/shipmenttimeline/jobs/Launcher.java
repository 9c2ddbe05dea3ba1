package com.shipmenttimeline.jobs;

import com.shipmenttimeline.schemas.WarehouseDdl;
import java.io.PrintStream;
import java.time.Clock;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one entry point, for spark-submit on EMR and for the local launcher: parse, build, run,
 * stop Spark, exit with a code. User errors are one line on stderr and exit 2; stack traces are
 * for bugs.
 */
public final class Launcher {
    private static final Logger LOG = LoggerFactory.getLogger(Launcher.class);

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;
    public static final int BAD_INPUT = 3;
    public static final int BUSY = 4;
    public static final int CRITICAL = 5;

    private Launcher() {}

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    public static int run(String[] args, PrintStream out, PrintStream err) {
        RunRequest request;
        Settings settings;
        try {
            request = RunRequest.parse(args);
            settings = Settings.load(request.confFile(), request.overrides());
        } catch (RunRequest.HelpRequested h) {
            out.println(RunRequest.USAGE);
            return OK;
        } catch (UsageException e) {
            err.println("timeline: " + e.getMessage());
            return USAGE;
        }
        if (request.mode() == Mode.DDL) {
            out.print(new WarehouseDdl(request.dialect(), settings.warehouse().schema()).script());
            return OK;
        }
        if (request.mode() == Mode.QUERY) {
            return query(request.sql(), settings, out, err);
        }
        if (request.mode() == Mode.MONITOR) {
            return monitor(request, settings, out, err);
        }
        SparkSession spark = null;
        Warehouse warehouse = null;
        boolean failed = false;
        try {
            spark = SparkSessions.create(settings.spark());
            switch (request.mode()) {
                case GENERATE -> {
                    SampleDataGenerator.Written w = new SampleDataGenerator(spark, settings.paths().raw()).generate(settings.generator());
                    out.printf("generated %d events of %d shipments, %s to %s, into %s%n", w.events(), w.shipments(), w.firstDay(),
                            w.lastDay(), settings.paths().raw());
                    if (w.heldBack() > 0) {
                        out.printf("  %d of them, the last %s, held back in %s: copy them into the raw folder to see the incremental job%n",
                                w.heldBack(), settings.generator().holdBack(), settings.generator().incoming());
                    }
                }
                case DAILY_BASE, BACKFILL -> {
                    generateSampleIfEmpty(spark, settings, out);
                    warehouse = Warehouse.open(settings.warehouse());
                    DailyBaseJob.RunResult r = new DailyBaseJob(spark, settings, warehouse, Clock.systemUTC()).run(request);
                    printSummary(out, r, warehouse, settings);
                    report(settings, r.record());
                }
                case INCREMENTAL -> {
                    warehouse = Warehouse.open(settings.warehouse());
                    IncrementalJob.RunResult r = new IncrementalJob(spark, settings, warehouse, Clock.systemUTC()).run(request);
                    printSummary(out, r, warehouse);
                    r.batches().forEach(b -> report(settings, b));
                }
                default -> throw new IllegalStateException(request.mode().name());
            }
            return OK;
        } catch (UsageException e) {
            err.println("timeline: " + e.getMessage());
            return USAGE;
        } catch (WarehouseBusyException e) {
            err.println("timeline: " + e.getMessage());
            return BUSY;
        } catch (Exception e) { // SparkException is checked, though Scala code throws it undeclared
            failed = true;
            java.util.Optional<String> input = InputFileException.findIn(e);
            if (input.isPresent()) {
                err.println("timeline: " + input.get() + " (the run committed nothing)");
                return BAD_INPUT;
            }
            if (e instanceof WarehouseException) {
                err.println("timeline: " + e.getMessage() + " (the run committed nothing)");
                LOG.debug("warehouse failure", e);
                return FAILED;
            }
            LOG.error("run failed", e);
            err.println("timeline: failed: " + Settings.oneLine(String.valueOf(e.getMessage())));
            return FAILED;
        } finally {
            if (failed && request.mode() != Mode.GENERATE) {
                RunMetrics.report(settings.metrics(), request.mode().flag(), java.time.Instant.now(),
                        java.util.List.of(new RunMetrics.Datum(RunMetrics.RUNS_FAILED, 1, "Count", java.util.Map.of())));
            }
            if (warehouse != null) {
                warehouse.close();
            }
            if (spark != null) {
                spark.stop();
            }
        }
    }

    /** A committed run's figures: to the log always, to CloudWatch when that is the sink. */
    private static void report(Settings settings, RunRecord r) {
        RunMetrics.report(settings.metrics(), r.runId(), (java.time.Instant) r.get("finished_at"), RunMetrics.of(r));
    }

    /** The health check: one line per alert condition, exit 5 on CRITICAL; no Spark involved. */
    private static int monitor(RunRequest request, Settings settings, PrintStream out, PrintStream err) {
        try (Warehouse warehouse = Warehouse.openForSql(settings.warehouse())) {
            java.time.Instant now = request.asOf().orElse(java.time.Instant.now());
            java.util.List<Monitor.Condition> conditions = new Monitor(warehouse, settings.monitor()).evaluate(now);
            RunMetrics.report(settings.metrics(), "monitor", now, Monitor.data(conditions));
            return Monitor.print(conditions, out);
        } catch (UsageException e) {
            err.println("timeline: " + e.getMessage());
            return USAGE;
        } catch (WarehouseException e) {
            err.println("timeline: monitor: " + e.getMessage() + ": " + Settings.oneLine(String.valueOf(e.getCause() == null ? "" : e.getCause().getMessage())));
            return FAILED;
        }
    }

    /** Prints the rows of one statement, tab-separated with a header; no Spark involved. */
    private static int query(String sql, Settings settings, PrintStream out, PrintStream err) {
        try (Warehouse warehouse = Warehouse.openForSql(settings.warehouse());
                java.sql.Connection c = warehouse.connect();
                java.sql.Statement st = c.createStatement()) {
            if (!st.execute(sql)) {
                out.println(st.getUpdateCount() + " rows changed");
                return OK;
            }
            try (java.sql.ResultSet rs = st.getResultSet()) {
                int n = rs.getMetaData().getColumnCount();
                StringBuilder header = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    header.append(i > 1 ? "\t" : "").append(rs.getMetaData().getColumnLabel(i));
                }
                out.println(header);
                while (rs.next()) {
                    StringBuilder line = new StringBuilder();
                    for (int i = 1; i <= n; i++) {
                        line.append(i > 1 ? "\t" : "").append(rs.getString(i));
                    }
                    out.println(line);
                }
            }
            return OK;
        } catch (java.sql.SQLException e) {
            err.println("timeline: query failed: " + Settings.oneLine(e.getMessage()));
            return USAGE;
        } catch (UsageException e) {
            err.println("timeline: " + e.getMessage());
            return USAGE;
        }
    }

    /** The local default generates sample data on first use; never on s3a:// or when disabled. */
    private static void generateSampleIfEmpty(SparkSession spark, Settings settings, PrintStream out) {
        String raw = settings.paths().raw();
        boolean local = !raw.contains("://") || raw.startsWith("file:");
        if (settings.generator().whenEmpty() && local && SampleDataGenerator.needsSample(spark, raw)) {
            out.println("no raw events under " + raw + ": generating sample data (timeline.generator.*) ...");
            SampleDataGenerator.Written w = new SampleDataGenerator(spark, raw).generate(settings.generator());
            out.printf("generated %d events of %d shipments, %s to %s%n", w.events(), w.shipments(), w.firstDay(), w.lastDay());
            if (w.heldBack() > 0) {
                out.printf("  %d of them, the last %s, held back in %s: copy them into the raw folder to see the incremental job%n",
                        w.heldBack(), settings.generator().holdBack(), settings.generator().incoming());
            }
        }
    }

    private static void printSummary(PrintStream out, IncrementalJob.RunResult r, Warehouse warehouse) {
        if (r.batches().isEmpty()) {
            out.println("incremental run: nothing new" + (r.batchesAlreadyCommitted() > 0
                    ? " (" + r.batchesAlreadyCommitted() + " batch(es) found committed by an earlier, interrupted run)" : ""));
        }
        for (RunRecord rec : r.batches()) {
            out.printf("incremental batch %s succeeded in %.1f s: %s files, read %s, timeline %s, quarantined %s, duplicates %s,"
                    + " already_processed %s, late %s%n", rec.runId(), (Double) rec.get("duration_seconds"), rec.get("files_read"),
                    rec.get("rows_read"), rec.get("timeline_rows"), rec.get("quarantined"), rec.get("duplicates"),
                    rec.get("already_processed"), rec.get("late"));
            out.printf("  checkpoint: %s (was %s)%n", rec.get("checkpoint_after"), rec.get("checkpoint_before"));
        }
        out.printf("  warehouse: %s; view %s %s%n", warehouse.describe(),
                warehouse.ddl().qualified(com.shipmenttimeline.schemas.WarehouseTables.REALTIME_VIEW), r.view());
    }

    private static void printSummary(PrintStream out, DailyBaseJob.RunResult r, Warehouse warehouse, Settings settings) {
        RunRecord rec = r.record();
        out.printf("%s run %s %s in %.1f s%n", rec.get("process_type"), rec.runId(), rec.get("status"), (Double) rec.get("duration_seconds"));
        out.printf("  as_of %s, window from %s, %s raw files%n", rec.get("as_of"), rec.get("window_start"), rec.get("files_read"));
        out.printf("  rows: read %s, timeline %s, quarantined %s, duplicates %s, unknown_location %s%n", rec.get("rows_read"),
                rec.get("timeline_rows"), rec.get("quarantined"), rec.get("duplicates"), rec.get("unknown_location"));
        out.printf("  checkpoint: %s (was %s)%n", rec.get("checkpoint_after"), rec.get("checkpoint_before"));
        out.printf("  lake: %s (Delta, version %d)%n", r.lakePath(), r.lakeVersion());
        out.printf("  warehouse: %s; tables %s, %s; view %s %s%n", warehouse.describe(),
                warehouse.ddl().qualified(com.shipmenttimeline.schemas.WarehouseTables.BASE),
                warehouse.ddl().qualified(com.shipmenttimeline.schemas.WarehouseTables.RUNS),
                warehouse.ddl().qualified(com.shipmenttimeline.schemas.WarehouseTables.REALTIME_VIEW), r.view());
    }
}
