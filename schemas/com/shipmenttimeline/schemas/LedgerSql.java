package com.shipmenttimeline.schemas;

import java.util.ArrayList;
import java.util.List;

/**
 * The statements of the warehouse's own bookkeeping, rendered for a dialect: the checkpoint, the
 * processed-files ledger, the run audit rows, the timeline lease and the figures the monitor reads.
 * Each is plain SQL that PostgreSQL and Redshift both accept, with bound parameters named in
 * {@link WarehouseSql.Statement#parameters()}.
 */
public final class LedgerSql {
    /** The checkpoint row's status after a commit, before the view refresh. */
    public static final String COMMITTED = "committed";
    /** The checkpoint row's status once the view shows the commit. */
    public static final String REFRESHED = "refreshed";

    private final WarehouseDdl ddl;

    public LedgerSql(WarehouseDdl ddl) {
        this.ddl = ddl;
    }

    private String t(String table) {
        return ddl.qualified(table);
    }

    private static WarehouseSql.Statement st(String sql, String... parameters) {
        return WarehouseSql.Statement.of(sql, parameters);
    }

    public WarehouseSql.Statement checkpoint() {
        return st("SELECT last_processed_timestamp FROM " + t(WarehouseTables.CHECKPOINTS) + " WHERE checkpoint_id = ?", "checkpoint_id");
    }

    /** The checkpoint row whole: value, status, and which run set it when. */
    public WarehouseSql.Statement checkpointRow() {
        return st("SELECT last_processed_timestamp, status, process_type, last_run_id, last_update_time FROM "
                + t(WarehouseTables.CHECKPOINTS) + " WHERE checkpoint_id = ?", "checkpoint_id");
    }

    /** The latest runs, newest first. */
    public WarehouseSql.Statement latestRuns(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1");
        }
        return st("SELECT run_id, process_type, status, started_at, duration_seconds, rows_read, timeline_rows, quarantined, error_message FROM "
                + t(WarehouseTables.RUNS) + " ORDER BY started_at DESC LIMIT " + limit);
    }

    public WarehouseSql.Statement checkpointStatus() {
        return st("SELECT status FROM " + t(WarehouseTables.CHECKPOINTS) + " WHERE checkpoint_id = ?", "checkpoint_id");
    }

    public WarehouseSql.Statement updateCheckpoint() {
        return st("UPDATE " + t(WarehouseTables.CHECKPOINTS) + " SET last_processed_timestamp = ?, last_update_time = ?, process_type = ?,"
                + " status = '" + COMMITTED + "', last_run_id = ? WHERE checkpoint_id = ?",
                "checkpoint", "now", "process_type", "run_id", "checkpoint_id");
    }

    public WarehouseSql.Statement insertCheckpoint() {
        return st("INSERT INTO " + t(WarehouseTables.CHECKPOINTS)
                + " (checkpoint_id, last_processed_timestamp, last_update_time, process_type, status, last_run_id)"
                + " VALUES (?, ?, ?, ?, '" + COMMITTED + "', ?)", "checkpoint_id", "checkpoint", "now", "process_type", "run_id");
    }

    /** After the view refresh: the commit is shown. */
    public WarehouseSql.Statement markRefreshed() {
        return st("UPDATE " + t(WarehouseTables.CHECKPOINTS) + " SET status = '" + REFRESHED + "' WHERE checkpoint_id = ? AND status = '"
                + COMMITTED + "'", "checkpoint_id");
    }

    /** Records a file a run read; the first reader of each path is kept. */
    public WarehouseSql.Statement recordFile() {
        String table = t(WarehouseTables.PROCESSED_FILES);
        return st("INSERT INTO " + table + " (path, run_id, process_type, recorded_at) SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM "
                + table + " WHERE path = ?)", "path", "run_id", "process_type", "recorded_at", "path");
    }

    /** Which of {@code n} paths a committed run has read; the parameters are {@code path0 .. path<n-1>}. */
    public WarehouseSql.Statement filesRead(int n) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            names.add("path" + i);
        }
        return new WarehouseSql.Statement("SELECT path FROM " + t(WarehouseTables.PROCESSED_FILES) + " WHERE path IN ("
                + String.join(", ", java.util.Collections.nCopies(n, "?")) + ")", List.copyOf(names));
    }

    public WarehouseSql.Statement runWithStatus() {
        return st("SELECT 1 FROM " + t(WarehouseTables.RUNS) + " WHERE run_id = ? AND status = ?", "run_id", "status");
    }

    /** One audit row, every column of {@link WarehouseTables#RUN_COLUMNS}, each a parameter named as its column. */
    public WarehouseSql.Statement insertRun() {
        List<String> names = List.of(TimelineColumns.names(WarehouseTables.RUN_COLUMNS));
        return new WarehouseSql.Statement("INSERT INTO " + t(WarehouseTables.RUNS) + " (" + String.join(", ", names) + ") VALUES ("
                + String.join(", ", java.util.Collections.nCopies(names.size(), "?")) + ")", names);
    }

    /** The window start of the latest run of a status among two process types. */
    public WarehouseSql.Statement latestWindowStart() {
        return st("SELECT window_start FROM " + t(WarehouseTables.RUNS) + " WHERE status = ? AND process_type IN (?, ?)"
                + " ORDER BY started_at DESC LIMIT 1", "status", "process_type", "other_process_type");
    }

    /** Quarantined, read and estimated cost summed over the runs of a status finished since a time. */
    public WarehouseSql.Statement runTotalsSince() {
        return st("SELECT COALESCE(SUM(quarantined), 0), COALESCE(SUM(rows_read), 0), COALESCE(SUM(estimated_cost_usd), 0) FROM "
                + t(WarehouseTables.RUNS) + " WHERE status = ? AND finished_at >= ?", "status", "since");
    }

    /**
     * Events that can never enter the timeline: the {@code TOO_LATE} quarantines of the incremental
     * runs finished since a time (they arrived after the base window that could hold them had moved on).
     */
    public WarehouseSql.Statement missingEvents() {
        return st("SELECT COALESCE(SUM(" + QuarantineReason.TOO_LATE.countColumn() + "), 0) FROM " + t(WarehouseTables.RUNS)
                + " WHERE process_type = ? AND status = ? AND finished_at >= ?", "process_type", "status", "since");
    }

    /** The newest event the realtime view shows (data freshness is now minus this). */
    public WarehouseSql.Statement newestEventInView() {
        return st("SELECT MAX(event_timestamp) FROM " + t(WarehouseTables.REALTIME_VIEW));
    }

    /** The oldest event the timeline tables hold (retention purges before its cutoff; each table's timestamp index or zone maps answer). */
    public WarehouseSql.Statement oldestTimelineEvent() {
        return st("SELECT MIN(m) FROM (SELECT MIN(event_timestamp) AS m FROM " + t(WarehouseTables.BASE) + " UNION ALL SELECT MIN(event_timestamp) AS m FROM "
                + t(WarehouseTables.INCREMENTAL) + ") oldest");
    }

    /** The newest event the timeline tables hold (a base run may not leave one after its reach unread). */
    public WarehouseSql.Statement newestTimelineEvent() {
        return st("SELECT MAX(m) FROM (SELECT MAX(event_timestamp) AS m FROM " + t(WarehouseTables.BASE) + " UNION ALL SELECT MAX(event_timestamp) AS m FROM "
                + t(WarehouseTables.INCREMENTAL) + ") newest");
    }

    /** The shipment the monitor's probe reads: the first by id in the state table (its key, so found by index or sort key). */
    public WarehouseSql.Statement probeShipment() {
        return st("SELECT MIN(shipment_id) FROM " + t(WarehouseTables.STATE));
    }

    /** The monitor's probe: one shipment's timeline from the realtime view, as a dashboard would read it. */
    public WarehouseSql.Statement shipmentTimeline() {
        return st("SELECT event_sequence, event_timestamp, status, location_id FROM " + t(WarehouseTables.REALTIME_VIEW)
                + " WHERE shipment_id = ? ORDER BY event_sequence", "shipment_id");
    }

    /** The lease row, created once. */
    public WarehouseSql.Statement createLease() {
        String table = t(WarehouseTables.LEASE);
        return st("INSERT INTO " + table + " (lease_name) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM " + table + " WHERE lease_name = ?)",
                "lease_name", "lease_name");
    }

    /**
     * The warehouse's own clock, as a UTC timestamp without zone like every stored timestamp: the lease
     * reads no other, so skew between the hosts that run the jobs cannot matter (contract section 5,
     * "Failure"). PostgreSQL's {@code clock_timestamp()} is the moment of the call; Redshift's
     * {@code GETDATE()} is the start of the statement, in UTC.
     */
    private String warehouseNow() {
        return ddl.dialect() == SqlDialect.REDSHIFT ? "GETDATE()" : "CAST(clock_timestamp() AT TIME ZONE 'UTC' AS TIMESTAMP(6))";
    }

    /** The warehouse's clock plus the lease's TTL, a bound parameter {@code ttl_ms} in milliseconds. */
    private String warehouseNowPlusTtl() {
        return ddl.dialect() == SqlDialect.REDSHIFT ? "DATEADD(ms, ?, GETDATE())" : warehouseNow() + " + CAST(? AS DOUBLE PRECISION) * INTERVAL '1 millisecond'";
    }

    /** Takes the lease when it is free or lapsed by the warehouse's clock; one row updated means taken. */
    public WarehouseSql.Statement takeLease() {
        return st("UPDATE " + t(WarehouseTables.LEASE) + " SET holder_run_id = ?, holder_process_type = ?, acquired_at = " + warehouseNow()
                + ", expires_at = " + warehouseNowPlusTtl() + " WHERE lease_name = ? AND (holder_run_id IS NULL OR expires_at < " + warehouseNow() + ")",
                "run_id", "process_type", "ttl_ms", "lease_name");
    }

    public WarehouseSql.Statement leaseHolder() {
        return st("SELECT holder_run_id, holder_process_type, expires_at FROM " + t(WarehouseTables.LEASE) + " WHERE lease_name = ?",
                "lease_name");
    }

    /**
     * Renews the lease only while this run holds it and it has not lapsed, by the warehouse's clock: one
     * row updated, or the run has lost it. The commit's first statement (which also locks the row until
     * the commit ends, so no other run can take it meanwhile), and the check before every lake write.
     */
    public WarehouseSql.Statement renewLease() {
        return st("UPDATE " + t(WarehouseTables.LEASE) + " SET expires_at = " + warehouseNowPlusTtl()
                + " WHERE lease_name = ? AND holder_run_id = ? AND expires_at >= " + warehouseNow(),
                "ttl_ms", "lease_name", "run_id");
    }

    public WarehouseSql.Statement releaseLease() {
        return st("UPDATE " + t(WarehouseTables.LEASE)
                + " SET holder_run_id = NULL, holder_process_type = NULL, acquired_at = NULL, expires_at = NULL"
                + " WHERE lease_name = ? AND holder_run_id = ?", "lease_name", "run_id");
    }
}
