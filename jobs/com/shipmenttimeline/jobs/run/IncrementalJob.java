package com.shipmenttimeline.jobs.run;

import com.shipmenttimeline.jobs.config.Settings;
import com.shipmenttimeline.jobs.lake.TimelineLake;
import com.shipmenttimeline.jobs.source.InputFileException;
import com.shipmenttimeline.jobs.source.RawEventSource;
import com.shipmenttimeline.jobs.source.RawFile;
import com.shipmenttimeline.jobs.source.ReferenceData;
import com.shipmenttimeline.jobs.warehouse.RunCounts;
import com.shipmenttimeline.jobs.warehouse.RunRecord;
import com.shipmenttimeline.jobs.warehouse.Transactions;
import com.shipmenttimeline.jobs.warehouse.Warehouse;
import com.shipmenttimeline.jobs.warehouse.WarehouseException;
import com.shipmenttimeline.jobs.warehouse.WarehouseLease;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import com.shipmenttimeline.schemas.StoredStateSql;
import com.shipmenttimeline.schemas.ProcessType;
import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.schemas.TimelineColumns;
import com.shipmenttimeline.schemas.WarehouseSql;
import com.shipmenttimeline.schemas.WarehouseTables;
import com.shipmenttimeline.transforms.EventOutcomes;
import com.shipmenttimeline.transforms.Outcome;
import com.shipmenttimeline.transforms.TimelineFields;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeoutException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.VoidFunction2;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.streaming.StreamingQuery;
import org.apache.spark.sql.streaming.StreamingQueryException;
import org.apache.spark.sql.streaming.Trigger;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The incremental run (TIMELINE-SPEC section 5): a Structured Streaming query over
 * {@code <raw>/shipment_events/} finds the files that arrived since the last batch, and each
 * micro-batch runs the base job's steps on just those files: classify (with the
 * {@code already_processed} and {@code late} tests), continue each shipment from its latest stored
 * row, append to the Delta lake idempotently, and in ONE warehouse transaction insert the rows with
 * their batch id, the late events and the quarantine rows, advance the checkpoint and write the
 * batch's audit row. The batch's key is the streaming query's id and the batch id, so a batch that
 * Spark runs again after a crash finds itself committed and changes nothing.
 */
public final class IncrementalJob {
    private static final Logger LOG = LoggerFactory.getLogger(IncrementalJob.class);
    /** Spark sets this local property on the stream's thread to the query's id. */
    private static final String QUERY_ID_PROPERTY = "sql.streaming.queryId";

    private final SparkSession spark;
    private final Settings settings;
    private final Warehouse warehouse;
    private final Clock clock;

    public IncrementalJob(SparkSession spark, Settings settings, Warehouse warehouse, Clock clock) {
        this.spark = spark;
        this.settings = settings;
        this.warehouse = warehouse;
        this.clock = clock;
    }

    /** What a run did: one record per committed batch (none when nothing new arrived). */
    public record RunResult(List<RunRecord> batches, int batchesAlreadyCommitted, String view) {}

    public RunResult run(RunRequest request) {
        Instant startedAt = clock.instant();
        Instant asOf = request.asOf().orElse(startedAt);
        String runId = RunIds.next(ProcessType.INCREMENTAL.value(), startedAt);
        StageLog log = new StageLog(spark, runId);
        log.info("incremental run: as_of {}, raw {}, streaming checkpoint {}, warehouse {}", asOf, settings.paths().raw(),
                settings.paths().streamingCheckpoint(), warehouse.describe());
        log.run("warehouse objects", warehouse.objects()::ensure);
        List<RunRecord> committed = new ArrayList<>();
        int[] recovered = {0};
        try (WarehouseLease lease = WarehouseLease.acquire(warehouse, runId, ProcessType.INCREMENTAL.value(),
                settings.warehouse().leaseTtl(), settings.warehouse().leaseWait(), clock)) {
            warehouse.staging().dropLeftovers();
            if (request.replayFrom().isPresent()) {
                Instant from = request.replayFrom().get();
                replayReset(log, runId, from, lease);
                RawEventSource source = new RawEventSource(spark, settings.paths().raw());
                List<RawFile> files = source.listFrom(from.atZone(ZoneOffset.UTC).toLocalDate());
                BatchResult r = processBatch(log, runId, "replay-" + runId, files, asOf, lease);
                r.record().ifPresent(committed::add);
            }
            StreamingQuery query = startStream(log, runId, asOf, lease, committed, recovered);
            awaitStream(query);
        }
        String view = refreshIfPending(log);
        return new RunResult(committed, recovered[0], view);
    }


    private StreamingQuery startStream(StageLog log, String runId, Instant asOf, WarehouseLease lease, List<RunRecord> committed,
            int[] recovered) {
        RawEventSource source = new RawEventSource(spark, settings.paths().raw());
        Path root = source.eventsRoot();
        try {
            FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
            fs.mkdirs(root);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot create " + root, e);
        }
        Settings.IncrementalSettings inc = settings.incremental();
        // The stream only discovers files: the binaryFile source with just the path column reads no content.
        org.apache.spark.sql.types.StructType binaryFileSchema = new org.apache.spark.sql.types.StructType()
                .add("path", org.apache.spark.sql.types.DataTypes.StringType)
                .add("modificationTime", org.apache.spark.sql.types.DataTypes.TimestampType)
                .add("length", org.apache.spark.sql.types.DataTypes.LongType)
                .add("content", org.apache.spark.sql.types.DataTypes.BinaryType)
                .add("ingest_date", org.apache.spark.sql.types.DataTypes.StringType);
        Dataset<Row> discovered = spark.readStream().format("binaryFile").schema(binaryFileSchema)
                .option("maxFilesPerTrigger", Integer.toString(inc.maxFilesPerTrigger()))
                .option("maxFileAge", inc.maxFileAge().toSeconds() + "s")
                .load(root.toString())
                .select(col("path"));
        VoidFunction2<Dataset<Row>, Long> perBatch = (batch, batchId) -> {
            String queryId = spark.sparkContext().getLocalProperty(QUERY_ID_PROPERTY);
            // Passed over: files a committed run has read already (a fresh stream offers every file
            // there is), and files in arrival folders before the latest base window (history it froze).
            List<String> offered = new ArrayList<>();
            for (Row f : batch.collectAsList()) {
                offered.add(f.getString(0));
            }
            java.util.Set<String> readBefore = warehouse.ledger().readBefore(offered);
            Optional<LocalDate> frozenBefore = warehouse.ledger().lastBaseWindowStart().map(w -> w.atZone(ZoneOffset.UTC).toLocalDate());
            List<RawFile> files = new ArrayList<>();
            int skipped = 0;
            RawEventSource.Offered found = source.classify(offered);
            if (!found.missing().isEmpty()) {
                LOG.warn("batch {}: {} offered file(s) are no longer there and are skipped (moved or deleted since the stream listed them): {}",
                        batchId, found.missing().size(), found.missing());
            }
            for (RawFile f : found.files()) {
                if (readBefore.contains(RawFile.canonical(f.path())) || frozenBefore.map(f.ingestDate()::isBefore).orElse(false)) {
                    skipped++;
                } else {
                    files.add(f);
                }
            }
            if (skipped > 0) {
                log.info("batch {}: {} of {} files passed over: read by an earlier run, or before the latest base window", batchId,
                        skipped, offered.size());
            }
            BatchResult r = processBatch(log, batchRunId(queryId, batchId), queryId + ":" + batchId, files, asOf, lease);
            r.record().ifPresent(committed::add);
            if (r.alreadyCommitted()) {
                recovered[0]++;
            }
            if (inc.processingTime().isPresent()) {
                refreshIfPending(log); // a long-running query never reaches the end-of-run refresh
            }
        };
        var writer = discovered.writeStream()
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

    record BatchResult(Optional<RunRecord> record, boolean alreadyCommitted) {}

    /**
     * One batch, exactly once: a batch whose audit row is committed already changes nothing.
     *
     * @param runId the batch's audit-row id
     * @param batchKey what identifies the batch in the lake and in {@code incremental_batch_id}
     */
    BatchResult processBatch(StageLog log, String runId, String batchKey, List<RawFile> files, Instant asOf, WarehouseLease lease) {
        if (warehouse.ledger().runSucceeded(runId)) {
            log.info("batch {} was committed before; nothing to do", runId);
            return new BatchResult(Optional.empty(), true);
        }
        if (files.isEmpty()) {
            return new BatchResult(Optional.empty(), false);
        }
        Instant startedAt = clock.instant();
        String batchUuid = UUID.nameUUIDFromBytes(batchKey.getBytes(StandardCharsets.UTF_8)).toString();
        RunRecord record = new RunRecord(runId, ProcessType.INCREMENTAL.value(), startedAt).set("as_of", asOf).set("batch_id", batchUuid)
                .set("files_read", (long) files.size());
        String keysTable = RunIds.staging(runId, "keys");
        String timelineTable = RunIds.staging(runId, "timeline");
        String lateTable = RunIds.staging(runId, "late");
        String quarantineTable = RunIds.staging(runId, "quarantine");
        List<Dataset<Row>> cached = new ArrayList<>();
        TimelineLake lake = new TimelineLake(spark, settings.paths().lake());
        try {
            RawEventSource source = new RawEventSource(spark, settings.paths().raw());
            TimelinePipeline pipeline = new TimelinePipeline(spark, warehouse, new ReferenceData(spark, settings.paths().raw()));
            Optional<Instant> checkpoint = warehouse.ledger().checkpoint();
            record.set("checkpoint_before", checkpoint.orElse(null));

            Dataset<Row> read = source.read(files, null, asOf.plus(settings.futureTolerance())).persist(StorageLevel.MEMORY_AND_DISK());
            cached.add(read);
            // One staging of the batch's (shipment_id, event_id) keys serves both look-ups: which events the
            // timeline holds already, and the stored state of the shipments. Keys of rows that end up
            // quarantined, duplicate or late only add state rows that no in-scope event joins.
            log.run("batch " + runId + ": stage keys", () -> DailyBaseJob.readGuarded(() -> {
                warehouse.staging().stage(read.filter(col(RawEvents.EVENT_ID).isNotNull().and(col(RawEvents.SHIPMENT_ID).isNotNull()))
                        .select(col(RawEvents.SHIPMENT_ID), col(RawEvents.EVENT_ID)).distinct(), keysTable, StoredStateSql.KEY_COLUMNS);
                return null;
            }), r -> "ok");
            Dataset<Row> tagged = EventOutcomes.forIncremental(read, asOf, settings.futureTolerance(), checkpoint.orElse(null),
                    pipeline.storedEventIds(keysTable)).persist(StorageLevel.MEMORY_AND_DISK());
            cached.add(tagged);
            Map<String, Long> byOutcome = log.run("batch " + runId + ": classify", () -> TimelinePipeline.countByOutcome(tagged), Object::toString);
            RunPoints.reached(RunPoints.AFTER_READ);

            Dataset<Row> inScope = tagged.filter(col(Outcome.COLUMN).equalTo(Outcome.TIMELINE));
            Timestamp processedAt = Timestamp.from(startedAt);
            Dataset<Row> timeline = TimelineFields.withIncrementalProcessing(pipeline.computeTimeline(inScope, keysTable, null, false),
                    batchUuid, processedAt).persist(StorageLevel.MEMORY_AND_DISK());
            cached.add(timeline);
            long inScopeCount = byOutcome.getOrDefault(Outcome.TIMELINE, 0L);
            Instant maxTs = log.run("batch " + runId + ": compute timeline", () -> TimelinePipeline.summarize(timeline, inScopeCount),
                    s -> s.rows() + " rows").maxEventTimestamp();
            RunCounts counts = RunCounts.fromOutcomes(byOutcome, pipeline.unknownLocations(inScope));
            record.counts(counts).set("max_event_timestamp", maxTs);

            log.run("batch " + runId + ": write lake", () -> lake.appendIncremental(timeline, inScopeCount, batchAppId(batchKey), batchVersion(batchKey)));
            RunPoints.reached(RunPoints.AFTER_LAKE_WRITE);

            log.run("batch " + runId + ": stage warehouse rows", () -> {
                warehouse.staging().stage(timeline, timelineTable, TimelineColumns.INCREMENTAL);
                warehouse.staging().stage(lateRows(tagged, runId, startedAt), lateTable, WarehouseTables.LATE_EVENT_COLUMNS, counts.late());
                warehouse.staging().stage(TimelinePipeline.quarantineRows(tagged, runId, startedAt), quarantineTable, WarehouseTables.QUARANTINE_COLUMNS,
                        counts.quarantined());
            });
            RunPoints.reached(RunPoints.BEFORE_COMMIT);
            boolean didCommit = log.run("batch " + runId + ": commit", () -> warehouse.transactions().commitRun(runId, c -> {
                lease.assertHeld(c);
                if (warehouse.ledger().runSucceeded(c, runId)) {
                    return false;
                }
                commitBatch(c, timelineTable, lateTable, quarantineTable);
                Optional<Instant> before = warehouse.ledger().checkpoint(c);
                Instant after = DailyBaseJob.later(before.orElse(null), maxTs);
                Instant now = clock.instant();
                warehouse.ledger().recordFiles(c, files.stream().map(RawFile::path).toList(), runId, ProcessType.INCREMENTAL, now);
                warehouse.ledger().setCheckpoint(c, after, ProcessType.INCREMENTAL, runId, now);
                record.set("checkpoint_before", before.orElse(null)).set("checkpoint_after", after)
                        .finish(RunRecord.SUCCEEDED, now)
                        .figures(warehouse.ledger().missingEvents(c), settings.metrics().clusterCostPerHour());
                warehouse.ledger().insertRun(c, record);
                RunPoints.reached(RunPoints.IN_TRANSACTION);
                return true;
            }, () -> true), b -> b ? "committed: " + counts : "already committed by an earlier attempt");
            RunPoints.reached(RunPoints.AFTER_COMMIT);
            return new BatchResult(didCommit ? Optional.of(record) : Optional.empty(), !didCommit);
        } catch (Exception e) { // SparkException is checked, though Scala code throws it undeclared
            RuntimeException failure = DailyBaseJob.unchecked(e);
            Optional<String> input = InputFileException.findIn(e);
            if (input.isPresent() && !(e instanceof InputFileException)) {
                failure = InputFileException.wrapping(input.get(), e);
            }
            RunRecord failed = new RunRecord(runId + "-failed-" + Long.toHexString(clock.millis()), ProcessType.INCREMENTAL.value(), startedAt)
                    .set("as_of", asOf).set("batch_id", batchUuid);
            FailureAudit.write(warehouse, failed, failure, clock);
            throw failure;
        } finally {
            warehouse.staging().drop(keysTable, timelineTable, lateTable, quarantineTable);
            cached.forEach(Dataset::unpersist);
        }
    }

    private void commitBatch(Connection c, String timelineTable, String lateTable, String quarantineTable) throws SQLException {
        for (WarehouseSql.Statement st : new WarehouseSql(warehouse.ddl()).incrementalCommit(timelineTable, lateTable, quarantineTable)) {
            Transactions.run(c, st, Map.of());
        }
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

    /**
     * Replay (section 5): in one transaction, delete the incremental rows after T and set the
     * checkpoint to T, the one move backwards the contract allows; the lake follows.
     */
    private void replayReset(StageLog log, String runId, Instant from, WarehouseLease lease) {
        log.run("replay: reset to " + from, () -> {
            warehouse.transactions().inTransaction(c -> {
                lease.assertHeld(c);
                Optional<Instant> before = warehouse.ledger().checkpoint(c);
                int deleted = Transactions.run(c, new WarehouseSql(warehouse.ddl()).replayDelete(), Map.of("replay_from", Timestamp.from(from)));
                Instant now = clock.instant();
                warehouse.ledger().setCheckpoint(c, from, ProcessType.INCREMENTAL, runId, now);
                RunRecord reset = new RunRecord(runId + "-replay-reset", ProcessType.INCREMENTAL.value(), now).set("as_of", from)
                        .set("checkpoint_before", before.orElse(null)).set("checkpoint_after", from)
                        .set("error_message", "replay from " + from + ": deleted " + deleted + " incremental rows")
                        .finish(RunRecord.SUCCEEDED, now);
                warehouse.ledger().insertRun(c, reset);
                return deleted;
            });
            new TimelineLake(spark, settings.paths().lake()).deleteIncrementalAfter(from);
        });
    }

    /** Refreshes the view when a commit has not been followed by a refresh yet (also after a crash in between). */
    private String refreshIfPending(StageLog log) {
        if (settings.warehouse().refreshView() != Settings.RefreshPolicy.EVERY_RUN) {
            return "not refreshed (warehouse.refresh-view = " + settings.warehouse().refreshView().name().toLowerCase(java.util.Locale.ROOT)
                    .replace('_', '-') + ")";
        }
        if (!warehouse.view().refreshPending()) {
            return "up to date";
        }
        log.run("refresh realtime view", warehouse.view()::refresh);
        return warehouse.ddl().materializedView() ? "refreshed" : "(a plain view: always current)";
    }
}
