package com.shipmenttimeline.schemas;

/**
 * The column names of {@code processing_runs}, one constant each; {@link WarehouseTables#RUN_COLUMNS}
 * lists them in table order with their kinds, and the jobs' typed run record maps its fields to them.
 */
public final class RunColumns {
    private RunColumns() {}

    public static final String RUN_ID = "run_id";
    public static final String PROCESS_TYPE = "process_type";
    public static final String STATUS = "status";
    public static final String AS_OF = "as_of";
    public static final String WINDOW_START = "window_start";
    public static final String BATCH_ID = "batch_id";
    public static final String STARTED_AT = "started_at";
    public static final String FINISHED_AT = "finished_at";
    public static final String DURATION_SECONDS = "duration_seconds";
    public static final String FILES_READ = "files_read";
    public static final String ROWS_READ = "rows_read";
    public static final String TIMELINE_ROWS = "timeline_rows";
    public static final String QUARANTINED = "quarantined";
    public static final String DUPLICATES = "duplicates";
    public static final String ALREADY_PROCESSED = "already_processed";
    public static final String LATE = "late";
    /** Stored rows of other events whose fields a run changed (an event arrived before them); not part of the sum. */
    public static final String REWRITTEN = "rewritten";
    public static final String UNKNOWN_LOCATION = "unknown_location";
    public static final String CHECKPOINT_BEFORE = "checkpoint_before";
    public static final String CHECKPOINT_AFTER = "checkpoint_after";
    public static final String MAX_EVENT_TIMESTAMP = "max_event_timestamp";
    public static final String ERROR_MESSAGE = "error_message";
    public static final String PROCESSING_LAG_SECONDS = "processing_lag_seconds";
    public static final String THROUGHPUT_PER_MINUTE = "throughput_per_minute";
    public static final String ERROR_RATE = "error_rate";
    public static final String MISSING_EVENTS = "missing_events";
    public static final String ESTIMATED_COST_USD = "estimated_cost_usd";
    public static final String COST_PER_EVENT_USD = "cost_per_event_usd";
    /** What Spark measured of the run's tasks: CPU time, the largest task's peak execution memory, bytes shuffled. */
    public static final String SPARK_CPU_SECONDS = "spark_executor_cpu_seconds";
    public static final String SPARK_PEAK_TASK_MEMORY_BYTES = "spark_peak_task_memory_bytes";
    public static final String SPARK_SHUFFLE_WRITE_BYTES = "spark_shuffle_write_bytes";
}
