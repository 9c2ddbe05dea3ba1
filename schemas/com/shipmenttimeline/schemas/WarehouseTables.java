package com.shipmenttimeline.schemas;

import static com.shipmenttimeline.schemas.ColumnKind.BIGINT;
import static com.shipmenttimeline.schemas.ColumnKind.DOUBLE;
import static com.shipmenttimeline.schemas.ColumnKind.ID;
import static com.shipmenttimeline.schemas.ColumnKind.TEXT;
import static com.shipmenttimeline.schemas.ColumnKind.TIMESTAMP;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Names and columns of the warehouse objects of contract section 6, plus the project's own. */
public final class WarehouseTables {
    private WarehouseTables() {}

    public static final String CHECKPOINTS = "processing_checkpoints";
    public static final String BASE = "shipment_timeline_base";
    /**
     * PostgreSQL only: the base table is a parent that holds no rows of its own, and these two
     * inherit it. The window table holds the last base run's rows exactly and is swapped whole by
     * the next one; the history table holds the older rows (docs/decisions/0004-base-swap.md).
     */
    public static final String BASE_HISTORY = "shipment_timeline_base_history";
    public static final String BASE_WINDOW = "shipment_timeline_base_window";
    public static final String INCREMENTAL = "shipment_timeline_incremental";
    /** One row per shipment: what continuing it needs ({@link StoredStateSql}). */
    public static final String STATE = "shipment_timeline_state";
    /**
     * One row per shipment some of whose rows retention purged: the last purged row and the time of
     * the first purged event, in the state table's columns. With it, a shipment continues after its
     * old rows are gone exactly as it would with them ({@link StoredStateSql}, docs/decisions/0005-retention-summaries.md).
     */
    public static final String PURGED = "shipment_timeline_purged";
    public static final String REALTIME_VIEW = "shipment_timeline_realtime";
    public static final String RUNS = "processing_runs";
    public static final String QUARANTINE = "quarantined_events";
    public static final String LATE_EVENTS = "late_events";
    public static final String LEASE = "timeline_lease";
    public static final String PROCESSED_FILES = "processed_files";

    /** The one row of {@link #CHECKPOINTS} that the timeline uses. */
    public static final String CHECKPOINT_ID = "shipment_timeline";

    public static final List<TableColumn> CHECKPOINT_COLUMNS = List.of(
            TableColumn.required("checkpoint_id", ID),
            TableColumn.of("last_processed_timestamp", TIMESTAMP),
            TableColumn.of("last_update_time", TIMESTAMP),
            TableColumn.of("process_type", ID),
            TableColumn.of("status", ID),
            TableColumn.of("last_run_id", ID));

    /** Section 2 counts, one column each; the quarantine total is split by reason too. */
    public static final List<String> COUNT_COLUMNS = countColumns();

    public static final List<TableColumn> RUN_COLUMNS = runColumns();

    public static final List<TableColumn> QUARANTINE_COLUMNS = List.of(
            TableColumn.required("run_id", ID),
            TableColumn.required("reason", ID),
            TableColumn.of("source_file", TEXT),
            TableColumn.of("raw_record", TEXT),
            TableColumn.of("event_id", ID),
            TableColumn.of("shipment_id", ID),
            TableColumn.of("event_timestamp", TIMESTAMP),
            TableColumn.required("quarantined_at", TIMESTAMP),
            TableColumn.of("reason_detail", TEXT));

    public static final List<TableColumn> LATE_EVENT_COLUMNS = List.of(
            TableColumn.required("event_id", ID),
            TableColumn.of("shipment_id", ID),
            TableColumn.of("event_timestamp", TIMESTAMP),
            TableColumn.of("event_type", ID),
            TableColumn.of("status", ID),
            TableColumn.of("location_id", ID),
            TableColumn.of("ingested_at", TIMESTAMP),
            TableColumn.of("source_file", TEXT),
            TableColumn.required("run_id", ID),
            TableColumn.required("recorded_at", TIMESTAMP));

    /** Each raw file a committed run has read, and the first run that read it. */
    public static final List<TableColumn> PROCESSED_FILE_COLUMNS = List.of(
            TableColumn.required("path", TEXT),
            TableColumn.required("run_id", ID),
            TableColumn.required("process_type", ID),
            TableColumn.required("recorded_at", TIMESTAMP));

    public static final List<TableColumn> LEASE_COLUMNS = List.of(
            TableColumn.required("lease_name", ID),
            TableColumn.of("holder_run_id", ID),
            TableColumn.of("holder_process_type", ID),
            TableColumn.of("acquired_at", TIMESTAMP),
            TableColumn.of("expires_at", TIMESTAMP));

    private static List<String> countColumns() {
        List<String> names = new ArrayList<>(Arrays.asList(
                RunColumns.ROWS_READ, RunColumns.TIMELINE_ROWS, RunColumns.QUARANTINED, RunColumns.DUPLICATES,
                RunColumns.ALREADY_PROCESSED, RunColumns.LATE, RunColumns.UNKNOWN_LOCATION, RunColumns.REWRITTEN));
        for (QuarantineReason r : QuarantineReason.values()) {
            names.add(r.countColumn());
        }
        return List.copyOf(names);
    }

    private static List<TableColumn> runColumns() {
        List<TableColumn> cols = new ArrayList<>(List.of(
                TableColumn.required(RunColumns.RUN_ID, ID),
                TableColumn.required(RunColumns.PROCESS_TYPE, ID),
                TableColumn.required(RunColumns.STATUS, ID),
                TableColumn.of(RunColumns.AS_OF, TIMESTAMP),
                TableColumn.of(RunColumns.WINDOW_START, TIMESTAMP),
                TableColumn.of(RunColumns.BATCH_ID, ID),
                TableColumn.of(RunColumns.STARTED_AT, TIMESTAMP),
                TableColumn.of(RunColumns.FINISHED_AT, TIMESTAMP),
                TableColumn.of(RunColumns.DURATION_SECONDS, DOUBLE),
                TableColumn.of(RunColumns.FILES_READ, BIGINT)));
        for (String c : COUNT_COLUMNS) {
            cols.add(TableColumn.of(c, BIGINT));
        }
        cols.add(TableColumn.of(RunColumns.CHECKPOINT_BEFORE, TIMESTAMP));
        cols.add(TableColumn.of(RunColumns.CHECKPOINT_AFTER, TIMESTAMP));
        cols.add(TableColumn.of(RunColumns.MAX_EVENT_TIMESTAMP, TIMESTAMP));
        cols.add(TableColumn.of(RunColumns.ERROR_MESSAGE, TEXT));
        // The run's metrics (docs/reference/metrics.md): added to an older processing_runs on first use.
        cols.add(TableColumn.of(RunColumns.PROCESSING_LAG_SECONDS, DOUBLE));
        cols.add(TableColumn.of(RunColumns.THROUGHPUT_PER_MINUTE, DOUBLE));
        cols.add(TableColumn.of(RunColumns.ERROR_RATE, DOUBLE));
        cols.add(TableColumn.of(RunColumns.MISSING_EVENTS, BIGINT));
        cols.add(TableColumn.of(RunColumns.ESTIMATED_COST_USD, DOUBLE));
        cols.add(TableColumn.of(RunColumns.COST_PER_EVENT_USD, DOUBLE));
        cols.add(TableColumn.of(RunColumns.SPARK_CPU_SECONDS, DOUBLE));
        cols.add(TableColumn.of(RunColumns.SPARK_PEAK_TASK_MEMORY_BYTES, BIGINT));
        cols.add(TableColumn.of(RunColumns.SPARK_SHUFFLE_WRITE_BYTES, BIGINT));
        return List.copyOf(cols);
    }
}
