package com.shipmenttimeline.jobs.run;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.metrics.SparkUsage;
import com.shipmenttimeline.jobs.source.InputFileException;
import com.shipmenttimeline.jobs.source.RawFile;
import com.shipmenttimeline.jobs.warehouse.Ledger;
import com.shipmenttimeline.jobs.warehouse.RunRecord;
import com.shipmenttimeline.jobs.warehouse.Transactions;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import com.shipmenttimeline.jobs.warehouse.WarehouseLease;
import com.shipmenttimeline.schemas.ProcessType;
import com.shipmenttimeline.schemas.WarehouseSql;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * What every run (a base run, an incremental batch, a replay) has and does the same way: the session,
 * the settings, the warehouse, the clock and the stage log; its staging tables and cached frames,
 * dropped and released when it closes; the guarded read; the commit step of section 5; the failure
 * audit; the view step. The two jobs keep only what is their own.
 */
final class RunContext implements AutoCloseable {
    final SparkSession spark;
    final Settings settings;
    final Warehouse warehouse;
    final Clock clock;
    final StageLog log;
    private final String stagingOwner;
    private final List<String> stagingTables = new ArrayList<>();
    private final List<Dataset<Row>> cached = new ArrayList<>();
    private final SparkUsage usage;

    /**
     * @param stagingOwner the run id whose staging tables these are (a batch's own id for a batch)
     */
    RunContext(SparkSession spark, Settings settings, Warehouse warehouse, Clock clock, StageLog log, String stagingOwner) {
        this.spark = spark;
        this.settings = settings;
        this.warehouse = warehouse;
        this.clock = clock;
        this.log = log;
        this.stagingOwner = stagingOwner;
        this.usage = SparkUsage.start(spark.sparkContext());
    }

    /** A context for one batch of this run: the same session and log, staging tables of the batch's own. */
    RunContext forBatch(String batchRunId) {
        return new RunContext(spark, settings, warehouse, clock, log, batchRunId);
    }

    Ledger ledger() {
        return warehouse.ledger();
    }

    /** A staging table of this run's, dropped when the run closes. */
    String staging(String what) {
        String name = RunIds.staging(stagingOwner, what);
        stagingTables.add(name);
        return name;
    }

    /** Persists a frame that several steps read; released when the run closes. */
    Dataset<Row> cache(Dataset<Row> frame) {
        Dataset<Row> persisted = frame.persist(StorageLevel.MEMORY_AND_DISK());
        cached.add(persisted);
        return persisted;
    }

    @Override
    public void close() {
        warehouse.staging().drop(stagingTables.toArray(String[]::new));
        cached.forEach(Dataset::unpersist);
        usage.close();
    }

    /** Runs a Spark action, turning a failure to read an input file into an {@link InputFileException}. */
    static <T> T readGuarded(Supplier<T> action) {
        try {
            return action.get();
        } catch (Exception e) {
            throw asRunFailure(e);
        }
    }

    /** Spark's checked exceptions as unchecked ones (the cause chain kept); an input file's failure as an {@link InputFileException}. */
    static RuntimeException asRunFailure(Exception e) {
        Optional<String> input = InputFileException.findIn(e);
        if (input.isPresent() && !(e instanceof InputFileException)) {
            return InputFileException.wrapping(input.get(), e);
        }
        return e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
    }

    static Instant later(Instant a, Instant b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return a.isAfter(b) ? a : b;
    }

    /** What one commit transaction writes besides the ledger's rows (section 5's steps of the job). */
    record CommitWork(ProcessType type, RunRecord.Builder record, WarehouseLease lease, List<RawFile> files, Instant newestEvent,
            List<WarehouseSql.Statement> statements, Map<String, Object> values, boolean skipIfCommitted) {}

    /** A commit's outcome: the record this attempt committed, or none when an earlier attempt had. */
    record Committed(Optional<RunRecord> record, Instant checkpointAfter) {
        boolean byThisAttempt() {
            return record.isPresent();
        }
    }

    /**
     * The commit step of section 5, in ONE transaction: the lease still held, the job's statements,
     * the files read, the checkpoint moved forward to the newest event, the audit row. When the
     * answer to COMMIT is lost, the audit row decides ({@link Transactions#commitRun}).
     */
    Committed commit(String stage, CommitWork w, Function<Committed, String> describe) {
        RunPoints.reached(RunPoints.BEFORE_COMMIT);
        RunRecord.SparkFigures sparkFigures = usage.figures(); // before the transaction: it may wait for Spark's listener bus
        RunRecord[] done = new RunRecord[1];
        Committed result = log.run(stage, () -> warehouse.transactions().commitRun(w.record().runId(), c -> {
            w.lease().fence(c);
            if (w.skipIfCommitted() && ledger().runSucceeded(c, w.record().runId())) {
                return new Committed(Optional.empty(), null);
            }
            for (WarehouseSql.Statement st : w.statements()) {
                Transactions.run(c, st, w.values());
            }
            Optional<Instant> before = ledger().checkpoint(c);
            Instant after = later(before.orElse(null), w.newestEvent());
            Instant now = clock.instant();
            ledger().recordFiles(c, w.files().stream().map(RawFile::path).toList(), w.record().runId(), w.type(), now);
            ledger().setCheckpoint(c, after, w.type(), w.record().runId(), now);
            done[0] = w.record().checkpoints(before.orElse(null), after).spark(sparkFigures)
                    .succeeded(now, ledger().missingEvents(c, now.minus(java.time.Duration.ofHours(24))), settings.metrics().clusterCostPerHour());
            ledger().insertRun(c, done[0]);
            RunPoints.reached(RunPoints.IN_TRANSACTION);
            return new Committed(Optional.of(done[0]), after);
        }, () -> new Committed(Optional.ofNullable(done[0]), ledger().checkpoint().orElse(null))), describe);
        RunPoints.reached(RunPoints.AFTER_COMMIT);
        return result;
    }

    /** Writes a failed run's audit row outside the rolled-back transaction (section 5). */
    void auditFailure(RunRecord.Builder record, Throwable error) {
        FailureAudit.write(warehouse, record, error, clock);
    }

    /**
     * The view step, after the commit: refreshed when the policy is one of {@code refreshingPolicies}
     * (and, with {@code onlyIfPending}, when a commit has not been shown yet, also one a crash left).
     */
    String refreshView(Set<Settings.RefreshPolicy> refreshingPolicies, boolean onlyIfPending) {
        Settings.RefreshPolicy policy = settings.warehouse().refreshView();
        if (!refreshingPolicies.contains(policy)) {
            return "not refreshed (warehouse.refresh-view = " + policy.name().toLowerCase(Locale.ROOT).replace('_', '-') + ")";
        }
        if (onlyIfPending && !warehouse.view().refreshPending()) {
            return "up to date";
        }
        log.run("refresh realtime view", warehouse.view()::refresh);
        return warehouse.view().materialized() ? "refreshed" : "(a plain view: always current)";
    }
}
