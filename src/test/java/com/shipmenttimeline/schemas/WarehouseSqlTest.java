package com.shipmenttimeline.schemas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Redshift rendering of each run's transaction. The PostgreSQL rendering runs for real in every
 * job test, and its insert rendering of the base commit in BaseSwapTest; these tests hold the
 * Redshift one to that text, and to the constructs Redshift accepts inside a transaction
 * (docs/reference/platform.md, "What may run inside one transaction": TRUNCATE commits; REFRESH sees only committed rows).
 */
class WarehouseSqlTest {
    private static final WarehouseSql REDSHIFT = new WarehouseSql(new WarehouseDdl(SqlDialect.REDSHIFT, "shipment_timeline"));
    private static final WarehouseSql POSTGRES = new WarehouseSql(new WarehouseDdl(SqlDialect.POSTGRES, "shipment_timeline"));
    private static final WarehouseSql POSTGRES_INSERTING = new WarehouseSql(new WarehouseDdl(SqlDialect.POSTGRES, "shipment_timeline"),
            WarehouseSql.BaseLoad.INSERT);

    private static final WarehouseSql.BaseStaging BASE_STAGING = new WarehouseSql.BaseStaging("stg_b_timeline", "stg_b_quarantine",
            "stg_b_state", "stg_b_orphans");

    private static List<WarehouseSql.Statement> transactions(WarehouseSql sql) {
        List<WarehouseSql.Statement> all = new ArrayList<>(sql.baseCommit(BASE_STAGING, true));
        all.addAll(sql.incrementalCommit(new WarehouseSql.IncrementalStaging("stg_i_timeline", java.util.Optional.of("stg_i_quarantine"),
                true, true)));
        all.addAll(sql.incrementalCommit(new WarehouseSql.IncrementalStaging("stg_i_timeline", java.util.Optional.empty(), false, false)));
        all.addAll(sql.replayReset("stg_r_orphans"));
        // retention's purge, its own transaction
        new StoredStateSql(sql.ddl()).purge("stg_p_purging", "stg_p_purged", java.time.Instant.parse("2024-12-04T00:00:00Z"))
                .forEach(p -> all.add(p.statement()));
        return all;
    }

    @Test
    void redshiftRunsTheSameTransactionTextThatPostgresRunsWhenItInserts() {
        assertEquals(WarehouseSql.BaseLoad.INSERT, REDSHIFT.baseLoad());
        assertEquals(transactions(POSTGRES_INSERTING), transactions(REDSHIFT));
    }

    @Test
    void postgresSwapsTheBaseAndDiffersFromTheInsertOnlyThere() {
        assertEquals(WarehouseSql.BaseLoad.SWAP, POSTGRES.baseLoad());
        List<WarehouseSql.Statement> swap = POSTGRES.baseCommit(BASE_STAGING, false);
        List<WarehouseSql.Statement> insert = POSTGRES_INSERTING.baseCommit(BASE_STAGING, false);
        List<String> onlyInSwap = swap.stream().filter(s -> !insert.contains(s)).map(s -> s.sql().split(" ")[0] + " " + s.sql().split(" ")[2]).toList();
        assertEquals(List.of("DELETE shipment_timeline.shipment_timeline_base_history", "DELETE shipment_timeline.shipment_timeline_base_history",
                "INSERT shipment_timeline.shipment_timeline_base_history", "DROP shipment_timeline.shipment_timeline_base_window",
                "ALTER shipment_timeline.stg_b_timeline", "ALTER shipment_timeline.stg_b_timeline_event_id",
                "ALTER shipment_timeline.stg_b_timeline_shipment_ts", "ALTER shipment_timeline.stg_b_timeline_ts",
                "ALTER shipment_timeline.shipment_timeline_base_window"), onlyInSwap);
        int lastUseOfStaged = 0;
        for (int i = 0; i < swap.size(); i++) {
            if (swap.get(i).sql().contains("stg_b_timeline ") || swap.get(i).sql().endsWith("stg_b_timeline s)")) {
                lastUseOfStaged = i;
            }
        }
        assertTrue(swap.get(lastUseOfStaged).sql().startsWith("ALTER TABLE shipment_timeline.stg_b_timeline RENAME"),
                "nothing reads the staged table by its name after the rename: " + swap.get(lastUseOfStaged).sql());
        assertThrows(IllegalArgumentException.class, () -> new WarehouseSql(new WarehouseDdl(SqlDialect.REDSHIFT, "st"), WarehouseSql.BaseLoad.SWAP));
    }

    @Test
    void theTransactionUsesOnlyWhatRedshiftAllowsInsideOne() {
        for (WarehouseSql.Statement st : transactions(REDSHIFT)) {
            String upper = st.sql().toUpperCase();
            for (String banned : List.of("TRUNCATE", "REFRESH", "CONCURRENTLY", "WITH ", "ON CONFLICT", "RETURNING", "::", "MERGE", "LIMIT")) {
                assertFalse(upper.contains(banned), banned + " in: " + st.sql());
            }
            assertTrue(upper.startsWith("DELETE FROM ") || upper.startsWith("INSERT INTO ")
                    || upper.startsWith("UPDATE SHIPMENT_TIMELINE.SHIPMENT_TIMELINE_STATE SET "), "no alias on UPDATE's target: " + st.sql());
            assertEquals(st.parameters().size(), st.sql().chars().filter(ch -> ch == '?').count(), "one name per parameter: " + st.sql());
            Matcher list = Pattern.compile(":([a-z_]+)").matcher(st.sql().replaceAll("'[^']*'", "''"));
            while (list.find()) {
                assertTrue(List.of(WarehouseSql.REPLACED_IDS, StoredStateSql.TOUCHED_SHIPMENTS).contains(list.group(1)), list.group() + " in: " + st.sql());
            }
        }
    }

    @Test
    void everyTableIsSchemaQualified() {
        Pattern table = Pattern.compile("(?:FROM|INTO)\\s+([a-z_][a-z0-9_.]*)");
        for (WarehouseSql.Statement st : transactions(REDSHIFT)) {
            Matcher m = table.matcher(st.sql());
            while (m.find()) {
                assertTrue(m.group(1).startsWith("shipment_timeline."), m.group(1) + " in: " + st.sql());
            }
        }
    }

    @Test
    void theBaseCommitNotesTheOrphansDeletesThenInsertsAndRecomputesTheOrphansLast() {
        List<WarehouseSql.Statement> base = REDSHIFT.baseCommit(BASE_STAGING, false);
        assertEquals(base, POSTGRES_INSERTING.baseCommit(BASE_STAGING, false));
        List<String> verbs = base.stream().map(s -> s.sql().split(" ")[0] + " " + s.sql().split(" ")[2]).toList();
        assertEquals(List.of("INSERT shipment_timeline.stg_b_orphans", "INSERT shipment_timeline.stg_b_orphans",
                "INSERT shipment_timeline.stg_b_orphans", "DELETE shipment_timeline.shipment_timeline_state",
                "DELETE shipment_timeline.shipment_timeline_base", "DELETE shipment_timeline.shipment_timeline_base",
                "DELETE shipment_timeline.shipment_timeline_incremental", "INSERT shipment_timeline.shipment_timeline_base",
                "INSERT shipment_timeline.quarantined_events", "INSERT shipment_timeline.shipment_timeline_state",
                "INSERT shipment_timeline.shipment_timeline_state"), verbs);
        assertEquals(List.of("window_start"), base.get(4).parameters());
        assertEquals(base.size() + 2, REDSHIFT.baseCommit(BASE_STAGING, true).size(), "--rebuild adds the state table's rebuild");
    }

    @Test
    void anIncrementalCommitReadsTheStagedTimelineAndQuarantineOnlyAndBindsItsListsAsParameters() {
        List<WarehouseSql.Statement> plain = REDSHIFT.incrementalCommit(new WarehouseSql.IncrementalStaging("stg_i_timeline",
                java.util.Optional.empty(), false, false));
        List<String> verbs = plain.stream().map(s -> s.sql().split(" ")[0] + " " + s.sql().split(" ")[s.sql().startsWith("UPDATE") ? 1 : 2]).toList();
        assertEquals(List.of("INSERT shipment_timeline.shipment_timeline_incremental", "UPDATE shipment_timeline.shipment_timeline_state",
                "INSERT shipment_timeline.shipment_timeline_state"), verbs);
        List<WarehouseSql.Statement> all = REDSHIFT.incrementalCommit(new WarehouseSql.IncrementalStaging("stg_i_timeline",
                java.util.Optional.of("stg_i_quarantine"), true, true));
        Pattern staged = Pattern.compile("shipment_timeline\\.(stg_[a-z_]+)");
        java.util.Set<String> stagedTables = new java.util.TreeSet<>();
        for (WarehouseSql.Statement st : all) {
            Matcher m = staged.matcher(st.sql());
            while (m.find()) {
                stagedTables.add(m.group(1));
            }
        }
        assertEquals(java.util.Set.of("stg_i_quarantine", "stg_i_timeline"), stagedTables, "two staged tables, the lists bound as parameters");
        assertTrue(all.get(0).sql().endsWith("WHERE event_id IN (:" + WarehouseSql.REPLACED_IDS + ")"), all.get(0).sql());
        assertTrue(all.get(all.size() - 1).sql().contains("t.shipment_id IN (:" + StoredStateSql.TOUCHED_SHIPMENTS + ")"), all.get(all.size() - 1).sql());
    }

    @Test
    void theRefreshIsPlainOnRedshiftAndConcurrentOnPostgres() {
        assertEquals("REFRESH MATERIALIZED VIEW shipment_timeline.shipment_timeline_realtime", REDSHIFT.refreshView().sql());
        assertEquals("REFRESH MATERIALIZED VIEW CONCURRENTLY shipment_timeline.shipment_timeline_realtime", POSTGRES.refreshView().sql());
    }

    @Test
    void redshiftStagingTablesDistributeByShipmentOnlyWhenTheyHaveOne() {
        WarehouseDdl ddl = new WarehouseDdl(SqlDialect.REDSHIFT, "st");
        assertTrue(ddl.createStagingTable("stg_t", TimelineColumns.BASE).endsWith(" DISTKEY(shipment_id)"));
        String ids = ddl.createStagingTable("stg_ids", List.of(TableColumn.required("event_id", ColumnKind.ID)));
        assertFalse(ids.contains("DISTKEY"), ids);
        assertFalse(ddl.createStagingTable("stg_t", TimelineColumns.BASE).contains("COLLATE"), "Redshift has no COLLATE \"C\"");
    }
}
