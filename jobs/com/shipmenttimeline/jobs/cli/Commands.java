package com.shipmenttimeline.jobs.cli;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.SparkSessions;
import com.shipmenttimeline.jobs.config.UsageException;
import com.shipmenttimeline.jobs.dev.FaultInjection;
import com.shipmenttimeline.jobs.dev.SampleDataGenerator;
import com.shipmenttimeline.jobs.metrics.MetricValue;
import com.shipmenttimeline.jobs.metrics.Monitor;
import com.shipmenttimeline.jobs.metrics.PipelineStatus;
import com.shipmenttimeline.jobs.metrics.RunMetrics;
import com.shipmenttimeline.jobs.run.DailyBaseJob;
import com.shipmenttimeline.jobs.run.IncrementalJob;
import com.shipmenttimeline.jobs.run.Mode;
import com.shipmenttimeline.jobs.source.InputFileException;
import com.shipmenttimeline.jobs.warehouse.BaseRunHoldsLeaseException;
import com.shipmenttimeline.jobs.warehouse.RunRecord;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import com.shipmenttimeline.jobs.warehouse.WarehouseBusyException;
import com.shipmenttimeline.jobs.warehouse.WarehouseException;
import com.shipmenttimeline.schemas.WarehouseDdl;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one command line: the modes that need no Spark (ddl, query, monitor) on their own, the
 * others on a SparkSession from {@link Sessions}: one built for the run and stopped in
 * {@code finally} (the launcher), or a caller's, which is never stopped ({@code ShipmentTimeline}).
 * Every failure becomes an exit code and one line on stderr ({@link #complaint()}).
 */
public final class Commands {
    private static final Logger LOG = LoggerFactory.getLogger(Commands.class);

    private final PrintStream out;
    private final PrintStream err;
    private final Sessions sessions;
    private String complaint;

    /** Where a run's SparkSession comes from, and what ends its use. */
    public interface Sessions {
        SparkSession open(Settings.SparkSettings settings);

        void close(SparkSession spark);
    }

    /** Sessions built for the run from the configuration and Spark's own settings, and stopped after it. */
    public static final Sessions OWN = new Sessions() {
        @Override
        public SparkSession open(Settings.SparkSettings settings) {
            return SparkSessions.create(settings);
        }

        @Override
        public void close(SparkSession spark) {
            spark.stop();
        }
    };

    public Commands(PrintStream out, PrintStream err) {
        this(out, err, OWN);
    }

    public Commands(PrintStream out, PrintStream err, Sessions sessions) {
        this.out = out;
        this.err = err;
        this.sessions = sessions;
    }

    /** The one line the last failed command printed on stderr (without "timeline: "), or null. */
    public String complaint() {
        return complaint;
    }

    private void complain(String line) {
        complaint = line;
        err.println("timeline: " + line);
    }

    public int run(String[] args) {
        FaultInjection.installFromSystemProperty();
        CommandLine line;
        Settings settings;
        try {
            line = CommandLine.parse(args);
            settings = Settings.load(line.confFile(), line.overrides());
        } catch (CommandLine.HelpRequested h) {
            out.println(h.text());
            return ExitCodes.OK;
        } catch (UsageException e) {
            return usage(e);
        }
        if (YarnCluster.isClusterDriver() && !line.mode().usesSpark()) {
            return usage(new UsageException("--mode " + line.mode().flag() + " starts no Spark work, and a YARN cluster-mode driver must;"
                    + " run it with spark-submit --master local[1] (as the monitor step does) or from a shell"));
        }
        return switch (line.mode()) {
            case DDL -> {
                out.print(new WarehouseDdl(line.dialect(), settings.warehouse().schema(), settings.warehouse().materializedView()).script());
                yield ExitCodes.OK;
            }
            case QUERY -> query(line.sql(), settings);
            case MONITOR -> monitor(line, settings);
            case STATUS -> status(settings);
            case CONFIG -> {
                Settings.effective(line.confFile(), line.overrides()).forEach(out::println);
                yield ExitCodes.OK;
            }
            default -> withSpark(line, settings);
        };
    }

    /** The modes that run Spark: generate, the base runs and the incremental run. */
    private int withSpark(CommandLine line, Settings settings) {
        SparkSession spark = null;
        Warehouse warehouse = null;
        boolean failed = false;
        try {
            spark = sessions.open(settings.spark());
            if (line.mode() == Mode.GENERATE) {
                generate(spark, settings);
                return ExitCodes.OK;
            }
            warehouse = Warehouse.open(settings.warehouse());
            runJob(line, settings, spark, warehouse);
            return ExitCodes.OK;
        } catch (UsageException e) {
            return usage(e);
        } catch (WarehouseBusyException e) {
            complain(e.getMessage());
            return ExitCodes.BUSY;
        } catch (BaseRunHoldsLeaseException e) {
            // A planned overlap with a base run: nothing changed, and the next run reads these files.
            out.println("timeline: " + e.getMessage());
            return ExitCodes.OK;
        } catch (Exception e) { // SparkException is checked, though Scala code throws it undeclared
            failed = true;
            return failure(e);
        } finally {
            if (failed && line.mode() != Mode.GENERATE) {
                RunMetrics.report(settings.metrics(), line.mode().flag(), Instant.now(),
                        List.of(new MetricValue(RunMetrics.RUNS_FAILED, 1, "Count", Map.of())));
            }
            if (warehouse != null) {
                warehouse.close();
            }
            if (spark != null) {
                sessions.close(spark);
            }
        }
    }

    private void runJob(CommandLine line, Settings settings, SparkSession spark, Warehouse warehouse) {
        if (line.mode() == Mode.INCREMENTAL) {
            IncrementalJob.RunResult r = new IncrementalJob(spark, settings, warehouse, Clock.systemUTC()).run(line.request());
            RunSummary.print(out, r, warehouse);
            r.batches().forEach(b -> report(settings, b));
            return;
        }
        if (line.mode() != Mode.DAILY_BASE && line.mode() != Mode.BACKFILL) {
            throw new IllegalStateException(line.mode().name());
        }
        generateSampleIfEmpty(spark, settings);
        DailyBaseJob.RunResult r = new DailyBaseJob(spark, settings, warehouse, Clock.systemUTC()).run(line.request());
        RunSummary.print(out, r, warehouse);
        report(settings, r.record());
    }

    private int failure(Exception e) {
        Optional<String> input = InputFileException.findIn(e);
        if (input.isPresent()) {
            complain(input.get() + " (the run committed nothing)");
            return ExitCodes.BAD_INPUT;
        }
        if (e instanceof WarehouseException) {
            complain(e.getMessage() + " (the run committed nothing)");
            LOG.debug("warehouse failure", e);
            return ExitCodes.FAILED;
        }
        LOG.error("run failed", e);
        complain("failed: " + Settings.oneLine(String.valueOf(e.getMessage())));
        return ExitCodes.FAILED;
    }

    private int usage(UsageException e) {
        complain(e.getMessage());
        return ExitCodes.USAGE;
    }

    /** A committed run's figures: to the log always, to CloudWatch when that is the sink. */
    private static void report(Settings settings, RunRecord r) {
        RunMetrics.report(settings.metrics(), r.runId(), r.finishedAt(), RunMetrics.of(r));
    }

    /** The health check: one line per alert condition, exit 5 on CRITICAL; no Spark involved. */
    private int monitor(CommandLine line, Settings settings) {
        try (Warehouse warehouse = Warehouse.openForSql(settings.warehouse())) {
            Instant now = line.request().asOf().orElse(Instant.now());
            List<Monitor.Condition> conditions = new Monitor(warehouse, settings).evaluate(now);
            RunMetrics.report(settings.metrics(), "monitor", now, Monitor.data(conditions));
            return Monitor.print(conditions, out) ? ExitCodes.CRITICAL : ExitCodes.OK;
        } catch (UsageException e) {
            return usage(e);
        } catch (WarehouseException e) {
            complain("monitor: " + e.getMessage() + ": "
                    + Settings.oneLine(String.valueOf(e.getCause() == null ? "" : e.getCause().getMessage())));
            return ExitCodes.FAILED;
        }
    }

    /** The pipeline's state: checkpoint, latest runs, lease; no Spark involved. */
    private int status(Settings settings) {
        try (Warehouse warehouse = Warehouse.openForSql(settings.warehouse())) {
            new PipelineStatus(warehouse).print(out);
            return ExitCodes.OK;
        } catch (UsageException e) {
            return usage(e);
        } catch (WarehouseException e) {
            complain("status: " + e.getMessage());
            return ExitCodes.FAILED;
        }
    }

    /** Prints the rows of one statement, tab-separated with a header; no Spark involved. */
    private int query(String sql, Settings settings) {
        try (Warehouse warehouse = Warehouse.openForSql(settings.warehouse());
                Connection c = warehouse.connect();
                Statement st = c.createStatement()) {
            if (!st.execute(sql)) {
                out.println(st.getUpdateCount() + " rows changed");
                return ExitCodes.OK;
            }
            try (ResultSet rs = st.getResultSet()) {
                printRows(rs);
            }
            return ExitCodes.OK;
        } catch (SQLException e) {
            complain("query failed: " + Settings.oneLine(e.getMessage()));
            return ExitCodes.USAGE;
        } catch (UsageException e) {
            return usage(e);
        }
    }

    private void printRows(ResultSet rs) throws SQLException {
        int n = rs.getMetaData().getColumnCount();
        StringBuilder header = new StringBuilder();
        for (int i = 1; i <= n; i++) {
            header.append(i > 1 ? "\t" : "").append(rs.getMetaData().getColumnLabel(i));
        }
        out.println(header);
        while (rs.next()) {
            StringBuilder row = new StringBuilder();
            for (int i = 1; i <= n; i++) {
                row.append(i > 1 ? "\t" : "").append(rs.getString(i));
            }
            out.println(row);
        }
    }

    private void generate(SparkSession spark, Settings settings) {
        SampleDataGenerator.Written w = new SampleDataGenerator(spark, settings.paths().raw()).generate(settings.generator());
        out.printf("generated %d events of %d shipments, %s to %s, into %s%n", w.events(), w.shipments(), w.firstDay(),
                w.lastDay(), settings.paths().raw());
        printHeldBack(w, settings);
    }

    /** The local default generates sample data on first use; never on s3a:// or when disabled. */
    private void generateSampleIfEmpty(SparkSession spark, Settings settings) {
        String raw = settings.paths().raw();
        boolean local = !raw.contains("://") || raw.startsWith("file:");
        if (settings.generator().whenEmpty() && local && SampleDataGenerator.needsSample(spark, raw)) {
            out.println("no raw events under " + raw + ": generating sample data (timeline.generator.*) ...");
            SampleDataGenerator.Written w = new SampleDataGenerator(spark, raw).generate(settings.generator());
            out.printf("generated %d events of %d shipments, %s to %s%n", w.events(), w.shipments(), w.firstDay(), w.lastDay());
            printHeldBack(w, settings);
        }
    }

    private void printHeldBack(SampleDataGenerator.Written w, Settings settings) {
        if (w.heldBack() > 0) {
            out.printf("  %d of them, the last %s, held back in %s: copy them into the raw folder to see the incremental job%n",
                    w.heldBack(), settings.generator().holdBack(), settings.generator().incoming());
        }
    }
}
