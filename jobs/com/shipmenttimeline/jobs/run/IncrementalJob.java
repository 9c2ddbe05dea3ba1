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
import com.shipmenttimeline.transforms.TimelineFields;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.DataStreamWriter;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The incremental run (contract section 5): a Structured Streaming query over
 * {@code <raw>/shipment_events/} finds the files that arrived since the last batch, and each
 * micro-batch runs the base job's steps on just those files: classify (with the
 * {@code already_processed} and {@code late} tests), continue each shipment from its latest stored
 * row, append to the Delta lake idempotently, and in ONE warehouse transaction insert the rows with
 * their batch id, the late events and the quarantine rows, advance the checkpoint and write the
 * batch's audit row. The batch's key is the streaming query's id and the batch id, so a batch that
 * Spark runs again after a crash finds itself committed and changes nothing.
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
        final RawEventSource source = new RawEventSource(spark, settings.paths().raw());
        final Intake intake = new Intake(spark, warehouse, source);
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
        String runId = RunIds.next(ProcessType.INCREMENTAL.value(), startedAt);
        StageLog log = new StageLog(spark, runId);
        log.info("incremental run: as_of {}, raw {}, streaming checkpoint {}, warehouse {}", asOf, settings.paths().raw(),
                settings.paths().streamingCheckpoint(), warehouse.describe());
        RunContext run = begin(log, runId);
        Stream stream;
        try (run; WarehouseLease lease = lease(runId, ProcessType.INCREMENTAL)) {
            warehouse.staging().dropLeftovers();
            stream = new Stream(run, lease, asOf);
            if (request.replayFrom().isPresent()) {
                replay(stream, runId, request.replayFrom().get());
            }
            try {
                awaitStream(startStream(stream));
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
                s.lease.assertHeld(c);
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
            new TimelineLake(spark, settings.paths().lake()).deleteIncrementalAfter(from);
        });
        s.add(processBatch(s, runId, "replay-" + runId, s.intake.replayFiles(from)));
    }

    private StreamingQuery startStream(Stream s) {
        Settings.IncrementalSettings inc = settings.incremental();
        Dataset<Row> discovered = spark.readStream().format("binaryFile").schema(BINARY_FILE_SCHEMA)
                .option("maxFilesPerTrigger", Integer.toString(inc.maxFilesPerTrigger()))
                .option("maxFileAge", inc.maxFileAge().toSeconds() + "s")
                .load(eventsRoot(s.source).toString())
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
        s.add(processBatch(s, batchRunId(queryId, batchId), queryId + ":" + batchId, found.files()));
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
    private BatchResult processBatch(Stream s, String runId, String batchKey, List<RawFile> files) {
        if (s.intake.committed(runId)) {
            s.run.log.info("batch {} was committed before; nothing to do", runId);
            return new BatchResult(Optional.empty(), true);
        }
        if (files.isEmpty()) {
            return new BatchResult(Optional.empty(), false);
        }
        Instant startedAt = clock.instant();
        String batchUuid = UUID.nameUUIDFromBytes(batchKey.getBytes(StandardCharsets.UTF_8)).toString();
        RunRecord.Builder record = RunRecord.start(runId, ProcessType.INCREMENTAL, startedAt).asOf(s.asOf).batchId(batchUuid)
                .filesRead(files.size());
        RunContext batch = s.run.forBatch(runId);
        try (batch) {
            return takeIn(s, batch, batchKey, files, record, startedAt);
        } catch (Exception e) { // SparkException is checked, though Scala code throws it undeclared
            RuntimeException failure = RunContext.asRunFailure(e);
            batch.auditFailure(RunRecord.start(runId + "-failed-" + Long.toHexString(clock.millis()), ProcessType.INCREMENTAL, startedAt)
                    .asOf(s.asOf).batchId(batchUuid), failure);
            throw failure;
        }
    }

    /** Section 5 for one batch: read, classify, compute, write the lake, stage, commit. */
    private BatchResult takeIn(Stream s, RunContext batch, String batchKey, List<RawFile> files, RunRecord.Builder record, Instant startedAt) {
        String runId = record.runId();
        String keysTable = batch.staging("keys");
        Optional<Instant> checkpoint = s.intake.checkpoint();
        Dataset<Row> read = batch.cache(s.source.read(files, null, s.asOf.plus(settings.futureTolerance())));
        // One staging of the batch's (shipment_id, event_id) keys serves both look-ups: which events the
        // timeline holds already, and the stored state of the shipments. Keys of rows that end up
        // quarantined, duplicate or late only add state rows that no in-scope event joins.
        batch.log.run("batch " + runId + ": stage keys", () -> RunContext.readGuarded(() -> {
            warehouse.staging().stage(read.filter(col(RawEvents.EVENT_ID).isNotNull().and(col(RawEvents.SHIPMENT_ID).isNotNull()))
                    .select(col(RawEvents.SHIPMENT_ID), col(RawEvents.EVENT_ID)).distinct(), keysTable, StoredStateSql.KEY_COLUMNS);
            return null;
        }), r -> "ok");
        Dataset<Row> tagged = batch.cache(EventOutcomes.forIncremental(read, s.asOf, settings.futureTolerance(), checkpoint.orElse(null),
                s.intake.storedEventIds(keysTable)));
        TimelinePipeline pipeline = new TimelinePipeline(spark, warehouse, s.reference());
        TimelinePipeline.Outcomes outcomes = batch.log.run("batch " + runId + ": classify", () -> pipeline.countOutcomes(tagged),
                o -> o.byOutcome() + ", unknown locations " + o.unknownLocations());
        RunPoints.reached(RunPoints.AFTER_READ);
        Dataset<Row> timeline = computeTimeline(batch, pipeline, tagged, outcomes, keysTable, batchKey, record, startedAt);
        long rows = outcomes.of(Outcome.TIMELINE);
        batch.log.run("batch " + runId + ": write lake", () -> new TimelineLake(spark, settings.paths().lake())
                .appendIncremental(timeline, rows, batchAppId(batchKey), batchVersion(batchKey)));
        RunPoints.reached(RunPoints.AFTER_LAKE_WRITE);
        List<WarehouseSql.Statement> statements = stageRows(batch, tagged, timeline, record, startedAt);
        RunCounts counts = record.counts();
        RunContext.Committed done = batch.commit("batch " + runId + ": commit", new RunContext.CommitWork(ProcessType.INCREMENTAL, record,
                s.lease, files, record.newestEvent(), statements, Map.of(), true),
                d -> d.byThisAttempt() ? "committed: " + counts : "already committed by an earlier attempt");
        return new BatchResult(done.record(), !done.byThisAttempt());
    }

    /** The batch's timeline rows, each shipment continued from its state row, read by key. */
    private Dataset<Row> computeTimeline(RunContext batch, TimelinePipeline pipeline, Dataset<Row> tagged, TimelinePipeline.Outcomes outcomes,
            String keysTable, String batchKey, RunRecord.Builder record, Instant startedAt) {
        Dataset<Row> inScope = tagged.filter(col(Outcome.COLUMN).equalTo(Outcome.TIMELINE));
        String batchUuid = UUID.nameUUIDFromBytes(batchKey.getBytes(StandardCharsets.UTF_8)).toString();
        Dataset<Row> timeline = batch.cache(TimelineFields.withIncrementalProcessing(pipeline.computeTimeline(inScope,
                        pipeline.stateOfBatch(keysTable), false),
                batchUuid, Timestamp.from(startedAt)));
        long inScopeCount = outcomes.of(Outcome.TIMELINE);
        Instant maxTs = batch.log.run("batch " + record.runId() + ": compute timeline", () -> TimelinePipeline.summarize(timeline, inScopeCount),
                st -> st.rows() + " rows").maxEventTimestamp();
        record.counts(RunCounts.fromOutcomes(outcomes.byOutcome(), outcomes.unknownLocations()), maxTs);
        return timeline;
    }

    /** Stages the batch's timeline, late and quarantine rows; returns the statements that move them into place. */
    private List<WarehouseSql.Statement> stageRows(RunContext batch, Dataset<Row> tagged, Dataset<Row> timeline, RunRecord.Builder record,
            Instant startedAt) {
        String runId = record.runId();
        String timelineTable = batch.staging("timeline");
        String lateTable = batch.staging("late");
        String quarantineTable = batch.staging("quarantine");
        String stateTable = batch.staging("state");
        RunCounts counts = record.counts();
        batch.log.run("batch " + runId + ": stage warehouse rows", () -> {
            warehouse.staging().stage(timeline, timelineTable, TimelineColumns.INCREMENTAL, counts.timeline());
            warehouse.staging().stage(lateRows(tagged, runId, startedAt), lateTable, WarehouseTables.LATE_EVENT_COLUMNS, counts.late());
            warehouse.staging().stage(TimelinePipeline.quarantineRows(tagged, runId, startedAt), quarantineTable,
                    WarehouseTables.QUARANTINE_COLUMNS, counts.quarantined());
            warehouse.staging().createEmpty(stateTable, StoredStateSql.STATE_COLUMNS);
        });
        return new WarehouseSql(warehouse.ddl()).incrementalCommit(timelineTable, lateTable, quarantineTable, stateTable);
    }

    private static Dataset<Row> lateRows(Dataset<Row> tagged, String runId, Instant at) {
        return tagged.filter(col(Outcome.COLUMN).equalTo(Outcome.LATE)).select(
                col(RawEvents.EVENT_ID), col(RawEvents.SHIPMENT_ID), col(RawEvents.EVENT_TIMESTAMP), col(RawEvents.EVENT_TYPE),
                col(RawEvents.STATUS), col(RawEvents.LOCATION_ID), col(RawEvents.INGESTED_AT),
                col(RawEvents.SOURCE_FILE).as("source_file"), lit(runId).as("run_id"), lit(Timestamp.from(at)).as("recorded_at"));
    }

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
