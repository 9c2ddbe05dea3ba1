package com.shipmenttimeline.jobs.run;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.UsageException;
import com.shipmenttimeline.jobs.lake.TimelineLake;
import com.shipmenttimeline.jobs.source.InputFileException;
import com.shipmenttimeline.jobs.source.RawEventSource;
import com.shipmenttimeline.jobs.source.RawFile;
import com.shipmenttimeline.jobs.source.ReferenceData;
import com.shipmenttimeline.jobs.warehouse.RunCounts;
import com.shipmenttimeline.jobs.warehouse.RunRecord;
import com.shipmenttimeline.jobs.warehouse.Transactions;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import com.shipmenttimeline.jobs.warehouse.WarehouseLease;

import static org.apache.spark.sql.functions.col;

import com.shipmenttimeline.schemas.ProcessType;
import com.shipmenttimeline.schemas.TimelineColumns;
import com.shipmenttimeline.schemas.WarehouseSql;
import com.shipmenttimeline.schemas.WarehouseTables;
import com.shipmenttimeline.transforms.EventOutcomes;
import com.shipmenttimeline.transforms.Outcome;
import com.shipmenttimeline.transforms.TimelineFields;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nightly base run (and the backfill, which is a base run with a window of its own), as
 * TIMELINE-SPEC section 5 says: read the window's raw files, classify every row, continue each
 * shipment from its last stored row before the window start, write the Delta copy, and in ONE
 * warehouse transaction replace the window's base rows, delete the incremental rows the base now
 * covers, store the quarantine rows, set the checkpoint and write the audit row. Then refresh the view.
 */
public final class DailyBaseJob {
    private static final Logger LOG = LoggerFactory.getLogger(DailyBaseJob.class);

    private final SparkSession spark;
    private final Settings settings;
    private final Warehouse warehouse;
    private final Clock clock;

    public DailyBaseJob(SparkSession spark, Settings settings, Warehouse warehouse, Clock clock) {
        this.spark = spark;
        this.settings = settings;
        this.warehouse = warehouse;
        this.clock = clock;
    }

    /** The window start of a base run: UTC midnight of as_of's date minus W days; a backfill's is its --from. */
    public static Instant windowStart(Instant asOf, int windowDays, Optional<LocalDate> backfillFrom) {
        LocalDate start = backfillFrom.orElseGet(() -> asOf.atZone(ZoneOffset.UTC).toLocalDate().minusDays(windowDays));
        return start.atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    public RunResult run(RunRequest request) {
        ProcessType type = request.mode() == Mode.BACKFILL ? ProcessType.BACKFILL : ProcessType.DAILY_BASE;
        Instant startedAt = clock.instant();
        Instant asOf = request.asOf().orElse(startedAt);
        Instant windowStart = windowStart(asOf, settings.windowDays(), request.from());
        LocalDate windowStartDate = windowStart.atZone(ZoneOffset.UTC).toLocalDate();
        String runId = RunIds.next(type.value(), startedAt);
        RunRecord record = new RunRecord(runId, type.value(), startedAt).set("as_of", asOf).set("window_start", windowStart);
        StageLog log = new StageLog(spark, runId);
        log.info("{} run: as_of {}, window from {} ({}), raw {}, lake {}, warehouse {}", type.value(), asOf, windowStart,
                request.from().isPresent() ? "backfill" : settings.windowDays() + " days", settings.paths().raw(),
                settings.paths().lake(), warehouse.describe());

        String keysTable = RunIds.staging(runId, "keys");
        String timelineTable = RunIds.staging(runId, "timeline");
        String quarantineTable = RunIds.staging(runId, "quarantine");
        TimelineLake lake = new TimelineLake(spark, settings.paths().lake());
        long lakeBaseVersion = -2;
        long lakeIncrementalVersion = -2;
        Dataset<Row> classified = null;
        Dataset<Row> timeline = null;
        log.run("warehouse objects", warehouse.objects()::ensure);
        try (WarehouseLease lease = WarehouseLease.acquire(warehouse, runId, type.value(), settings.warehouse().leaseTtl(),
                settings.warehouse().leaseWait(), clock)) {
            warehouse.staging().dropLeftovers();
            RawEventSource source = new RawEventSource(spark, settings.paths().raw());
            if (request.to().isPresent()) {
                Optional<Instant> stored = warehouse.ledger().checkpoint();
                if (stored.isPresent() && stored.get().isAfter(asOf)) {
                    throw new UsageException("--to " + request.to().get() + " ends before the stored timeline (checkpoint " + stored.get()
                            + "); a backfill replaces everything from --from on, so omit --to to recompute to the end");
                }
            }
            List<RawFile> files = log.run("list raw files", () -> source.listFrom(windowStartDate).stream()
                    .filter(f -> request.to().isEmpty() || !f.ingestDate().isAfter(request.to().get())).toList(),
                    f -> f.size() + " files with ingest_date >= " + windowStartDate + request.to().map(t -> " and <= " + t).orElse(""));
            record.set("files_read", (long) files.size());

            Dataset<Row> tagged = EventOutcomes.forBase(source.read(files, windowStart, asOf.plus(settings.futureTolerance())), asOf, settings.futureTolerance(), windowStart)
                    .persist(StorageLevel.MEMORY_AND_DISK());
            classified = tagged;
            Map<String, Long> byOutcome = log.run("read and classify", () -> readGuarded(() -> TimelinePipeline.countByOutcome(tagged)),
                    Object::toString);
            long inScopeCount = byOutcome.getOrDefault(Outcome.TIMELINE, 0L);
            RunPoints.reached(RunPoints.AFTER_READ);

            ReferenceData reference = new ReferenceData(spark, settings.paths().raw());
            TimelinePipeline pipeline = new TimelinePipeline(spark, warehouse, reference);
            Dataset<Row> inScope = tagged.filter(col(Outcome.COLUMN).equalTo(Outcome.TIMELINE));
            log.run("stage keys", () -> pipeline.stageKeys(inScope, keysTable));

            Dataset<Row> computed = TimelineFields.withProcessing(pipeline.computeTimeline(inScope, keysTable, windowStart, true),
                    type.value(), Timestamp.from(startedAt)).persist(StorageLevel.MEMORY_AND_DISK());
            timeline = computed;
            Instant maxEventTs = log.run("compute timeline", () -> readGuarded(() -> TimelinePipeline.summarize(computed, inScopeCount)),
                    s -> s.rows() + " rows").maxEventTimestamp();
            long unknown = log.run("count unknown locations", () -> pipeline.unknownLocations(inScope), n -> n + " rows");
            RunCounts counts = RunCounts.fromOutcomes(byOutcome, unknown);
            record.counts(counts).set("max_event_timestamp", maxEventTs);

            lakeBaseVersion = lake.version(TimelineLake.BASE_TABLE);
            lakeIncrementalVersion = lake.version(TimelineLake.INCREMENTAL_TABLE);
            log.run("write lake", () -> {
                lake.replaceBaseFrom(computed, windowStartDate);
                lake.deleteFrom(TimelineLake.INCREMENTAL_TABLE, windowStartDate);
            });
            RunPoints.reached(RunPoints.AFTER_LAKE_WRITE);

            log.run("stage warehouse rows", () -> {
                warehouse.staging().stage(computed, timelineTable, TimelineColumns.BASE);
                warehouse.staging().stage(TimelinePipeline.quarantineRows(tagged, runId, startedAt), quarantineTable, WarehouseTables.QUARANTINE_COLUMNS,
                        counts.quarantined());
            });

            RunPoints.reached(RunPoints.BEFORE_COMMIT);
            Instant checkpointAfter = log.run("commit", () -> warehouse.transactions().commitRun(runId, c -> {
                lease.assertHeld(c);
                Optional<Instant> before = warehouse.ledger().checkpoint(c);
                commitBase(c, windowStart, timelineTable, quarantineTable);
                Instant after = later(before.orElse(null), maxEventTs);
                Instant committedAt = clock.instant();
                warehouse.ledger().recordFiles(c, files.stream().map(RawFile::path).toList(), runId, type, committedAt);
                warehouse.ledger().setCheckpoint(c, after, type, runId, committedAt);
                record.set("checkpoint_before", before.orElse(null)).set("checkpoint_after", after)
                        .finish(RunRecord.SUCCEEDED, committedAt)
                        .figures(warehouse.ledger().missingEvents(c), settings.metrics().clusterCostPerHour());
                warehouse.ledger().insertRun(c, record);
                RunPoints.reached(RunPoints.IN_TRANSACTION);
                return after;
            }, () -> warehouse.ledger().checkpoint().orElse(null)), a -> "checkpoint " + a);
            LOG.debug("committed {} at checkpoint {}", runId, checkpointAfter);
            RunPoints.reached(RunPoints.AFTER_COMMIT);
        } catch (Exception e) { // SparkException is checked, though Scala code throws it undeclared
            RuntimeException failure = unchecked(e);
            recordFailure(record, failure, lake, lakeBaseVersion, lakeIncrementalVersion);
            throw failure;
        } finally {
            warehouse.staging().drop(keysTable, timelineTable, quarantineTable);
            if (classified != null) {
                classified.unpersist();
            }
            if (timeline != null) {
                timeline.unpersist();
            }
        }
        String viewNote = refreshView(log, request.rebuild());
        return new RunResult(record, lake.path(TimelineLake.BASE_TABLE), lake.version(TimelineLake.BASE_TABLE), viewNote);
    }

    /** Section 5 step 1 and 2, plus the quarantine rows; the caller's transaction wraps it. */
    private void commitBase(Connection c, Instant windowStart, String timelineTable, String quarantineTable) throws SQLException {
        Map<String, Object> values = Map.of("window_start", Timestamp.from(windowStart));
        for (WarehouseSql.Statement st : new WarehouseSql(warehouse.ddl()).baseCommit(timelineTable, quarantineTable)) {
            Transactions.run(c, st, values);
        }
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

    /** Runs a Spark action, turning a failure to read an input file into an {@link InputFileException}. */
    static <T> T readGuarded(java.util.function.Supplier<T> action) {
        try {
            return action.get();
        } catch (Exception e) {
            Optional<String> input = InputFileException.findIn(e);
            if (input.isPresent()) {
                throw InputFileException.wrapping(input.get(), e);
            }
            throw unchecked(e);
        }
    }

    /** Spark's checked exceptions, as unchecked ones (the cause chain is kept). */
    static RuntimeException unchecked(Exception e) {
        return e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
    }

    private String refreshView(StageLog log, boolean rebuild) {
        if (rebuild) {
            log.run("rebuild realtime view", () -> {
                warehouse.objects().dropRealtimeView();
                warehouse.objects().ensure();
            });
            return "rebuilt";
        }
        if (settings.warehouse().refreshView() == Settings.RefreshPolicy.NEVER) {
            return "not refreshed (warehouse.refresh-view = never)";
        }
        log.run("refresh realtime view", warehouse.view()::refresh);
        return warehouse.ddl().materializedView() ? "refreshed" : "(a plain view: always current)";
    }

    private void recordFailure(RunRecord record, RuntimeException e, TimelineLake lake, long baseVersion, long incrementalVersion) {
        try {
            if (baseVersion > -2) {
                lake.restore(TimelineLake.BASE_TABLE, baseVersion);
                lake.restore(TimelineLake.INCREMENTAL_TABLE, incrementalVersion);
            }
        } catch (RuntimeException restoreFailure) {
            LOG.warn("could not restore the lake after the failure: {}", restoreFailure.getMessage());
        }
        FailureAudit.write(warehouse, record, e, clock);
    }

    /** What a finished run reports. */
    public record RunResult(RunRecord record, String lakePath, long lakeVersion, String view) {}
}
