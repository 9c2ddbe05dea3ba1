package com.shipmenttimeline.jobs.run;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.lake.TimelineLake;
import com.shipmenttimeline.jobs.source.RawEventSource;
import com.shipmenttimeline.jobs.source.RawFile;
import com.shipmenttimeline.jobs.source.ReferenceData;
import com.shipmenttimeline.jobs.warehouse.RunCounts;
import com.shipmenttimeline.jobs.warehouse.RunRecord;
import com.shipmenttimeline.jobs.warehouse.Transactions;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import com.shipmenttimeline.jobs.warehouse.WarehouseLease;
import com.shipmenttimeline.schemas.ProcessType;
import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.schemas.StoredStateSql;
import com.shipmenttimeline.schemas.TimelineColumns;
import com.shipmenttimeline.schemas.WarehouseSql;
import com.shipmenttimeline.schemas.WarehouseTables;
import com.shipmenttimeline.transforms.EventOutcomes;
import com.shipmenttimeline.transforms.Outcome;
import com.shipmenttimeline.transforms.ShipmentState;
import com.shipmenttimeline.transforms.TimelineFields;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The incremental run (contract section 5): a Structured Streaming query over
 * {@code <raw>/shipment_events/} finds the files that arrived since the last batch, and each
 * micro-batch runs the base job's steps on just those files: classify (against the stored version
 * of each event: {@code already_processed} or a correction; {@code TOO_LATE} before the latest base
 * window), take each event in where it belongs in its shipment (appending where it is later than
 * everything stored, computing a shipment again from the window start where it is not), write the
 * Delta lake idempotently, and in ONE warehouse transaction replace the rows it rewrites, insert its
 * rows with their batch id and its quarantine rows, advance the checkpoint and write the batch's
 * audit row. The batch's key is the streaming query's id and the batch id, so a batch that Spark
 * runs again after a crash finds itself committed and changes nothing.
 */
public final class IncrementalJob extends TimelineJob {
    /** Spark sets this local property on the stream's thread to the query's id. */
    private static final String QUERY_ID_PROPERTY = "sql.streaming.queryId";
    /** The stream only discovers files: the binaryFile source with just the path column reads no content. */
    private static final StructType BINARY_FILE_SCHEMA = new StructType()
            .add("path", DataTypes.StringType)
            .add("modificationTime", DataTypes.TimestampType)
            .add("length", DataTypes.LongType)
            .add("content", DataTypes.BinaryType)
            .add("ingest_date", DataTypes.StringType);

    public IncrementalJob(SparkSession spark, Settings settings, Warehouse warehouse, Clock clock) {
        super(spark, settings, warehouse, clock);
    }

    /** What a run did: one record per committed batch (none when nothing new arrived). */
    public record RunResult(List<RunRecord> batches, int batchesAlreadyCommitted, String view) {}

    /** One batch's outcome: its record when this attempt committed it; whether an earlier attempt had. */
    record BatchResult(Optional<RunRecord> record, boolean alreadyCommitted) {}

    /** What the batches of one run share: its context, lease and reference time, and what they committed. */
    private final class Stream {
        final RunContext run;
        final WarehouseLease lease;
        final Instant asOf;
        final RawEventSource source = new RawEventSource(spark, settings.paths().raw(), warehouse.storageLimits(), settings.maxLineBytes());
        final Intake intake = new Intake(spark, warehouse, source, settings.futureTolerance());
        final List<RunRecord> committed = new ArrayList<>();
        int recovered;
        /** Read once for the query's batches, read again when its files change. */
        private ReferenceData reference;

        ReferenceData reference() {
            if (reference != null && reference.changed()) {
                run.log.info("reference data changed: read again");
                reference.release();
                reference = null;
            }
            if (reference == null) {
                reference = settings.incremental().processingTime().isPresent()
                        ? ReferenceData.inMemory(spark, settings.paths().raw()) : new ReferenceData(spark, settings.paths().raw());
            }
            return reference;
        }

        Stream(RunContext run, WarehouseLease lease, Instant asOf) {
            this.run = run;
            this.lease = lease;
            this.asOf = asOf;
        }

        void add(BatchResult r) {
            r.record().ifPresent(committed::add);
            if (r.alreadyCommitted()) {
                recovered++;
            }
        }
    }

    public RunResult run(RunRequest request) {
        Instant startedAt = clock.instant();
        Instant asOf = request.asOf().orElse(startedAt);
        refuseFutureAsOf(asOf);
        String runId = RunIds.next(ProcessType.INCREMENTAL.value(), startedAt);
        StageLog log = new StageLog(spark, runId);
        log.info("incremental run: as_of {}, raw {}, streaming checkpoint {}, warehouse {}", asOf, settings.paths().raw(),
                settings.paths().streamingCheckpoint(), warehouse.describe());
        RunContext run = begin(log, runId);
        Stream stream;
        try (run; WarehouseLease lease = lease(runId, ProcessType.INCREMENTAL)) {
            warehouse.staging().dropLeftovers();
            LakeRecovery.run(run, lease, new TimelineLake(spark, settings.paths().lake()));
            stream = new Stream(run, lease, asOf);
            if (request.replayFrom().isPresent()) {
                replay(stream, runId, request.replayFrom().get());
            }
            try {
                runStream(stream);
            } finally {
                if (stream.reference != null) {
                    stream.reference.release();
                }
            }
        }
        String view = run.refreshView(EnumSet.of(Settings.RefreshPolicy.EVERY_RUN), true);
        return new RunResult(stream.committed, stream.recovered, view);
    }

    /**
     * Replay (section 5): in one transaction, delete the incremental rows after T and set the
     * checkpoint to T, the one move backwards the contract allows; the lake follows. Then the files
     * from T's ingest date on are one batch.
     */
    private void replay(Stream s, String runId, Instant from) {
        s.intake.checkReplayFrom(from);
        String orphans = s.run.staging("orphans");
        s.run.log.run("replay: reset to " + from, () -> {
            warehouse.staging().createEmpty(orphans, StoredStateSql.SHIPMENT_COLUMNS);
            warehouse.transactions().inTransaction(c -> {
                s.lease.fence(c);
                Optional<Instant> before = warehouse.ledger().checkpoint(c);
                int deleted = 0;
                WarehouseSql sql = new WarehouseSql(warehouse.ddl());
                for (WarehouseSql.Statement st : sql.replayReset(orphans)) {
                    int n = Transactions.run(c, st, Map.of("replay_from", Timestamp.from(from)));
                    deleted += st.equals(sql.replayDelete()) ? n : 0;
                }
                Instant now = clock.instant();
                warehouse.ledger().setCheckpoint(c, from, ProcessType.INCREMENTAL, runId, now);
                warehouse.ledger().insertRun(c, RunRecord.start(runId + "-replay-reset", ProcessType.INCREMENTAL, now).asOf(from)
                        .checkpoints(before.orElse(null), from).note("replay from " + from + ": deleted " + deleted + " incremental rows")
                        .finish(RunRecord.SUCCEEDED, now, null));
                return deleted;
            });
            s.lease.check("delete the lake's incremental rows after " + from);
            TimelineLake lake = new TimelineLake(spark, settings.paths().lake());
            lake.writingAs(TimelineLake.INCREMENTAL_RUN_TAG + runId, () -> lake.deleteIncrementalAfter(from));
        });
        // The shipments that lost rows are computed again even where no file brings their events back.
        Set<String> lostRows = new TreeSet<>();
        for (Row r : warehouse.staging().query(spark, "SELECT shipment_id FROM " + warehouse.ddl().qualified(orphans)).collectAsList()) {
            lostRows.add(r.getString(0));
        }
        s.add(processBatch(s, runId, "replay-" + runId, s.intake.replayFiles(from), lostRows));
    }

    /**
     * Runs the streaming query over the arrival folders that can still bring anything
     * ({@link Intake#firstOpenFolder}), so that its listing does not grow with history. The run
     * holds the lease while its query runs, so no base run moves that folder meanwhile.
     */
    private void runStream(Stream s) {
        s.source.checkFolders();
        awaitStream(startStream(s, s.intake.firstOpenFolder()));
    }

    private StreamingQuery startStream(Stream s, Optional<LocalDate> from) {
        Settings.IncrementalSettings inc = settings.incremental();
        Path root = eventsRoot(s.source);
        Dataset<Row> discovered = spark.readStream().format("binaryFile").schema(BINARY_FILE_SCHEMA)
                .option("maxFilesPerTrigger", Integer.toString(inc.maxFilesPerTrigger()))
                .option("maxFileAge", inc.maxFileAge().toSeconds() + "s")
                .option("basePath", root.toString())
                .load(from.map(s.source::foldersFrom).orElse(root.toString()))
                .select(col("path"));
        VoidFunction2<Dataset<Row>, Long> perBatch = (batch, batchId) -> onBatch(s, batch, batchId);
        DataStreamWriter<Row> writer = discovered.writeStream()
                .queryName("shipment-timeline-incremental")
                .option("checkpointLocation", settings.paths().streamingCheckpoint())
                .foreachBatch(perBatch);
        writer = inc.processingTime().isPresent()
                ? writer.trigger(Trigger.ProcessingTime(inc.processingTime().get().toMillis()))
                : writer.trigger(Trigger.AvailableNow());
        try {
            return writer.start();
        } catch (TimeoutException e) {
            throw new IllegalStateException("the streaming query did not start", e);
        }
    }

    /** The folder the stream watches, created when missing (a stream cannot start on a missing folder). */
    private Path eventsRoot(RawEventSource source) {
        Path root = source.eventsRoot();
        try {
            root.getFileSystem(spark.sparkContext().hadoopConfiguration()).mkdirs(root);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + root, e);
        }
        return root;
    }

    /** One micro-batch of offered files: what is new among them is read, then committed, exactly once. */
    private void onBatch(Stream s, Dataset<Row> batch, long batchId) {
        String queryId = spark.sparkContext().getLocalProperty(QUERY_ID_PROPERTY);
        List<String> offered = new ArrayList<>();
        for (Row f : batch.collectAsList()) {
            offered.add(f.getString(0));
        }
        Intake.BatchFiles found = s.intake.batchFiles(offered);
        Intake.warnMissing(batchId, found.missing());
        if (found.passedOver() > 0) {
            s.run.log.info("batch {}: {} of {} files passed over: read by an earlier run, or before the latest base window", batchId,
                    found.passedOver(), offered.size());
        }
        s.add(processBatch(s, batchRunId(queryId, batchId), queryId + ":" + batchId, found.files(), Set.of()));
        if (settings.incremental().processingTime().isPresent()) {
            // a long-running query never reaches the end-of-run refresh
            s.run.refreshView(EnumSet.of(Settings.RefreshPolicy.EVERY_RUN), true);
        }
    }

    private static void awaitStream(StreamingQuery query) {
        try {
            query.awaitTermination();
        } catch (StreamingQueryException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(Settings.oneLine(cause.getMessage()), cause);
        }
    }

    /** A batch's audit-row id: stable across re-runs of the same batch of the same query. */
    static String batchRunId(String queryId, long batchId) {
        return "inc-" + queryId.substring(0, 8) + "-" + batchId;
    }

    /**
     * One batch, exactly once: a batch whose audit row is committed already changes nothing.
     *
     * @param runId the batch's audit-row id
     * @param batchKey what identifies the batch in the lake and in {@code incremental_batch_id}
     */
    private BatchResult processBatch(Stream s, String runId, String batchKey, List<RawFile> files, Set<String> alsoTouched) {
        if (s.intake.committed(runId)) {
            s.run.log.info("batch {} was committed before; nothing to do", runId);
            return new BatchResult(Optional.empty(), true);
        }
        if (files.isEmpty() && alsoTouched.isEmpty()) {
            return new BatchResult(Optional.empty(), false);
        }
        Instant startedAt = clock.instant();
        String batchUuid = batchUuid(batchKey);
        RunRecord.Builder record = RunRecord.start(runId, ProcessType.INCREMENTAL, startedAt).asOf(s.asOf).batchId(batchUuid)
                .filesRead(files.size());
        RunContext batch = s.run.forBatch(runId);
        s.source.forgetReads();
        com.shipmenttimeline.jobs.warehouse.RoundTrips.Counts trips = warehouse.roundTrips().now();
        long connections = warehouse.connectionsMade();
        try (batch; SmallBatch small = new SmallBatch(spark)) {
            BatchResult done = takeIn(s, batch, small, batchKey, files, record, startedAt, alsoTouched);
            batch.log.info("batch {}: warehouse {}, {} new connection(s)", runId, warehouse.roundTrips().now().since(trips),
                    warehouse.connectionsMade() - connections);
            return done;
        } catch (Exception e) { // SparkException is checked, though Scala code throws it undeclared
            RuntimeException failure = s.source.nameUnreadableParquet(RunContext.asRunFailure(e));
            batch.auditFailure(RunRecord.start(runId + "-failed-" + Long.toHexString(clock.millis()), ProcessType.INCREMENTAL, startedAt)
                    .asOf(s.asOf).batchId(batchUuid), failure);
            throw failure;
        }
    }

    /**
     * Section 5 for one batch: read, classify (against the stored version of each event), compute
     * each shipment's rows where the batch's events fall among its stored ones, write the lake,
     * stage, commit.
     *
     * @param alsoTouched shipments to compute again from their stored rows even without a new event (a replay's)
     */
    private BatchResult takeIn(Stream s, RunContext batch, SmallBatch small, String batchKey, List<RawFile> files, RunRecord.Builder record,
            Instant startedAt, Set<String> alsoTouched) {
        String runId = record.runId();
        Optional<Instant> windowStart = s.intake.latestWindowStart();
        Dataset<Row> read = batch.cache(s.source.read(files, windowStart.orElse(null), s.asOf.plus(settings.futureTolerance())));
        // The batch's (shipment_id, event_id) keys serve both look-ups: the stored version of each event, and the stored
        // state of the shipments. Keys of rows that end up quarantined or duplicate only add state rows no in-scope event joins.
        BatchLookups lookups = batch.log.run("batch " + runId + ": look up keys", () -> RunContext.readGuarded(() -> BatchLookups.of(batch,
                read.filter(col(RawEvents.EVENT_ID).isNotNull().and(col(RawEvents.SHIPMENT_ID).isNotNull()).and(functions.not(col(RawEvents.MALFORMED)))),
                "keys")), l -> l.listed() ? l.size() + " keys, listed" : "staged");
        boolean smallBatch = small.tune(lookups);
        Dataset<Row> tagged = batch.cache(EventOutcomes.forIncremental(read, s.asOf, settings.futureTolerance(), windowStart.orElse(null),
                lookups.storedVersions(EventOutcomes.STORED_VERSION_COLUMNS)));
        TimelinePipeline pipeline = new TimelinePipeline(spark, warehouse, s.reference());
        Dataset<Row> state = lookups.state();
        Set<String> touched = new TreeSet<>(alsoTouched);
        TimelinePipeline.Outcomes outcomes;
        if (lookups.listed()) {
            // A small batch: one job, the rest on the driver.
            BatchSummary summary = batch.log.run("batch " + runId + ": classify", () -> BatchSummary.of(tagged, s.reference().locationIds(),
                    lookups.stateRows()), o -> o.outcomes().byOutcome() + ", unknown locations " + o.outcomes().unknownLocations() + ", "
                    + o.touched().size() + " shipment(s) taken in out of order");
            outcomes = summary.outcomes();
            touched.addAll(summary.touched());
            RunPoints.reached(RunPoints.AFTER_READ);
        } else {
            outcomes = batch.log.run("batch " + runId + ": classify", () -> pipeline.countOutcomes(tagged),
                    o -> o.byOutcome() + ", unknown locations " + o.unknownLocations());
            RunPoints.reached(RunPoints.AFTER_READ);
            touched.addAll(batch.log.run("batch " + runId + ": find shipments taken in out of order", () -> touchedShipments(tagged, state),
                    t -> t.size() + " shipment(s)"));
        }
        Computed c = touched.isEmpty()
                ? appended(batch, pipeline, tagged, state, smallBatch ? Optional.of(lookups.shipmentIds()) : Optional.empty(), outcomes,
                        batchKey, record, startedAt)
                : rewritten(batch, pipeline, tagged, state, touched, windowStart.orElse(Instant.EPOCH), outcomes, batchKey, record, startedAt);
        s.lease.check("write batch " + runId + " to the lake");
        Commit commit = besideTheLakeWrite(batch, runId, batchKey, c, () -> stageRows(batch, tagged, c, touched, record, startedAt));
        RunPoints.reached(RunPoints.AFTER_LAKE_WRITE);
        RunCounts counts = record.counts();
        RunContext.Committed done = batch.commit("batch " + runId + ": commit", new RunContext.CommitWork(ProcessType.INCREMENTAL, record,
                s.lease, files, record.newestEvent(), commit.statements(), commit.values(), true),
                d -> d.byThisAttempt() ? "committed: " + counts : "already committed by an earlier attempt");
        return new BatchResult(done.record(), !done.byThisAttempt());
    }

    /**
     * Writes the batch's rows to the lake on a thread of its own while {@code staging} stages them in
     * the warehouse on this one, and returns when both are done. The two writes read the same cached
     * rows and share nothing else: the lake's time goes mostly to Delta's log, the staging's to JDBC
     * round trips, so together they cost about the longer of the two instead of the sum. Section 5's
     * order holds: the warehouse commit, after this, still comes after the lake's commit, and a
     * failure of either fails the batch (after both have stopped) before anything is committed.
     */
    private Commit besideTheLakeWrite(RunContext batch, String runId, String batchKey, Computed c, java.util.function.Supplier<Commit> staging) {
        TimelineLake lake = new TimelineLake(spark, settings.paths().lake());
        // A thread started from this one inherits its active Spark session and a copy of its local properties.
        java.util.concurrent.FutureTask<Void> lakeWrite = new java.util.concurrent.FutureTask<>(() -> {
            batch.log.run("batch " + runId + ": write lake", () -> lake.writingAs(TimelineLake.INCREMENTAL_RUN_TAG + runId, () -> {
                lake.deleteEvents(c.replacedIds(), batchUuid(batchKey));
                lake.appendIncremental(c.rows(), c.rowCount(), batchAppId(batchKey), batchVersion(batchKey));
            }));
            return null;
        });
        Thread writer = new Thread(lakeWrite, "lake-write-" + runId);
        writer.setDaemon(true);
        writer.start();
        Commit commit;
        try {
            commit = staging.get();
        } catch (RuntimeException | Error e) {
            try {
                awaitLakeWrite(lakeWrite);
            } catch (RuntimeException lakeFailure) {
                e.addSuppressed(lakeFailure);
            }
            throw e;
        }
        awaitLakeWrite(lakeWrite);
        return commit;
    }

    private static void awaitLakeWrite(java.util.concurrent.FutureTask<Void> lakeWrite) {
        try {
            lakeWrite.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while the lake write ran", e);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw RunContext.asRunFailure((Exception) cause); // SparkException: checked, thrown undeclared
        }
    }

    /**
     * What a batch writes: its rows (new events, and stored events computed again), how many, and the
     * event ids whose stored rows it replaces or takes out of the timeline.
     */
    private record Computed(Dataset<Row> rows, long rowCount, List<String> replacedIds) {}

    /**
     * The shipments the batch does not simply append to: one of its events is not later than the
     * shipment's latest stored row, or corrects a stored event (both the shipment the event is in now
     * and the one it was stored under), or wins against a stored version and is too late, which takes
     * the stored row out. Few, and collected: the rest of the batch takes the cheap path.
     */
    private static Set<String> touchedShipments(Dataset<Row> tagged, Dataset<Row> state) {
        Dataset<Row> inScope = tagged.filter(col(Outcome.COLUMN).equalTo(Outcome.TIMELINE));
        Dataset<Row> first = inScope.groupBy(col(RawEvents.SHIPMENT_ID).as("_sid"))
                .agg(functions.min(functions.struct(col(RawEvents.EVENT_TIMESTAMP).as("ts"), col(RawEvents.EVENT_ID).as("id"))).as("_first"));
        Column lastTs = col(ShipmentState.LAST_EVENT_TIMESTAMP);
        Dataset<Row> behind = first.join(state, first.col("_sid").equalTo(state.col(ShipmentState.SHIPMENT_ID)))
                .filter(col("_first.ts").lt(lastTs).or(col("_first.ts").equalTo(lastTs).and(col("_first.id").lt(col(ShipmentState.LAST_EVENT_ID)))))
                .select(col("_sid"));
        Column replaces = col(EventOutcomes.SUPERSEDES).isNotNull();
        Dataset<Row> corrected = tagged.filter(replaces).select(col(EventOutcomes.SUPERSEDES).as("_sid"))
                .union(tagged.filter(replaces.and(col(Outcome.COLUMN).equalTo(Outcome.TIMELINE))).select(col(RawEvents.SHIPMENT_ID).as("_sid")));
        Set<String> out = new TreeSet<>();
        for (Row r : behind.union(corrected).distinct().collectAsList()) {
            out.add(r.getString(0));
        }
        return out;
    }

    /** The common case: every shipment of the batch continues from its state row, read by key. */
    private Computed appended(RunContext batch, TimelinePipeline pipeline, Dataset<Row> tagged, Dataset<Row> state,
            Optional<List<String>> shipmentIds, TimelinePipeline.Outcomes outcomes, String batchKey, RunRecord.Builder record, Instant startedAt) {
        Dataset<Row> inScope = tagged.filter(col(Outcome.COLUMN).equalTo(Outcome.TIMELINE));
        Dataset<Row> computed = shipmentIds.isPresent() ? pipeline.computeTimeline(inScope, state, shipmentIds.get())
                : pipeline.computeTimeline(inScope, state, false);
        Dataset<Row> timeline = batch.cache(TimelineFields.withIncrementalProcessing(computed,
                batchUuid(batchKey), Timestamp.from(startedAt)));
        long inScopeCount = outcomes.of(Outcome.TIMELINE);
        Instant maxTs = batch.log.run("batch " + record.runId() + ": compute timeline", () -> TimelinePipeline.summarize(timeline, inScopeCount),
                st -> st.rows() + " rows").maxEventTimestamp();
        record.counts(RunCounts.fromOutcomes(outcomes.byOutcome(), outcomes.unknownLocations()), maxTs);
        return new Computed(timeline, inScopeCount, List.of());
    }

    /**
     * A batch that takes events into the middle of shipments: those shipments are computed again from
     * the latest base window start, exactly as a base run with that window would compute them (their
     * last stored row before it, their stored rows in it, the batch's events), and the stored rows
     * whose fields change are written again with the batch's; the others continue from their state row.
     */
    private Computed rewritten(RunContext batch, TimelinePipeline pipeline, Dataset<Row> tagged, Dataset<Row> state, Set<String> touched,
            Instant windowStart, TimelinePipeline.Outcomes outcomes, String batchKey, RunRecord.Builder record, Instant startedAt) {
        String runId = record.runId();
        Dataset<Row> inScope = tagged.filter(col(Outcome.COLUMN).equalTo(Outcome.TIMELINE));
        Column isTouched = col(RawEvents.SHIPMENT_ID).isin(touched.toArray());
        // The keys of the touched shipments: their events in the batch, the stored events the batch replaces or takes
        // out (under the shipment they were stored in), and for every touched shipment one key with a blank id,
        // which no stored event has (validation quarantines blank ids), so that one that lost a row to a replay is there too.
        Dataset<Row> touchedKeys = inScope.filter(isTouched).select(col(RawEvents.SHIPMENT_ID), col(RawEvents.EVENT_ID))
                .union(tagged.filter(col(EventOutcomes.SUPERSEDES).isNotNull())
                        .select(col(EventOutcomes.SUPERSEDES).as(RawEvents.SHIPMENT_ID), col(RawEvents.EVENT_ID)))
                .union(spark.createDataFrame(touched.stream().map(id -> org.apache.spark.sql.RowFactory.create(id, " ")).toList(),
                        inScope.select(col(RawEvents.SHIPMENT_ID), col(RawEvents.EVENT_ID)).schema()));
        BatchLookups touchedLookups = batch.log.run("batch " + runId + ": look up keys of shipments taken in out of order",
                () -> BatchLookups.ofTouched(batch, touchedKeys), l -> l.listed() ? l.size() + " keys, listed" : "staged");
        List<String> storedColumns = List.of(TimelineColumns.names(TimelineColumns.COMPUTED));
        Touched read = batch.log.run("batch " + runId + ": read stored rows of shipments taken in out of order", () -> new Touched(
                touchedLookups.stateBefore(windowStart), touchedLookups.storedRowsFrom(windowStart, storedColumns)), r -> "ok");
        Dataset<Row> anchors = read.anchors();
        Dataset<Row> stored = read.stored();
        Column[] eventColumns = java.util.stream.Stream.of(RawEvents.EVENT_ID, RawEvents.SHIPMENT_ID, RawEvents.EVENT_TIMESTAMP,
                RawEvents.EVENT_TYPE, RawEvents.STATUS, RawEvents.LOCATION_ID, RawEvents.INGESTED_AT).map(functions::col).toArray(Column[]::new);
        Dataset<Row> events = inScope.select(eventColumns).unionByName(stored.select(eventColumns));
        Dataset<Row> states = state.filter(functions.not(col(ShipmentState.SHIPMENT_ID).isin(touched.toArray())))
                .select(STATE_COLUMNS).unionByName(anchors.select(STATE_COLUMNS));
        Dataset<Row> computed = batch.cache(pipeline.computeTimeline(events, states, false));
        long storedCount = stored.count();
        Instant maxTs = batch.log.run("batch " + runId + ": compute timeline", () -> TimelinePipeline.summarize(computed,
                outcomes.of(Outcome.TIMELINE) + storedCount), st -> st.rows() + " rows, " + storedCount + " of them stored already").maxEventTimestamp();
        // A stored row is written again only when one of its fields changes.
        Column same = functions.lit(true);
        Dataset<Row> before = stored.select(storedColumns.stream().map(n -> col(n).as("_was_" + n)).toArray(Column[]::new));
        for (String n : storedColumns) {
            same = same.and(col(n).eqNullSafe(col("_was_" + n)));
        }
        Dataset<Row> joined = computed.join(before, computed.col(RawEvents.EVENT_ID).equalTo(col("_was_" + RawEvents.EVENT_ID)), "left");
        Column wasStored = col("_was_" + RawEvents.EVENT_ID).isNotNull();
        Dataset<Row> changed = batch.cache(joined.filter(functions.not(wasStored.and(same)))
                .withColumn("_rewritten", wasStored).drop(before.columns()));
        List<String> replaced = new ArrayList<>();
        long rewritten = 0;
        for (Row r : changed.filter(col("_rewritten")).select(col(RawEvents.EVENT_ID)).collectAsList()) {
            replaced.add(r.getString(0));
            rewritten++;
        }
        for (Row r : tagged.filter(col(EventOutcomes.SUPERSEDES).isNotNull()).select(col(RawEvents.EVENT_ID)).distinct().collectAsList()) {
            replaced.add(r.getString(0));
        }
        long written = outcomes.of(Outcome.TIMELINE) + rewritten;
        record.counts(RunCounts.fromOutcomes(outcomes.byOutcome(), outcomes.unknownLocations()).withRewritten(rewritten), maxTs);
        batch.log.info("batch {}: {} shipment(s) taken in out of order, {} stored row(s) rewritten, {} replaced or taken out", runId,
                touched.size(), rewritten, replaced.size());
        Dataset<Row> rows = TimelineFields.withIncrementalProcessing(changed.drop("_rewritten"), batchUuid(batchKey), Timestamp.from(startedAt));
        return new Computed(rows, written, List.copyOf(replaced));
    }

    /** Touched shipments' last stored rows before the window start, and their stored rows from it. */
    private record Touched(Dataset<Row> anchors, Dataset<Row> stored) {}

    private static String batchUuid(String batchKey) {
        return UUID.nameUUIDFromBytes(batchKey.getBytes(StandardCharsets.UTF_8)).toString();
    }

    /**
     * Stages the batch's timeline rows and its quarantine rows (when it has any): two bulk loads at
     * most. Returns the statements that move them into place, and the lists they bind (the event ids
     * whose stored rows go, the shipments whose state is recomputed).
     */
    private Commit stageRows(RunContext batch, Dataset<Row> tagged, Computed c, Set<String> touched, RunRecord.Builder record, Instant startedAt) {
        String runId = record.runId();
        RunCounts counts = record.counts();
        WarehouseSql.IncrementalStaging staging = new WarehouseSql.IncrementalStaging(batch.staging("timeline"),
                counts.quarantined() > 0 ? Optional.of(batch.staging("quarantine")) : Optional.empty(), !c.replacedIds().isEmpty(), !touched.isEmpty());
        batch.log.run("batch " + runId + ": stage warehouse rows", () -> {
            warehouse.staging().stage(c.rows(), staging.timeline(), TimelineColumns.INCREMENTAL, c.rowCount());
            staging.quarantine().ifPresent(q -> warehouse.staging().stage(TimelinePipeline.quarantineRows(tagged, runId, startedAt,
                    warehouse.storageLimits()), q, WarehouseTables.QUARANTINE_COLUMNS, counts.quarantined()));
        });
        return new Commit(new WarehouseSql(warehouse.ddl()).incrementalCommit(staging), Map.of(WarehouseSql.REPLACED_IDS,
                List.copyOf(new java.util.LinkedHashSet<>(c.replacedIds())), StoredStateSql.TOUCHED_SHIPMENTS, List.copyOf(touched)));
    }

    /** A batch's commit statements and the lists they bind. */
    private record Commit(List<WarehouseSql.Statement> statements, Map<String, Object> values) {}

    private static final Column[] STATE_COLUMNS = java.util.Arrays.stream(ShipmentState.SCHEMA.fieldNames()).map(functions::col)
            .toArray(Column[]::new);

    /** Delta's idempotent-write key: the streaming query id (or replay run id) and the batch number. */
    static String batchAppId(String batchKey) {
        int colon = batchKey.lastIndexOf(':');
        return colon < 0 ? batchKey : batchKey.substring(0, colon);
    }

    static long batchVersion(String batchKey) {
        int colon = batchKey.lastIndexOf(':');
        return colon < 0 ? 0 : Long.parseLong(batchKey.substring(colon + 1));
    }
}
