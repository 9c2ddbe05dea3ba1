package com.shipmenttimeline.jobs.run;

import static org.apache.spark.sql.functions.col;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.config.UsageException;
import com.shipmenttimeline.jobs.lake.TimelineLake;
import com.shipmenttimeline.jobs.source.RawEventSource;
import com.shipmenttimeline.jobs.source.RawFile;
import com.shipmenttimeline.jobs.source.ReferenceData;
import com.shipmenttimeline.jobs.warehouse.RunCounts;
import com.shipmenttimeline.jobs.warehouse.RunRecord;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import com.shipmenttimeline.jobs.warehouse.WarehouseLease;
import com.shipmenttimeline.schemas.ProcessType;
import com.shipmenttimeline.schemas.StoredStateSql;
import com.shipmenttimeline.schemas.TimelineColumns;
import com.shipmenttimeline.schemas.WarehouseSql;
import com.shipmenttimeline.schemas.WarehouseTables;
import com.shipmenttimeline.transforms.EventDedup;
import com.shipmenttimeline.transforms.EventOutcomes;
import com.shipmenttimeline.transforms.Outcome;
import com.shipmenttimeline.transforms.ShipmentState;
import com.shipmenttimeline.transforms.TimelineFields;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nightly base run (and the backfill, which is a base run with a window of its own), as
 * contract section 5 says: read the window's raw files, classify every row, continue each
 * shipment from its last stored row before the window start, write the Delta copy, and in ONE
 * warehouse transaction replace the window's base rows, delete the incremental rows the base now
 * covers, store the quarantine rows, set the checkpoint and write the audit row. A nightly run then
 * purges what is older than the retention ({@link RetentionPurge}), and refreshes the view.
 */
public final class DailyBaseJob extends TimelineJob {
    private static final Logger LOG = LoggerFactory.getLogger(DailyBaseJob.class);

    public DailyBaseJob(SparkSession spark, Settings settings, Warehouse warehouse, Clock clock) {
        super(spark, settings, warehouse, clock);
    }

    /** What a finished run reports. */
    public record RunResult(RunRecord record, String lakePath, long lakeVersion, String view) {}

    /** The window start of a base run: UTC midnight of as_of's date minus W days; a backfill's is its --from. */
    public static Instant windowStart(Instant asOf, int windowDays, Optional<LocalDate> backfillFrom) {
        LocalDate start = backfillFrom.orElseGet(() -> asOf.atZone(ZoneOffset.UTC).toLocalDate().minusDays(windowDays));
        return start.atStartOfDay(ZoneOffset.UTC).toInstant();
    }

    /** One base run's identity and window. */
    private record Window(ProcessType type, String runId, Instant startedAt, Instant asOf, Instant start) {
        LocalDate startDate() {
            return start.atZone(ZoneOffset.UTC).toLocalDate();
        }
    }

    /** The lake tables' versions before the run wrote them: a failed run puts them back. */
    private static final class LakeUndo {
        long base = -2;
        long incremental = -2;
        /** The run's lease while it holds one: a restore is a lake write, fenced like the others. */
        WarehouseLease lease;
    }

    public RunResult run(RunRequest request) {
        Window w = window(request);
        StageLog log = new StageLog(spark, w.runId());
        log.info("{} run: as_of {}, window from {} ({}), raw {}, lake {}, warehouse {}", w.type().value(), w.asOf(), w.start(),
                request.from().isPresent() ? "backfill" : settings.windowDays() + " days", settings.paths().raw(),
                settings.paths().lake(), warehouse.describe());
        RunRecord.Builder record = RunRecord.start(w.runId(), w.type(), w.startedAt()).asOf(w.asOf()).windowStart(w.start());
        TimelineLake lake = new TimelineLake(spark, settings.paths().lake());
        LakeUndo undo = new LakeUndo();
        refuseFutureAsOf(w.asOf());
        RunContext run = begin(log, w.runId());
        try {
            refuseUnreadStoredEvents(request, w);
        } catch (UsageException refused) {
            run.close();
            throw refused;
        }
        RunRecord committed;
        try (run; WarehouseLease lease = lease(w.runId(), w.type())) {
            committed = leased(run, lease, request, w, record, lake, undo);
            if (w.type() == ProcessType.DAILY_BASE) {
                RetentionPurge.run(run, w.runId(), lease, lake, w.asOf()); // its own transaction; a failure of it is logged, the commit stands
            }
        } catch (Exception e) { // SparkException is checked, though Scala code throws it undeclared
            RuntimeException failure = e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
            restoreLake(lake, undo, undo.lease);
            run.auditFailure(record, failure);
            throw failure;
        }
        String view = request.rebuild() ? rebuildView(log) : run.refreshView(EnumSet.of(Settings.RefreshPolicy.EVERY_RUN,
                Settings.RefreshPolicy.BASE_ONLY), false);
        return new RunResult(committed, lake.path(TimelineLake.BASE_TABLE), lake.version(TimelineLake.BASE_TABLE), view);
    }

    private Window window(RunRequest request) {
        ProcessType type = request.mode() == Mode.BACKFILL ? ProcessType.BACKFILL : ProcessType.DAILY_BASE;
        Instant startedAt = clock.instant();
        Instant asOf = request.asOf().orElse(startedAt);
        return new Window(type, RunIds.next(type.value(), startedAt), startedAt, asOf, windowStart(asOf, settings.windowDays(), request.from()));
    }

    /**
     * Contract section 5, "Nothing stored is lost": a base run replaces every stored row from its
     * window start on, and reads events up to {@code as_of} plus the future tolerance; a stored event
     * after that would be deleted unread. Refused before anything changes (read before the lease: an
     * incremental run that commits in between can only store events up to its own clock plus the
     * tolerance, which the first check bounds).
     */
    private void refuseUnreadStoredEvents(RunRequest request, Window w) {
        // A backfill with --to reads the folders up to that day only: its reach ends at its as_of, the end of --to.
        Instant reach = request.to().isPresent() ? w.asOf() : w.asOf().plus(settings.futureTolerance());
        Optional<Instant> newest = warehouse.ledger().newestTimelineEvent();
        if (newest.isEmpty() || !newest.get().isAfter(reach)) {
            return;
        }
        String given = request.to().isPresent() ? "--to " + request.to().get() + " ends before the stored timeline: it" : "as_of " + w.asOf();
        String instead = request.to().isPresent() ? "omit --to to compute again to the end"
                : "to compute again from " + w.startDate() + " to now run --mode backfill --from " + w.startDate();
        throw new UsageException(given + " would leave stored events after " + reach + " unread (the newest is " + newest.get()
                + "), and a base run deletes every stored row from its window start " + w.start() + " on: nothing was changed; " + instead);
    }

    /** Section 5's steps, under the lease: list, read and deduplicate, classify, compute, write the lake, stage, commit. */
    private RunRecord leased(RunContext run, WarehouseLease lease, RunRequest request, Window w, RunRecord.Builder record, TimelineLake lake,
            LakeUndo undo) {
        warehouse.staging().dropLeftovers();
        LakeRecovery.run(run, lease, lake);
        RawEventSource source = new RawEventSource(spark, settings.paths().raw(), warehouse.storageLimits(), settings.maxLineBytes());
        Intake intake = new Intake(spark, warehouse, source, settings.futureTolerance());
        intake.checkBackfillEnd(request.to(), w.asOf());
        RetentionPurge.checkBackfillFrom(settings, request.from(), w.asOf());
        try {
            List<RawFile> files = run.log.run("list raw files", () -> intake.baseFiles(w.startDate(), request.to()),
                    f -> f.size() + " files with ingest_date >= " + intake.firstFolderOf(w.startDate()) + request.to().map(t -> " and <= " + t).orElse(""));
            record.filesRead(files.size());
            // The wide rows are shuffled once, by shipment_id, and cached so; the few event_ids seen under
            // two shipments are settled from the cache and collected, and the outcomes derive from both.
            Dataset<Row> marked = run.cache(EventOutcomes.markedWithinShipments(intake.baseRead(files, w.start(), w.asOf().plus(settings.futureTolerance())),
                    w.asOf(), settings.futureTolerance()));
            Dataset<Row> winners = spark.createDataFrame(run.log.run("read and deduplicate",
                    () -> RunContext.readGuarded(() -> EventDedup.crossShipmentWinners(marked).collectAsList()),
                    l -> l.size() + " event ids under more than one shipment"), EventDedup.WINNERS_SCHEMA);
            Dataset<Row> tagged = EventOutcomes.forBase(marked, winners, w.start());
            TimelinePipeline pipeline = new TimelinePipeline(spark, warehouse, new ReferenceData(spark, settings.paths().raw()));
            TimelinePipeline.Outcomes outcomes = run.log.run("classify", () -> RunContext.readGuarded(() -> pipeline.countOutcomes(tagged)),
                    o -> o.byOutcome() + ", unknown locations " + o.unknownLocations());
            RunPoints.reached(RunPoints.AFTER_READ);
            Computed timeline = computeTimeline(run, pipeline, tagged, outcomes, w, record);
            writeLake(run, lease, lake, timeline.rows(), w, undo);
            WarehouseSql.BaseStaging staging = new WarehouseSql.BaseStaging(run.staging("timeline"), run.staging("quarantine"),
                    run.staging("state"), run.staging("orphans"));
            run.log.run("stage warehouse rows", () -> {
                warehouse.staging().stage(timeline.rows(), staging.timeline(), TimelineColumns.BASE);
                warehouse.staging().stage(TimelinePipeline.quarantineRows(tagged, w.runId(), w.startedAt(), warehouse.storageLimits()), staging.quarantine(),
                        WarehouseTables.QUARANTINE_COLUMNS, record.counts().quarantined());
                warehouse.staging().stage(timeline.newState(), staging.newState(), StoredStateSql.STATE_COLUMNS);
                warehouse.staging().createEmpty(staging.orphans(), StoredStateSql.SHIPMENT_COLUMNS);
            });
            WarehouseSql sql = new WarehouseSql(warehouse.ddl());
            if (sql.baseLoad() == WarehouseSql.BaseLoad.SWAP) {
                // Built now, outside the transaction, so that the commit swaps the table in without writing a row of it.
                run.log.run("index staged rows", () -> warehouse.staging().index(staging.timeline()));
            }
            List<WarehouseSql.Statement> statements = sql.baseCommit(staging, request.rebuild());
            RunContext.Committed done = run.commit("commit", new RunContext.CommitWork(w.type(), record, lease, files,
                    record.newestEvent(), statements, Map.of("window_start", Timestamp.from(w.start())), false), d -> "checkpoint " + d.checkpointAfter());
            LOG.debug("committed {} at checkpoint {}", w.runId(), done.checkpointAfter());
            return done.record().orElseThrow();
        } catch (RuntimeException e) {
            throw source.nameUnreadableParquet(e);
        }
    }

    /** A base run's computed rows, and the state of their shipments once they are stored. */
    private record Computed(Dataset<Row> rows, Dataset<Row> newState) {}

    /** The timeline of the in-scope events, each shipment continued from its last stored row before the window. */
    private Computed computeTimeline(RunContext run, TimelinePipeline pipeline, Dataset<Row> tagged, TimelinePipeline.Outcomes outcomes, Window w,
            RunRecord.Builder record) {
        long inScopeCount = outcomes.of(Outcome.TIMELINE);
        Dataset<Row> inScope = tagged.filter(col(Outcome.COLUMN).equalTo(Outcome.TIMELINE));
        String keysTable = run.staging("keys");
        run.log.run("stage keys", () -> pipeline.stageKeys(inScope, keysTable));
        // Read once: the timeline continues from it, and the new state keeps its first event times.
        Dataset<Row> state = run.cache(pipeline.stateBeforeWindow(keysTable, w.start()));
        Dataset<Row> computed = run.cache(TimelineFields.withProcessing(pipeline.computeTimeline(inScope, state, true),
                w.type().value(), Timestamp.from(w.startedAt())));
        Instant maxEventTs = run.log.run("compute timeline", () -> RunContext.readGuarded(() -> TimelinePipeline.summarize(computed, inScopeCount)),
                s -> s.rows() + " rows").maxEventTimestamp();
        record.counts(RunCounts.fromOutcomes(outcomes.byOutcome(), outcomes.unknownLocations()), maxEventTs);
        return new Computed(computed, ShipmentState.after(computed, state));
    }

    /** Replaces the window's partitions of the base table and clears the incremental table from the window start. */
    private void writeLake(RunContext run, WarehouseLease lease, TimelineLake lake, Dataset<Row> timeline, Window w, LakeUndo undo) {
        undo.base = lake.version(TimelineLake.BASE_TABLE);
        undo.incremental = lake.version(TimelineLake.INCREMENTAL_TABLE);
        undo.lease = lease;
        run.log.run("write lake", () -> {
            lease.check("write the lake");
            lake.writingAs(TimelineLake.BASE_RUN_TAG + w.runId(), () -> {
                lake.keepStatisticsOf(TimelineLake.BASE_TABLE);
                lake.keepStatisticsOf(TimelineLake.INCREMENTAL_TABLE);
                lake.replaceBaseFrom(timeline, w.startDate());
                lake.deleteFrom(TimelineLake.INCREMENTAL_TABLE, w.startDate());
            });
        });
        RunPoints.reached(RunPoints.AFTER_LAKE_WRITE);
    }

    private String rebuildView(StageLog log) {
        log.run("rebuild realtime view", warehouse.view()::rebuild);
        return "rebuilt";
    }

    /**
     * Puts the lake back after a failure, only while the run still holds the lease: a run that lost it
     * must not restore over the new holder's writes; the next run's start finds the lake ahead of the
     * warehouse and puts it back instead.
     */
    private static void restoreLake(TimelineLake lake, LakeUndo undo, WarehouseLease lease) {
        try {
            if (undo.base > -2) {
                lease.check("restore the lake after its failure");
                lake.restore(TimelineLake.BASE_TABLE, undo.base);
                lake.restore(TimelineLake.INCREMENTAL_TABLE, undo.incremental);
            }
        } catch (RuntimeException restoreFailure) {
            LOG.warn("could not restore the lake after the failure: {}", restoreFailure.getMessage());
        }
    }
}
