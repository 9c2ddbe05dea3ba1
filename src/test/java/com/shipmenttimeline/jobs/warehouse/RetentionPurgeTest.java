package com.shipmenttimeline.jobs.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.schemas.SqlDialect;
import com.shipmenttimeline.schemas.StoredStateSql;
import com.shipmenttimeline.schemas.WarehouseDdl;
import com.shipmenttimeline.schemas.WarehouseTables;
import com.shipmenttimeline.testing.TestWarehouse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;

/**
 * Retention's law (docs/decisions/0005-retention-summaries.md), on PostgreSQL: two warehouses hold the same rows;
 * one is purged now and then, the other never. After every purge, whatever continuing a shipment
 * reads comes out the same from both: the state recomputed from the stored rows, and a base run's
 * last row before its window for any window after the cutoff and any keys. The purged one holds
 * exactly the other's rows from the cutoff on, its state table is what it was, and the quarantine,
 * late-event and audit rows before the cutoff are gone. A purge repeated purges nothing.
 */
class RetentionPurgeTest {
    private static final Instant D0 = Instant.parse("2025-07-01T00:00:00Z");
    private static final long HOUR = 3_600;
    private static final long DAY = 24 * HOUR;

    @Property(tries = 5, shrinking = ShrinkingMode.OFF)
    void continuingAShipmentReadsTheSameWithItsOldRowsPurgedAsWithThem(@ForAll long seed) throws SQLException {
        Random r = new Random(seed);
        Side kept = new Side();
        Side purged = new Side();
        int[] nextId = {0};
        Instant floor = D0; // the latest cutoff so far: rows arrive after it, base windows start after it
        for (int round = 0; round < 4; round++) {
            List<Object[]> base = rows(r, nextId, 50, floor, 20, "daily_base");
            List<Object[]> incremental = rows(r, nextId, 15, floor.plusSeconds(18 * DAY), 4, "incremental");
            List<Object[]> audit = auditRows(r, nextId, 12, floor, 22);
            for (Side side : List.of(kept, purged)) {
                side.insert(base, incremental, audit);
                side.execute(new StoredStateSql(side.ddl).rebuildAll());
            }
            String context = "seed " + seed + ", round " + round;
            assertEquals(kept.table(WarehouseTables.STATE), purged.table(WarehouseTables.STATE),
                    "the state rebuilt over the rows and the summaries equals the state of all rows: " + context);

            // now and then the cutoff moves back, as when retention.days is raised
            Instant cutoff = round == 2 && r.nextBoolean() ? floor.minusSeconds(2 * DAY)
                    : floor.plusSeconds((3 + r.nextInt(6)) * DAY + r.nextInt(24) * HOUR);
            floor = cutoff.isAfter(floor) ? cutoff : floor;
            List<Map<String, Object>> stateBefore = purged.table(WarehouseTables.STATE);
            Map<StoredStateSql.Purged, Long> counts = purged.purge(round, cutoff);
            context += ", cutoff " + cutoff;

            assertEquals(stateBefore, purged.table(WarehouseTables.STATE), "the purge leaves the state table as it was: " + context);
            assertEquals(purged.recomputed(), purged.table(WarehouseTables.STATE), "the state still equals the recomputed state: " + context);
            assertEquals(kept.recomputed(), purged.recomputed(), context);
            for (int w = 0; w < 3; w++) {
                Instant windowStart = floor.plusSeconds((1 + r.nextInt(20)) * DAY + r.nextInt(24) * HOUR);
                List<Object[]> keys = keys(r, kept, windowStart, nextId);
                assertEquals(kept.stateBefore(round, w, keys, windowStart), purged.stateBefore(round, w, keys, windowStart),
                        "the last row before the window " + windowStart + ": " + context);
            }
            // every row before the latest cutoff went then or now; the rows since arrived after it
            for (String table : List.of(WarehouseTables.BASE, WarehouseTables.INCREMENTAL)) {
                assertEquals(kept.rowsFrom(table, "event_timestamp", floor), purged.table(table), table + ": " + context);
            }
            assertEquals(kept.rowsFrom(WarehouseTables.QUARANTINE, "quarantined_at", floor), purged.table(WarehouseTables.QUARANTINE), context);
            assertEquals(kept.rowsFrom(WarehouseTables.LATE_EVENTS, "recorded_at", floor), purged.table(WarehouseTables.LATE_EVENTS), context);
            assertEquals(kept.rowsFrom(WarehouseTables.RUNS, "started_at", floor), purged.table(WarehouseTables.RUNS), context);
            long gone = kept.count(WarehouseTables.BASE) + kept.count(WarehouseTables.INCREMENTAL)
                    - purged.count(WarehouseTables.BASE) - purged.count(WarehouseTables.INCREMENTAL);
            assertTrue(counts.get(StoredStateSql.Purged.TIMELINE_ROWS) <= gone, "counted at most the rows that are gone: " + context);

            Map<StoredStateSql.Purged, Long> again = purged.purge(round + 100, cutoff);
            assertEquals(0L, again.get(StoredStateSql.Purged.TIMELINE_ROWS) + again.get(StoredStateSql.Purged.QUARANTINE_ROWS)
                    + again.get(StoredStateSql.Purged.LATE_EVENT_ROWS) + again.get(StoredStateSql.Purged.RUN_ROWS), "a repeated purge: " + context);
            assertEquals(kept.recomputed(), purged.recomputed(), "after a repeated purge: " + context);
        }
        assertTrue(purged.count(WarehouseTables.PURGED) > 0, "some shipments lost rows");
    }

    /** One warehouse schema on the embedded PostgreSQL. */
    private static final class Side {
        final String schema = TestWarehouse.freshSchemaWithObjects();
        final WarehouseDdl ddl = new WarehouseDdl(SqlDialect.POSTGRES, schema);
        final StoredStateSql sql = new StoredStateSql(ddl);

        void insert(List<Object[]> base, List<Object[]> incremental, List<Object[]> audit) throws SQLException {
            String cols = "shipment_id, event_id, event_timestamp, event_sequence, status, cumulative_transit_hours, is_location_change,"
                    + " status_start_timestamp, time_in_status_seconds, is_past_promise, processed_timestamp, process_type, location_id";
            try (Connection c = DriverManager.getConnection(TestWarehouse.jdbcUrl())) {
                insert(c, "INSERT INTO " + ddl.qualified(WarehouseTables.BASE_HISTORY) + " (" + cols + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", base);
                insert(c, "INSERT INTO " + ddl.qualified(WarehouseTables.INCREMENTAL) + " (" + cols
                        + ", incremental_batch_id, incremental_processed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?, 'batch', TIMESTAMP '2025-07-01 00:00:00')",
                        incremental);
                for (Object[] a : audit) {
                    insert(c, "INSERT INTO " + ddl.qualified(WarehouseTables.QUARANTINE)
                            + " (run_id, reason, event_id, quarantined_at) VALUES (?, 'INVALID_STATUS', ?, ?)", List.<Object[]>of(a));
                    insert(c, "INSERT INTO " + ddl.qualified(WarehouseTables.LATE_EVENTS)
                            + " (run_id, event_id, recorded_at) VALUES (?, ?, ?)", List.<Object[]>of(a));
                    insert(c, "INSERT INTO " + ddl.qualified(WarehouseTables.RUNS)
                            + " (run_id, process_type, status, started_at) VALUES (?, ?, 'succeeded', ?)", List.<Object[]>of(a));
                }
            }
        }

        private static void insert(Connection c, String sql, List<Object[]> rows) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (Object[] row : rows) {
                    for (int i = 0; i < row.length; i++) {
                        ps.setObject(i + 1, row[i]);
                    }
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }

        void execute(List<com.shipmenttimeline.schemas.WarehouseSql.Statement> statements) throws SQLException {
            try (Connection c = DriverManager.getConnection(TestWarehouse.jdbcUrl())) {
                for (com.shipmenttimeline.schemas.WarehouseSql.Statement s : statements) {
                    Transactions.run(c, s, Map.of());
                }
            }
        }

        /** The purge as the nightly run commits it: one transaction, two empty staging tables. */
        Map<StoredStateSql.Purged, Long> purge(int round, Instant cutoff) throws SQLException {
            String purging = "stg_p" + round + "_purging";
            String summaries = "stg_p" + round + "_purged";
            Map<StoredStateSql.Purged, Long> counts = new EnumMap<>(StoredStateSql.Purged.class);
            for (StoredStateSql.Purged p : StoredStateSql.Purged.values()) {
                counts.put(p, 0L);
            }
            try (Connection c = DriverManager.getConnection(TestWarehouse.jdbcUrl()); java.sql.Statement st = c.createStatement()) {
                st.execute(ddl.createStagingTable(purging, StoredStateSql.SHIPMENT_COLUMNS));
                st.execute(ddl.createStagingTable(summaries, StoredStateSql.STATE_COLUMNS));
                c.setAutoCommit(false);
                for (StoredStateSql.Purge p : sql.purge(purging, summaries, cutoff)) {
                    counts.merge(p.counts(), (long) Transactions.run(c, p.statement(), Map.of()), Long::sum);
                }
                c.commit();
                c.setAutoCommit(true);
                st.execute(ddl.dropTable(purging));
                st.execute(ddl.dropTable(summaries));
            }
            return counts;
        }

        List<Map<String, Object>> stateBefore(int round, int w, List<Object[]> keys, Instant windowStart) throws SQLException {
            String table = "stg_k" + round + "_" + w;
            try (Connection c = DriverManager.getConnection(TestWarehouse.jdbcUrl()); java.sql.Statement st = c.createStatement()) {
                st.execute(ddl.createStagingTable(table, StoredStateSql.KEY_COLUMNS));
                insert(c, "INSERT INTO " + ddl.qualified(table) + " (shipment_id, event_id) VALUES (?, ?)", keys);
            }
            return TestWarehouse.query("SELECT * FROM (" + sql.stateBefore(table, windowStart) + ") s ORDER BY shipment_id");
        }

        List<Map<String, Object>> recomputed() {
            return TestWarehouse.query("SELECT * FROM (" + sql.recomputedAll() + ") r ORDER BY shipment_id");
        }

        List<Map<String, Object>> table(String table) {
            return TestWarehouse.query("SELECT * FROM " + ddl.qualified(table) + " ORDER BY " + key(table));
        }

        List<Map<String, Object>> rowsFrom(String table, String column, Instant from) {
            return TestWarehouse.query("SELECT * FROM " + ddl.qualified(table) + " WHERE " + column + " >= '" + Timestamp.from(from)
                    + "' ORDER BY " + key(table));
        }

        long count(String table) {
            return TestWarehouse.count("SELECT count(*) FROM " + ddl.qualified(table));
        }

        private static String key(String table) {
            return switch (table) {
                case WarehouseTables.STATE, WarehouseTables.PURGED -> "shipment_id";
                case WarehouseTables.RUNS -> "run_id";
                default -> "event_id";
            };
        }
    }

    /** Timeline rows over 9 shipments, unique event ids, times within {@code spanDays} of {@code from}. */
    private static List<Object[]> rows(Random r, int[] nextId, int n, Instant from, int spanDays, String processType) {
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            // whole hours now and then, so that two events of a shipment share a time and the event id decides
            Instant ts = from.plusSeconds(r.nextInt(spanDays * 24) * HOUR + (r.nextBoolean() ? 0 : r.nextInt(3_600)));
            rows.add(new Object[] {"S" + r.nextInt(9), String.format("E%05d", nextId[0]++), Timestamp.from(ts), (long) (1 + r.nextInt(50)),
                r.nextBoolean() ? "IN_TRANSIT" : "DELIVERED", r.nextInt(100) / 4.0, r.nextBoolean(),
                Timestamp.from(ts.minusSeconds(r.nextInt(10) * HOUR)), 0.0, false, Timestamp.from(D0), processType,
                r.nextInt(3) == 0 ? null : "L" + r.nextInt(4)});
        }
        return rows;
    }

    /** (run or event id, time) pairs for the quarantine, late-event and audit tables. */
    private static List<Object[]> auditRows(Random r, int[] nextId, int n, Instant from, int spanDays) {
        List<Object[]> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = String.format("A%05d", nextId[0]++);
            rows.add(new Object[] {id, id, Timestamp.from(from.plusSeconds(r.nextInt(spanDays * 24) * HOUR))});
        }
        return rows;
    }

    /** A base run's keys: new events of some shipments, and some stored events on or after the window start that it rewrites. */
    private static List<Object[]> keys(Random r, Side side, Instant windowStart, int[] nextId) {
        List<Object[]> keys = new ArrayList<>();
        for (int s = 0; s < 9; s++) {
            if (r.nextInt(3) > 0) {
                keys.add(new Object[] {"S" + s, String.format("K%05d", nextId[0]++)});
            }
        }
        for (Map<String, Object> row : side.rowsFrom(WarehouseTables.BASE, "event_timestamp", windowStart)) {
            if (r.nextInt(3) == 0) {
                keys.add(new Object[] {row.get("shipment_id"), row.get("event_id")});
            }
        }
        return keys;
    }
}
