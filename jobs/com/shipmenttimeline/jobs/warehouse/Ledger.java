package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.jobs.source.RawFile;
import com.shipmenttimeline.schemas.LedgerSql;
import com.shipmenttimeline.schemas.ProcessType;
import com.shipmenttimeline.schemas.TableColumn;
import com.shipmenttimeline.schemas.WarehouseDdl;
import com.shipmenttimeline.schemas.WarehouseTables;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the warehouse knows of the runs: the checkpoint, the files each committed run read, the
 * audit rows. Methods that take a connection run inside the caller's transaction; the others open
 * their own.
 */
public final class Ledger {
    private static final int IN_LIST = 500;

    private final Connections connections;
    private final LedgerSql sql;

    Ledger(Connections connections, WarehouseDdl ddl) {
        this.connections = connections;
        this.sql = new LedgerSql(ddl);
    }

    private static Map<String, Object> checkpointId() {
        return Map.of("checkpoint_id", WarehouseTables.CHECKPOINT_ID);
    }

    /** The checkpoint: the latest event_timestamp taken into the timeline, if any. */
    public Optional<Instant> checkpoint() {
        try (Connection c = connections.open()) {
            return checkpoint(c);
        } catch (SQLException e) {
            throw new WarehouseException("cannot read the checkpoint", e);
        }
    }

    public Optional<Instant> checkpoint(Connection c) throws SQLException {
        return Sql.rows(c, sql.checkpoint(), checkpointId(), rs -> Optional.ofNullable(rs.getTimestamp(1)).map(java.sql.Timestamp::toInstant))
                .stream().findFirst().flatMap(o -> o);
    }

    /** Sets the checkpoint inside the caller's transaction; its status becomes committed (the view is behind). */
    public void setCheckpoint(Connection c, Instant value, ProcessType processType, String runId, Instant now) throws SQLException {
        Map<String, Object> v = new HashMap<>(checkpointId());
        v.put("checkpoint", Sql.timestamp(value));
        v.put("now", now);
        v.put("process_type", processType.value());
        v.put("run_id", runId);
        if (Sql.update(c, sql.updateCheckpoint(), v) != 1) {
            Sql.update(c, sql.insertCheckpoint(), v);
        }
    }

    /** True when a commit has not been followed by a view refresh yet. */
    public boolean refreshPending() {
        try (Connection c = connections.open()) {
            return Sql.rows(c, sql.checkpointStatus(), checkpointId(), rs -> rs.getString(1)).stream().findFirst()
                    .map(LedgerSql.COMMITTED::equals).orElse(false);
        } catch (SQLException e) {
            throw new WarehouseException("cannot read the checkpoint", e);
        }
    }

    /** After the view refresh: the checkpoint's status moves from committed to refreshed. */
    void markRefreshed() {
        try (Connection c = connections.open()) {
            Sql.update(c, sql.markRefreshed(), checkpointId());
        } catch (SQLException e) {
            throw new WarehouseException("warehouse statement failed: mark the checkpoint refreshed", e);
        }
    }

    /** Records, inside the caller's transaction, the files a run read (the first reader of each is kept). */
    public void recordFiles(Connection c, Collection<String> paths, String runId, ProcessType processType, Instant at) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql.recordFile().sql())) {
            for (String p : paths) {
                String canonical = RawFile.canonical(p);
                ps.setString(1, canonical);
                ps.setString(2, runId);
                ps.setString(3, processType.value());
                ps.setTimestamp(4, java.sql.Timestamp.from(at));
                ps.setString(5, canonical);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Which of these files a committed run has read already (canonical paths). */
    public Set<String> readBefore(Collection<String> paths) {
        List<String> all = paths.stream().map(RawFile::canonical).distinct().toList();
        Set<String> seen = new HashSet<>();
        try (Connection c = connections.open()) {
            for (int from = 0; from < all.size(); from += IN_LIST) {
                List<String> chunk = all.subList(from, Math.min(all.size(), from + IN_LIST));
                Map<String, Object> v = new HashMap<>();
                for (int i = 0; i < chunk.size(); i++) {
                    v.put("path" + i, chunk.get(i));
                }
                seen.addAll(Sql.rows(c, sql.filesRead(chunk.size()), v, rs -> rs.getString(1)));
            }
        } catch (SQLException e) {
            throw new WarehouseException("cannot read processed_files", e);
        }
        return seen;
    }

    /** Whether {@code processing_runs} holds a succeeded row for this run id. */
    public boolean runSucceeded(String runId) {
        try (Connection c = connections.open()) {
            return runSucceeded(c, runId);
        } catch (SQLException e) {
            throw new WarehouseException("cannot read " + WarehouseTables.RUNS, e);
        }
    }

    public boolean runSucceeded(Connection c, String runId) throws SQLException {
        return !Sql.rows(c, sql.runWithStatus(), Map.of("run_id", runId, "status", RunRecord.SUCCEEDED), rs -> true).isEmpty();
    }

    /** Inserts a run's audit row on the caller's connection, with bound parameters only. */
    public void insertRun(Connection c, RunRecord record) throws SQLException {
        Map<String, Object> columns = record.columns();
        Map<String, Object> v = new HashMap<>();
        for (TableColumn col : WarehouseTables.RUN_COLUMNS) {
            Object value = columns.get(col.name());
            v.put(col.name(), value == null ? Sql.Null.of(col.kind()) : value);
        }
        Sql.update(c, sql.insertRun(), v);
    }

    /** Writes a run's audit row on a connection of its own, committed at once (a failed run's row). */
    public void insertRunNow(RunRecord record) throws SQLException {
        try (Connection c = connections.open()) {
            c.setAutoCommit(true);
            insertRun(c, record);
        }
    }

    /** Where the latest successful base or backfill run's window began, if there was one. */
    public Optional<Instant> lastBaseWindowStart() {
        try (Connection c = connections.open()) {
            return Sql.rows(c, sql.latestWindowStart(), Map.of("status", RunRecord.SUCCEEDED, "process_type", ProcessType.DAILY_BASE.value(),
                    "other_process_type", ProcessType.BACKFILL.value()), rs -> rs.getTimestamp(1).toInstant()).stream().findFirst();
        } catch (SQLException e) {
            throw new WarehouseException("cannot read processing_runs", e);
        }
    }

    /**
     * Missing events: those that can never enter the timeline, the {@code TOO_LATE} quarantines of
     * the incremental runs finished since {@code since}. On the caller's connection, so inside a
     * transaction it sees that transaction's own rows.
     */
    public long missingEvents(Connection c, Instant since) throws SQLException {
        return Sql.rows(c, sql.missingEvents(), Map.of("process_type", ProcessType.INCREMENTAL.value(), "status", RunRecord.SUCCEEDED,
                "since", java.sql.Timestamp.from(since)), rs -> rs.getLong(1)).get(0);
    }

    /** The oldest event the timeline tables hold, if any. */
    public Optional<Instant> oldestTimelineEvent() {
        try (Connection c = connections.open()) {
            return oldestTimelineEvent(c);
        } catch (SQLException e) {
            throw new WarehouseException("cannot read the oldest timeline event", e);
        }
    }

    /** The same, on the caller's connection. */
    public Optional<Instant> oldestTimelineEvent(Connection c) throws SQLException {
        return Sql.rows(c, sql.oldestTimelineEvent(), Map.of(), rs -> Optional.ofNullable(rs.getTimestamp(1)).map(java.sql.Timestamp::toInstant))
                .get(0);
    }

    /** The newest event the timeline tables hold, if any. */
    public Optional<Instant> newestTimelineEvent() {
        try (Connection c = connections.open()) {
            return Sql.rows(c, sql.newestTimelineEvent(), Map.of(), rs -> Optional.ofNullable(rs.getTimestamp(1)).map(java.sql.Timestamp::toInstant))
                    .get(0);
        } catch (SQLException e) {
            throw new WarehouseException("cannot read the newest timeline event", e);
        }
    }

    /** The newest event the realtime view shows, if any. */
    public Optional<Instant> newestEventInView(Connection c) throws SQLException {
        return Sql.rows(c, sql.newestEventInView(), Map.of(), rs -> Optional.ofNullable(rs.getTimestamp(1)).map(java.sql.Timestamp::toInstant))
                .get(0);
    }

    /**
     * Reads one shipment's timeline from the realtime view (the first shipment of the state table) and
     * returns how long that took, in milliseconds; empty when no shipment is stored.
     */
    public Optional<Double> timeViewProbe(Connection c) throws SQLException {
        Optional<String> shipment = Sql.rows(c, sql.probeShipment(), Map.of(), rs -> Optional.ofNullable(rs.getString(1))).get(0);
        if (shipment.isEmpty()) {
            return Optional.empty();
        }
        long t0 = System.nanoTime();
        Sql.rows(c, sql.shipmentTimeline(), Map.of("shipment_id", shipment.get()), rs -> rs.getLong(1));
        return Optional.of((System.nanoTime() - t0) / 1e6);
    }

    /** Sums over the succeeded runs finished since a time. */
    public record RunTotals(long quarantined, long read, double estimatedCostUsd) {}

    public RunTotals succeededSince(Connection c, Instant since) throws SQLException {
        return Sql.rows(c, sql.runTotalsSince(), Map.of("status", RunRecord.SUCCEEDED, "since", since),
                rs -> new RunTotals(rs.getLong(1), rs.getLong(2), rs.getDouble(3))).get(0);
    }
}
