package com.shipmenttimeline.jobs.warehouse;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.shipmenttimeline.schemas.SqlDialect;
import com.shipmenttimeline.schemas.StoredStateSql;
import com.shipmenttimeline.schemas.TimelineColumns;
import com.shipmenttimeline.schemas.WarehouseDdl;
import com.shipmenttimeline.schemas.WarehouseSql;
import com.shipmenttimeline.schemas.WarehouseTables;
import com.shipmenttimeline.testing.TestWarehouse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.ShrinkingMode;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL's base swap (docs/decisions/0004-base-swap.md) against the insert that Redshift runs,
 * both for real on PostgreSQL: after any sequence of base commits (windows moving forward, a
 * rebuild moving one back, event ids that recur across history, window and staged rows, incremental
 * rows in between) the base, the incremental and the state tables hold the same rows either way.
 * (The state rows here are not the jobs' state: no new state is staged and the incremental rows go
 * in by hand; the job tests hold the state table to the rows.)
 */
class BaseSwapTest {
    private static final Instant D0 = Instant.parse("2025-07-01T00:00:00Z");
    private static final long HOUR = 3_600;

    @Property(tries = 4, shrinking = ShrinkingMode.OFF)
    void theSwapLeavesTheRowsTheInsertLeaves(@ForAll long seed) throws SQLException {
        Random r = new Random(seed);
        Side swap = new Side(WarehouseSql.BaseLoad.SWAP);
        Side insert = new Side(WarehouseSql.BaseLoad.INSERT);
        int windowDay = 3;
        for (int round = 0; round < 5; round++) {
            // forward a day or two most nights; now and then a rebuild from an earlier day
            windowDay = round > 0 && r.nextInt(4) == 0 ? Math.max(0, windowDay - 2 - r.nextInt(3)) : windowDay + 1 + r.nextInt(2);
            Instant windowStart = D0.plusSeconds(windowDay * 24 * HOUR + r.nextInt(24) * HOUR);
            List<Object[]> staged = rows(r, 60, windowStart, 4 * 24, "base");
            List<Object[]> incremental = rows(r, 15, windowStart.minusSeconds(24 * HOUR), 6 * 24, "incremental");
            String context = "seed " + seed + ", round " + round + ", window start " + windowStart;
            for (Side side : List.of(swap, insert)) {
                side.commit(round, staged, windowStart);
                side.appendIncremental(round, incremental);
            }
            assertEquals(insert.rows(WarehouseTables.BASE), swap.rows(WarehouseTables.BASE), context);
            assertEquals(insert.rows(WarehouseTables.INCREMENTAL), swap.rows(WarehouseTables.INCREMENTAL), context);
            assertEquals(insert.rows(WarehouseTables.STATE), swap.rows(WarehouseTables.STATE), context);
            swap.assertLayout(staged.size(), windowStart, context);
        }
    }

    @Test
    void aBaseTableMadeByAnOlderVersionHasItsRowsMovedToTheHistoryTableOnce() throws SQLException {
        String schema = TestWarehouse.freshSchema();
        WarehouseDdl ddl = new WarehouseDdl(SqlDialect.POSTGRES, schema);
        // What an older version made: the base table alone, holding its rows itself.
        TestWarehouse.execute(ddl.createSchema());
        for (WarehouseDdl.DdlObject o : ddl.objects()) {
            if (o.name().equals(WarehouseTables.BASE)) {
                o.statements().forEach(TestWarehouse::execute);
            }
        }
        List<Object[]> old = rows(new Random(7), 40, D0, 10 * 24, "base");
        try (Connection c = DriverManager.getConnection(TestWarehouse.jdbcUrl())) {
            insertRows(c, ddl.qualified(WarehouseTables.BASE), old);
        }
        List<Map<String, Object>> before = TestWarehouse.query("SELECT * FROM " + ddl.qualified(WarehouseTables.BASE) + " ORDER BY event_id");

        for (int start = 0; start < 2; start++) {
            try (Warehouse w = TestWarehouse.open(schema)) {
                w.objects().ensure();
            }
            assertEquals(before, TestWarehouse.query("SELECT * FROM " + ddl.qualified(WarehouseTables.BASE) + " ORDER BY event_id"),
                    "the base shows the same rows after start " + start);
            assertEquals(0, TestWarehouse.count("SELECT count(*) FROM ONLY " + ddl.qualified(WarehouseTables.BASE)));
            assertEquals(before.size(), TestWarehouse.count("SELECT count(*) FROM " + ddl.qualified(WarehouseTables.BASE_HISTORY)));
        }
        assertTrue(TestWarehouse.assertStateMatchesRows(schema) > 0, "the state table was filled from the stored rows");
    }

    /** One warehouse schema, committing base runs one way. */
    private static final class Side {
        final String schema = TestWarehouse.freshSchemaWithObjects();
        final WarehouseDdl ddl = new WarehouseDdl(SqlDialect.POSTGRES, schema);
        final WarehouseSql sql;

        Side(WarehouseSql.BaseLoad load) {
            sql = new WarehouseSql(ddl, load);
        }

        void commit(int round, List<Object[]> staged, Instant windowStart) throws SQLException {
            WarehouseSql.BaseStaging staging = new WarehouseSql.BaseStaging("stg_r" + round + "_timeline", "stg_r" + round + "_quarantine",
                    "stg_r" + round + "_state", "stg_r" + round + "_orphans");
            try (Connection c = DriverManager.getConnection(TestWarehouse.jdbcUrl()); java.sql.Statement st = c.createStatement()) {
                st.execute(ddl.createStagingTable(staging.timeline(), TimelineColumns.BASE));
                st.execute(ddl.createStagingTable(staging.quarantine(), WarehouseTables.QUARANTINE_COLUMNS));
                st.execute(ddl.createStagingTable(staging.newState(), StoredStateSql.STATE_COLUMNS));
                st.execute(ddl.createStagingTable(staging.orphans(), StoredStateSql.SHIPMENT_COLUMNS));
                insertRows(c, ddl.qualified(staging.timeline()), staged);
                if (sql.baseLoad() == WarehouseSql.BaseLoad.SWAP) {
                    for (String index : ddl.timelineIndexes(staging.timeline())) {
                        st.execute(index);
                    }
                }
                c.setAutoCommit(false);
                for (WarehouseSql.Statement s : sql.baseCommit(staging, false)) {
                    Transactions.run(c, s, Map.of("window_start", Timestamp.from(windowStart)));
                }
                c.commit();
                c.setAutoCommit(true);
                for (String t : List.of(staging.timeline(), staging.quarantine(), staging.newState(), staging.orphans())) {
                    st.execute(ddl.dropTable(t));
                }
            }
        }

        void appendIncremental(int round, List<Object[]> rows) throws SQLException {
            try (Connection c = DriverManager.getConnection(TestWarehouse.jdbcUrl());
                    PreparedStatement ps = c.prepareStatement("INSERT INTO " + ddl.qualified(WarehouseTables.INCREMENTAL)
                            + " (shipment_id, event_id, event_timestamp, event_sequence, status, cumulative_transit_hours, is_location_change,"
                            + " status_start_timestamp, time_in_status_seconds, is_past_promise, processed_timestamp, process_type,"
                            + " incremental_batch_id, incremental_processed_at) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
                            + " WHERE NOT EXISTS (SELECT 1 FROM " + ddl.qualified(WarehouseTables.BASE) + " b WHERE b.event_id = ?)"
                            + " AND NOT EXISTS (SELECT 1 FROM " + ddl.qualified(WarehouseTables.INCREMENTAL) + " i WHERE i.event_id = ?)")) {
                for (Object[] row : rows) {
                    for (int i = 0; i < row.length; i++) {
                        ps.setObject(i + 1, row[i]);
                    }
                    ps.setString(13, "batch-" + round);
                    ps.setTimestamp(14, Timestamp.from(D0));
                    ps.setString(15, (String) row[1]);
                    ps.setString(16, (String) row[1]);
                    ps.executeUpdate();
                }
            }
        }

        List<Map<String, Object>> rows(String table) {
            String key = table.equals(WarehouseTables.STATE) ? "shipment_id" : "event_id";
            return TestWarehouse.query("SELECT * FROM " + ddl.qualified(table) + " ORDER BY " + key);
        }

        /** The swap's own invariants: the parent holds nothing itself, the window table is the last run's rows, history is all before it. */
        void assertLayout(int stagedRows, Instant windowStart, String context) {
            String base = ddl.qualified(WarehouseTables.BASE);
            String history = ddl.qualified(WarehouseTables.BASE_HISTORY);
            String window = ddl.qualified(WarehouseTables.BASE_WINDOW);
            assertEquals(0, TestWarehouse.count("SELECT count(*) FROM ONLY " + base), context);
            assertEquals(stagedRows, TestWarehouse.count("SELECT count(*) FROM " + window), context);
            assertEquals(0, TestWarehouse.count("SELECT count(*) FROM " + history + " h JOIN " + window + " w ON w.event_id = h.event_id"),
                    "an event is in one of the two: " + context);
            assertEquals(0, TestWarehouse.count("SELECT count(*) FROM " + history + " WHERE event_timestamp >= '"
                    + Timestamp.from(windowStart) + "'"), context);
            List<Object> indexes = TestWarehouse.query("SELECT indexname FROM pg_indexes WHERE schemaname = '" + schema + "' AND tablename = '"
                    + WarehouseTables.BASE_WINDOW + "' ORDER BY indexname").stream().map(row -> row.get("indexname")).toList();
            assertEquals(List.of("shipment_timeline_base_window_event_id", "shipment_timeline_base_window_shipment_ts",
                    "shipment_timeline_base_window_ts"), indexes, "the window table's indexes, renamed: " + context);
        }
    }

    /**
     * Rows with the columns the tables require, over few shipments and a small pool of event ids (so
     * that ids recur across runs), unique by event id, ordered per shipment by time.
     */
    private static List<Object[]> rows(Random r, int n, Instant from, int spanHours, String processType) {
        Map<String, Object[]> byId = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String id = "E" + r.nextInt(400);
            Instant ts = from.plusSeconds(r.nextInt(spanHours) * HOUR + r.nextInt(3_600));
            byId.put(id, new Object[] {"S" + r.nextInt(12), id, Timestamp.from(ts), (long) (1 + r.nextInt(50)), "IN_TRANSIT",
                r.nextInt(100) / 4.0, r.nextBoolean(), Timestamp.from(ts), 0.0, false, Timestamp.from(D0), processType});
        }
        return new ArrayList<>(byId.values());
    }

    private static void insertRows(Connection c, String table, List<Object[]> rows) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table
                + " (shipment_id, event_id, event_timestamp, event_sequence, status, cumulative_transit_hours, is_location_change,"
                + " status_start_timestamp, time_in_status_seconds, is_past_promise, processed_timestamp, process_type)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (Object[] row : rows) {
                for (int i = 0; i < row.length; i++) {
                    ps.setObject(i + 1, row[i]);
                }
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }
}
