package com.shipmenttimeline.jobs.warehouse;


import com.shipmenttimeline.schemas.WarehouseTables;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/** One {@code processing_runs} row: a run's id, type, window, section 2 counts, timings and status. */
public final class RunRecord {
    public static final String SUCCEEDED = "succeeded";
    public static final String FAILED = "failed";
    public static final String SKIPPED = "skipped";

    private final Map<String, Object> values = new LinkedHashMap<>();

    public RunRecord(String runId, String processType, Instant startedAt) {
        values.put("run_id", runId);
        values.put("process_type", processType);
        values.put("started_at", startedAt);
    }

    public RunRecord set(String column, Object value) {
        if (WarehouseTables.RUN_COLUMNS.stream().noneMatch(c -> c.name().equals(column))) {
            throw new IllegalArgumentException("processing_runs has no column " + column);
        }
        values.put(column, value);
        return this;
    }

    public RunRecord counts(RunCounts counts) {
        counts.byColumn().forEach(this::set);
        return this;
    }

    public Object get(String column) {
        return values.get(column);
    }

    public String runId() {
        return (String) values.get("run_id");
    }

    /** Marks the run finished with a status; the duration is measured from {@code started_at}. */
    public RunRecord finish(String status, Instant finishedAt) {
        set("status", status);
        set("finished_at", finishedAt);
        set("duration_seconds", (finishedAt.toEpochMilli() - ((Instant) values.get("started_at")).toEpochMilli()) / 1000.0);
        return this;
    }

    /**
     * The run's metrics from its counts and timings: processing lag (finish minus the newest event
     * in the timeline, the checkpoint), throughput (rows read a minute), error rate (quarantined
     * over read), the warehouse's missing events, and the estimated cost (duration times the
     * cluster's hourly cost). Call after {@link #finish}.
     */
    public RunRecord figures(long missingEvents, double clusterCostPerHour) {
        double seconds = (Double) values.get("duration_seconds");
        long read = number("rows_read");
        Instant checkpoint = (Instant) values.get("checkpoint_after");
        Instant finished = (Instant) values.get("finished_at");
        if (checkpoint != null && finished != null) {
            set("processing_lag_seconds", Math.max(0, finished.toEpochMilli() - checkpoint.toEpochMilli()) / 1000.0);
        }
        set("throughput_per_minute", seconds > 0 ? read * 60.0 / seconds : 0.0);
        set("error_rate", read > 0 ? (double) number("quarantined") / read : 0.0);
        set("missing_events", missingEvents);
        set("estimated_cost_usd", seconds / 3600.0 * clusterCostPerHour);
        return this;
    }

    public long number(String column) {
        Object v = values.get(column);
        return v instanceof Number n ? n.longValue() : 0L;
    }
}
