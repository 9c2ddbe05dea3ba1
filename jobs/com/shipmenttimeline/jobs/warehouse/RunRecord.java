package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.schemas.ProcessType;
import com.shipmenttimeline.schemas.QuarantineReason;
import com.shipmenttimeline.schemas.RunColumns;
import com.shipmenttimeline.schemas.WarehouseTables;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code processing_runs} row: a run's id, type, window, section 2 counts, timings, status and
 * figures. A run fills a {@link Builder} as it goes and finishes it into this immutable value; the
 * ledger writes {@link #columns()}, whose keys are {@link WarehouseTables#RUN_COLUMNS}, in order.
 *
 * @param filesRead null until the run has listed its files
 * @param counts null until the run has classified its rows
 * @param figures null for a run that did not commit
 */
public record RunRecord(String runId, ProcessType processType, String status, Instant asOf, Instant windowStart, String batchId,
        Instant startedAt, Instant finishedAt, double durationSeconds, Long filesRead, RunCounts counts, Instant checkpointBefore,
        Instant checkpointAfter, Instant maxEventTimestamp, String errorMessage, Figures figures) {

    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";
    public static final String SKIPPED = "skipped";

    /**
     * The run's metrics from its counts and timings: processing lag (finish minus the newest event in
     * the timeline, the checkpoint; null without a checkpoint), throughput (rows read a minute), error
     * rate (quarantined over read), the warehouse's missing events, the estimated cost (duration
     * times the cluster's hourly cost) and that cost per row read (null when none was read), and
     * what Spark measured of the run's tasks (null when not measured).
     */
    public record Figures(Double processingLagSeconds, double throughputPerMinute, double errorRate, long missingEvents,
            double estimatedCostUsd, Double costPerEventUsd, SparkFigures spark) {}

    /** What Spark measured of a run's tasks: executor CPU time, the largest task's peak execution memory, shuffle bytes written. */
    public record SparkFigures(double executorCpuSeconds, long peakTaskMemoryBytes, long shuffleWriteBytes) {}

    public static Builder start(String runId, ProcessType processType, Instant startedAt) {
        return new Builder(runId, processType, startedAt);
    }

    public boolean succeeded() {
        return SUCCEEDED.equals(status);
    }

    /** The row by column name, every column of {@code processing_runs} in table order (nulls included). */
    public Map<String, Object> columns() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(RunColumns.RUN_ID, runId);
        m.put(RunColumns.PROCESS_TYPE, processType.value());
        m.put(RunColumns.STATUS, status);
        m.put(RunColumns.AS_OF, asOf);
        m.put(RunColumns.WINDOW_START, windowStart);
        m.put(RunColumns.BATCH_ID, batchId);
        m.put(RunColumns.STARTED_AT, startedAt);
        m.put(RunColumns.FINISHED_AT, finishedAt);
        m.put(RunColumns.DURATION_SECONDS, durationSeconds);
        m.put(RunColumns.FILES_READ, filesRead);
        for (String c : WarehouseTables.COUNT_COLUMNS) {
            m.put(c, counts == null ? null : counts.byColumn().get(c));
        }
        m.put(RunColumns.CHECKPOINT_BEFORE, checkpointBefore);
        m.put(RunColumns.CHECKPOINT_AFTER, checkpointAfter);
        m.put(RunColumns.MAX_EVENT_TIMESTAMP, maxEventTimestamp);
        m.put(RunColumns.ERROR_MESSAGE, errorMessage);
        m.put(RunColumns.PROCESSING_LAG_SECONDS, figures == null ? null : figures.processingLagSeconds());
        m.put(RunColumns.THROUGHPUT_PER_MINUTE, figures == null ? null : figures.throughputPerMinute());
        m.put(RunColumns.ERROR_RATE, figures == null ? null : figures.errorRate());
        m.put(RunColumns.MISSING_EVENTS, figures == null ? null : figures.missingEvents());
        m.put(RunColumns.ESTIMATED_COST_USD, figures == null ? null : figures.estimatedCostUsd());
        m.put(RunColumns.COST_PER_EVENT_USD, figures == null ? null : figures.costPerEventUsd());
        SparkFigures sf = figures == null ? null : figures.spark();
        m.put(RunColumns.SPARK_CPU_SECONDS, sf == null ? null : sf.executorCpuSeconds());
        m.put(RunColumns.SPARK_PEAK_TASK_MEMORY_BYTES, sf == null ? null : sf.peakTaskMemoryBytes());
        m.put(RunColumns.SPARK_SHUFFLE_WRITE_BYTES, sf == null ? null : sf.shuffleWriteBytes());
        return m;
    }

    /** The count of one quarantine reason (0 before the run classified its rows). */
    public long quarantined(QuarantineReason reason) {
        return counts == null ? 0 : counts.quarantinedByReason().getOrDefault(reason, 0L);
    }

    /** A run's record while it runs: each step sets what it learnt. */
    public static final class Builder {
        private final String runId;
        private final ProcessType processType;
        private final Instant startedAt;
        private Instant asOf;
        private Instant windowStart;
        private String batchId;
        private Long filesRead;
        private RunCounts counts;
        private Instant checkpointBefore;
        private Instant checkpointAfter;
        private Instant maxEventTimestamp;
        private String note;
        private SparkFigures spark;

        private Builder(String runId, ProcessType processType, Instant startedAt) {
            this.runId = runId;
            this.processType = processType;
            this.startedAt = startedAt;
        }

        public String runId() {
            return runId;
        }

        /** The run's counts, once it has classified its rows (else null). */
        public RunCounts counts() {
            return counts;
        }

        /** The newest event the run takes into the timeline, once computed (null for none). */
        public Instant newestEvent() {
            return maxEventTimestamp;
        }

        public Builder asOf(Instant value) {
            asOf = value;
            return this;
        }

        public Builder windowStart(Instant value) {
            windowStart = value;
            return this;
        }

        public Builder batchId(String value) {
            batchId = value;
            return this;
        }

        public Builder filesRead(long value) {
            filesRead = value;
            return this;
        }

        public Builder counts(RunCounts value, Instant newestEvent) {
            counts = value;
            maxEventTimestamp = newestEvent;
            return this;
        }

        public Builder checkpoints(Instant before, Instant after) {
            checkpointBefore = before;
            checkpointAfter = after;
            return this;
        }

        /** What Spark measured of the run's tasks, set just before the commit. */
        public Builder spark(SparkFigures value) {
            spark = value;
            return this;
        }

        /** A line for {@code error_message} on a run that succeeded (what a replay reset deleted). */
        public Builder note(String value) {
            note = value;
            return this;
        }

        /** Finished without figures: a failure (its message), or a bookkeeping run such as a replay reset. */
        public RunRecord finish(String status, Instant finishedAt, String errorMessage) {
            return build(status, finishedAt, errorMessage != null ? errorMessage : note, null);
        }

        /** Succeeded, with its figures (see {@link Figures}). */
        public RunRecord succeeded(Instant finishedAt, long missingEvents, double clusterCostPerHour) {
            double seconds = seconds(finishedAt);
            long read = counts == null ? 0 : counts.read();
            long quarantined = counts == null ? 0 : counts.quarantined();
            Double lag = checkpointAfter == null ? null : Math.max(0, finishedAt.toEpochMilli() - checkpointAfter.toEpochMilli()) / 1000.0;
            double cost = seconds / 3600.0 * clusterCostPerHour;
            Figures f = new Figures(lag, seconds > 0 ? read * 60.0 / seconds : 0.0, read > 0 ? (double) quarantined / read : 0.0,
                    missingEvents, cost, read > 0 ? cost / read : null, spark);
            return build(SUCCEEDED, finishedAt, note, f);
        }

        private RunRecord build(String status, Instant finishedAt, String message, Figures f) {
            return new RunRecord(runId, processType, status, asOf, windowStart, batchId, startedAt, finishedAt, seconds(finishedAt), filesRead,
                    counts, checkpointBefore, checkpointAfter, maxEventTimestamp, message, f);
        }

        private double seconds(Instant finishedAt) {
            return (finishedAt.toEpochMilli() - startedAt.toEpochMilli()) / 1000.0;
        }
    }
}
