package com.shipmenttimeline.schemas;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The per-shipment state table {@code shipment_timeline_state} and the queries around it. One row
 * per shipment that has stored timeline rows (or had, before retention purged them): its last
 * stored row (by {@code event_timestamp}, then {@code event_id}) and the time of its first stored
 * event, which is all that continuing a shipment needs (contract section 4). Every run keeps it
 * exact inside its own commit transaction; the job tests and the property tests hold it equal to
 * the state recomputed from the stored rows and the purged-row summaries ({@link #recomputedAll()}):
 * retention ({@link #purge}) replaces a shipment's rows before its cutoff by one summary row in
 * {@link WarehouseTables#PURGED}, which every state computation reads as one more row, so the state
 * is the same with or without them.
 *
 * <ul>
 *   <li>An incremental batch reads the state rows of its own shipments by key ({@link #stateOfKeys})
 *       and replaces them in its commit ({@link #incrementalStatements}).
 *   <li>A base run continues from the last stored row <em>before its window start</em>, which is not
 *       the latest state: it ranks the stored history of just the shipments the state table says
 *       have rows before the window ({@link #stateBefore}); its commit replaces the state of the
 *       shipments it writes with the rows Spark computed, and recomputes from the stored rows the
 *       few shipments that lose rows but gain none ({@link #baseStatementsBefore}, {@link #baseStatementsAfter}).
 *   <li>A replay recomputes the shipments whose incremental rows it deletes ({@link #replayStatementsBefore}).
 * </ul>
 *
 * Every statement is in the subset Redshift accepts inside a transaction (no {@code WITH}, no
 * {@code ON CONFLICT}, no {@code UPDATE ... FROM} needed: a replaced row is deleted, then inserted).
 */
public final class StoredStateSql {
    public static final String SHIPMENT_ID = "shipment_id";
    public static final String LAST_EVENT_SEQUENCE = "last_event_sequence";
    public static final String LAST_EVENT_TIMESTAMP = "last_event_timestamp";
    public static final String LAST_EVENT_ID = "last_event_id";
    public static final String LAST_STATUS = "last_status";
    public static final String LAST_LOCATION_ID = "last_location_id";
    public static final String LAST_STATUS_START_TIMESTAMP = "last_status_start_timestamp";
    public static final String FIRST_EVENT_TIMESTAMP = "first_event_timestamp";

    /** Columns of the keys staging table. */
    public static final List<TableColumn> KEY_COLUMNS = List.of(
            new TableColumn(TimelineColumns.SHIPMENT_ID, ColumnKind.ID, false),
            new TableColumn(TimelineColumns.EVENT_ID, ColumnKind.ID, false));

    /** Columns of a staging table that lists shipments (those whose state a commit recomputes). */
    public static final List<TableColumn> SHIPMENT_COLUMNS = List.of(new TableColumn(SHIPMENT_ID, ColumnKind.ID, false));

    /** The state table's columns, and those of a staging table of new state rows. */
    public static final List<TableColumn> STATE_COLUMNS = List.of(
            TableColumn.required(SHIPMENT_ID, ColumnKind.ID),
            TableColumn.required(LAST_EVENT_SEQUENCE, ColumnKind.BIGINT),
            TableColumn.required(LAST_EVENT_TIMESTAMP, ColumnKind.TIMESTAMP),
            TableColumn.required(LAST_EVENT_ID, ColumnKind.ID),
            TableColumn.required(LAST_STATUS, ColumnKind.ID),
            TableColumn.of(LAST_LOCATION_ID, ColumnKind.ID),
            TableColumn.required(LAST_STATUS_START_TIMESTAMP, ColumnKind.TIMESTAMP),
            TableColumn.required(FIRST_EVENT_TIMESTAMP, ColumnKind.TIMESTAMP));

    private static final String STATE_LIST = String.join(", ", TimelineColumns.names(STATE_COLUMNS));

    private static final DateTimeFormatter LITERAL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

    private final WarehouseDdl ddl;

    public StoredStateSql(WarehouseDdl ddl) {
        this.ddl = ddl;
    }

    private String state() {
        return ddl.qualified(WarehouseTables.STATE);
    }

    /**
     * Where a look-up's keys come from: a staged keys table of {@link #KEY_COLUMNS} (a base run's, or
     * a batch too large to list), or two lists of values that the caller binds as parameters, chunk
     * by chunk: {@value #SHIPMENT_LIST} and {@value #EVENT_LIST} stand for the {@code ?, ?, ...} of a
     * chunk's shipment ids and event ids (the warehouse's KeyedReads). A chunk holds every key of
     * each of its shipments, so a condition on the shipment and one on its keys' event ids agree.
     *
     * @param shipmentIds what {@code x IN (...)} takes for the keys' shipment ids
     * @param eventIds what {@code x IN (...)} takes for the keys' event ids
     * @param rowOfTNotAmong a condition that stored row {@code t}'s event is not among the keys
     */
    public record Keys(String shipmentIds, String eventIds, String rowOfTNotAmong) {
        public static final String SHIPMENT_LIST = ":shipment_ids";
        public static final String EVENT_LIST = ":event_ids";
        /** Keys bound as lists. */
        public static final Keys LISTED = new Keys(SHIPMENT_LIST, EVENT_LIST, "t.event_id NOT IN (" + EVENT_LIST + ")");

        /** Keys in a staged table (qualified name). */
        public static Keys staged(String qualifiedTable) {
            return new Keys("SELECT k.shipment_id FROM " + qualifiedTable + " k", "SELECT k.event_id FROM " + qualifiedTable + " k",
                    "NOT EXISTS (SELECT 1 FROM " + qualifiedTable + " k2 WHERE k2.event_id = t.event_id)");
        }
    }

    /** The keys staged in this schema's table. */
    public Keys staged(String keysTable) {
        return Keys.staged(ddl.qualified(keysTable));
    }

    /** An incremental batch's state: the state rows of the shipments among its keys, by key. */
    public String stateOfKeys(Keys keys) {
        return "SELECT " + STATE_LIST + " FROM " + state() + " WHERE " + SHIPMENT_ID + " IN (" + keys.shipmentIds() + ")";
    }

    /**
     * A base run's state: for each shipment among its keys that has stored rows before the window
     * start (the state table's {@code first_event_timestamp} says which), its last stored row before
     * the window start, leaving out stored rows whose event the run writes again (it replaces them).
     */
    public String stateBefore(String keysTable, Instant windowStart) {
        return stateBefore(staged(keysTable), windowStart);
    }

    /** As {@link #stateBefore(String, Instant)}, for keys from either source. */
    public String stateBefore(Keys keys, Instant windowStart) {
        String bound = "TIMESTAMP '" + LITERAL.format(windowStart) + "'";
        String shipments = "t.shipment_id IN (SELECT st.shipment_id FROM " + state() + " st WHERE st.first_event_timestamp < " + bound
                + " AND st.shipment_id IN (" + keys.shipmentIds() + "))"
                + " AND t.event_timestamp < " + bound
                + " AND " + keys.rowOfTNotAmong();
        return ranked(shipments);
    }

    /** The state of every shipment, recomputed from the stored rows: what the state table must always equal. */
    public String recomputedAll() {
        return ranked("1 = 1");
    }

    /** Replaces the whole state table with the state recomputed from the stored rows (a {@code --rebuild}, a first creation). */
    public List<WarehouseSql.Statement> rebuildAll() {
        return List.of(WarehouseSql.Statement.of("DELETE FROM " + state()),
                WarehouseSql.Statement.of("INSERT INTO " + state() + " (" + STATE_LIST + ") " + recomputedAll()));
    }

    /**
     * An incremental batch's state rows, in its commit after its rows went in. A shipment whose
     * events all came after its stored ones (the common case) takes as its state its last staged
     * row, and keeps its stored first event time (a new shipment takes its first staged row's). A
     * shipment among {@code :touched_shipments} (the batch took an event into the middle of it,
     * corrected one of its events or moved one away) has its state recomputed from its stored rows,
     * once they are in place, whatever the first statements set. No staging table of state rows: the
     * staged timeline is read where it is.
     *
     * @param stagedTimeline the batch's staged timeline rows
     * @param touched whether the statements take the list {@value #TOUCHED_SHIPMENTS}
     */
    public List<WarehouseSql.Statement> incrementalStatements(String stagedTimeline, boolean touched) {
        String lastStaged = "SELECT s.shipment_id, s.event_sequence, s.event_timestamp, s.event_id, s.status, s.location_id,"
                + " s.status_start_timestamp, MIN(s.event_timestamp) OVER (PARTITION BY s.shipment_id) AS min_ts,"
                + " ROW_NUMBER() OVER (PARTITION BY s.shipment_id ORDER BY s.event_timestamp DESC, s.event_id DESC) AS rn"
                + " FROM " + ddl.qualified(stagedTimeline) + " s";
        List<WarehouseSql.Statement> all = new java.util.ArrayList<>();
        // Redshift takes no alias for UPDATE's target: the table is named by its own name.
        all.add(WarehouseSql.Statement.of("UPDATE " + state() + " SET " + LAST_EVENT_SEQUENCE + " = r.event_sequence, " + LAST_EVENT_TIMESTAMP
                + " = r.event_timestamp, " + LAST_EVENT_ID + " = r.event_id, " + LAST_STATUS + " = r.status, " + LAST_LOCATION_ID + " = r.location_id, "
                + LAST_STATUS_START_TIMESTAMP + " = r.status_start_timestamp FROM (" + lastStaged + ") r WHERE r.rn = 1 AND "
                + WarehouseTables.STATE + ".shipment_id = r.shipment_id"));
        all.add(WarehouseSql.Statement.of("INSERT INTO " + state() + " (" + STATE_LIST + ") SELECT r.shipment_id, r.event_sequence,"
                + " r.event_timestamp, r.event_id, r.status, r.location_id, r.status_start_timestamp, r.min_ts FROM (" + lastStaged + ") r"
                + " WHERE r.rn = 1 AND NOT EXISTS (SELECT 1 FROM " + state() + " st WHERE st.shipment_id = r.shipment_id)"));
        if (touched) {
            String listed = "(:" + TOUCHED_SHIPMENTS + ")";
            all.add(WarehouseSql.Statement.of("DELETE FROM " + state() + " WHERE shipment_id IN " + listed));
            all.add(WarehouseSql.Statement.of("INSERT INTO " + state() + " (" + STATE_LIST + ") " + ranked("t.shipment_id IN " + listed)));
        }
        return List.copyOf(all);
    }

    /** The list of shipments whose state an incremental commit recomputes from their stored rows. */
    public static final String TOUCHED_SHIPMENTS = "touched_shipments";

    /**
     * A base run's state statements before its rows change. {@code orphans} collects the shipments
     * that lose stored rows but get no new state row: those whose latest row is in the window that the
     * run replaces, and those a stored row of which (before the window) the run rewrites under another
     * shipment. Then the state rows of those and of the shipments with new state go.
     *
     * @param stagedTimeline the run's staged rows
     * @param newState the state rows Spark computed for the run's shipments, staged
     * @param orphans an empty staging table of {@link #SHIPMENT_COLUMNS}
     */
    public List<WarehouseSql.Statement> baseStatementsBefore(String stagedTimeline, String newState, String orphans) {
        String fresh = ddl.qualified(newState);
        String lost = ddl.qualified(orphans);
        String staged = ddl.qualified(stagedTimeline);
        String moved = "INSERT INTO " + lost + " (shipment_id) SELECT DISTINCT t.shipment_id FROM %s t, " + staged + " s"
                + " WHERE t.event_id = s.event_id AND t.shipment_id <> s.shipment_id AND t.event_timestamp < ?";
        return List.of(
                WarehouseSql.Statement.of("INSERT INTO " + lost + " (shipment_id) SELECT st.shipment_id FROM " + state() + " st"
                        + " WHERE st.last_event_timestamp >= ? AND NOT EXISTS (SELECT 1 FROM " + fresh + " n WHERE n.shipment_id = st.shipment_id)",
                        "window_start"),
                WarehouseSql.Statement.of(String.format(moved, ddl.qualified(WarehouseTables.BASE)), "window_start"),
                WarehouseSql.Statement.of(String.format(moved, ddl.qualified(WarehouseTables.INCREMENTAL)), "window_start"),
                WarehouseSql.Statement.of("DELETE FROM " + state() + " WHERE shipment_id IN (SELECT n.shipment_id FROM " + fresh + " n)"
                        + " OR shipment_id IN (SELECT o.shipment_id FROM " + lost + " o)"));
    }

    /** A base run's state statements after its rows changed: the computed state goes in, the orphans are recomputed. */
    public List<WarehouseSql.Statement> baseStatementsAfter(String newState, String orphans) {
        String fresh = ddl.qualified(newState);
        return List.of(
                WarehouseSql.Statement.of("INSERT INTO " + state() + " (" + STATE_LIST + ") SELECT " + STATE_LIST + " FROM " + fresh),
                recompute(orphans, "AND NOT EXISTS (SELECT 1 FROM " + fresh + " n WHERE n.shipment_id = t.shipment_id)"));
    }

    /** A replay's state statements before its delete: the shipments with incremental rows after T lose their state rows. */
    public List<WarehouseSql.Statement> replayStatementsBefore(String orphans) {
        String lost = ddl.qualified(orphans);
        return List.of(
                WarehouseSql.Statement.of("INSERT INTO " + lost + " (shipment_id) SELECT DISTINCT i.shipment_id FROM "
                        + ddl.qualified(WarehouseTables.INCREMENTAL) + " i WHERE i.event_timestamp > ?", "replay_from"),
                WarehouseSql.Statement.of("DELETE FROM " + state() + " WHERE shipment_id IN (SELECT o.shipment_id FROM " + lost + " o)"));
    }

    /** A replay's state statement after its delete: those shipments' state, recomputed from the rows that remain. */
    public WarehouseSql.Statement replayStatementAfter(String orphans) {
        return recompute(orphans, "");
    }

    /** The state of the shipments listed in {@code shipments}, recomputed from their stored rows and inserted. */
    private WarehouseSql.Statement recompute(String shipments, String andAlso) {
        return WarehouseSql.Statement.of("INSERT INTO " + state() + " (" + STATE_LIST + ") "
                + ranked("t.shipment_id IN (SELECT o.shipment_id FROM " + ddl.qualified(shipments) + " o) " + andAlso));
    }

    /** Replaces the rows of {@code target} (the state or the summaries) of the shipments staged in {@code newRows} by those rows. */
    private List<WarehouseSql.Statement> replaceFrom(String target, String newRows) {
        String fresh = ddl.qualified(newRows);
        String table = ddl.qualified(target);
        return List.of(
                WarehouseSql.Statement.of("DELETE FROM " + table + " WHERE shipment_id IN (SELECT n.shipment_id FROM " + fresh + " n)"),
                WarehouseSql.Statement.of("INSERT INTO " + table + " (" + STATE_LIST + ") SELECT " + STATE_LIST + " FROM " + fresh));
    }

    /**
     * Per shipment among the stored rows (base and incremental) that match {@code condition} on
     * {@code t}, and the purged-row summaries ({@link WarehouseTables#PURGED}) that match it too: its
     * last row and first time.
     */
    private String ranked(String condition) {
        return ranked(condition, condition);
    }

    /**
     * The same, with its own condition on the summaries. A summary stands for the rows that retention
     * purged: it is their last row, and its {@code first_event_timestamp} is their first time, so the
     * last row and the first time of a shipment come out the same with its purged rows or with their
     * summary in their place.
     */
    private String ranked(String condition, String purgedCondition) {
        String history = "SELECT t.shipment_id, t.event_id, t.event_timestamp, t.event_sequence, t.status, t.location_id,"
                + " t.status_start_timestamp, t.event_timestamp AS first_ts FROM %s t WHERE " + condition;
        String purged = "SELECT t.shipment_id, t.event_id, t.event_timestamp, t.event_sequence, t.status, t.location_id,"
                + " t.status_start_timestamp, t.first_ts FROM (SELECT p." + SHIPMENT_ID + " AS shipment_id, p." + LAST_EVENT_ID + " AS event_id, p."
                + LAST_EVENT_TIMESTAMP + " AS event_timestamp, p." + LAST_EVENT_SEQUENCE + " AS event_sequence, p." + LAST_STATUS + " AS status, p."
                + LAST_LOCATION_ID + " AS location_id, p." + LAST_STATUS_START_TIMESTAMP + " AS status_start_timestamp, p." + FIRST_EVENT_TIMESTAMP
                + " AS first_ts FROM " + ddl.qualified(WarehouseTables.PURGED) + " p) t WHERE " + purgedCondition;
        return "SELECT shipment_id AS " + SHIPMENT_ID
                + ", event_sequence AS " + LAST_EVENT_SEQUENCE
                + ", event_timestamp AS " + LAST_EVENT_TIMESTAMP
                + ", event_id AS " + LAST_EVENT_ID
                + ", status AS " + LAST_STATUS
                + ", location_id AS " + LAST_LOCATION_ID
                + ", status_start_timestamp AS " + LAST_STATUS_START_TIMESTAMP
                + ", first_ts AS " + FIRST_EVENT_TIMESTAMP
                + " FROM (SELECT h.shipment_id, h.event_id, h.event_timestamp, h.event_sequence, h.status, h.location_id, h.status_start_timestamp,"
                + " MIN(h.first_ts) OVER (PARTITION BY h.shipment_id) AS first_ts,"
                + " ROW_NUMBER() OVER (PARTITION BY h.shipment_id ORDER BY h.event_timestamp DESC, h.event_id DESC) AS rn"
                + " FROM (" + String.format(history, ddl.qualified(WarehouseTables.BASE))
                + " UNION ALL " + String.format(history, ddl.qualified(WarehouseTables.INCREMENTAL))
                + " UNION ALL " + purged + ") h) ranked WHERE rn = 1";
    }

    /**
     * Retention's purge (docs/decisions/0005-retention-summaries.md), in one transaction: the shipments with stored
     * rows before {@code cutoff} are listed, their summaries are recomputed over those rows and their
     * old summary and replaced, and the rows go, with the quarantine, late-event and audit rows older
     * than the cutoff. The state table is not touched: its rows are computed over the stored rows and
     * the summaries, which give the same last row and first time before and after (the cutoff is
     * before every base window start, so a base run still finds the last row before its window).
     *
     * @param purging an empty staging table of {@link #SHIPMENT_COLUMNS}
     * @param summaries an empty staging table of {@link #STATE_COLUMNS}
     * @return the statements, each with a {@link Purged} saying what its update count counts
     */
    public List<Purge> purge(String purging, String summaries, Instant cutoff) {
        String bound = "TIMESTAMP '" + LITERAL.format(cutoff) + "'";
        String listed = ddl.qualified(purging);
        String fresh = ddl.qualified(summaries);
        String base = ddl.qualified(WarehouseTables.BASE);
        String inc = ddl.qualified(WarehouseTables.INCREMENTAL);
        String inPurging = "t.shipment_id IN (SELECT l.shipment_id FROM " + listed + " l)";
        List<Purge> all = new java.util.ArrayList<>();
        all.add(new Purge(Purged.NONE, WarehouseSql.Statement.of("INSERT INTO " + listed + " (shipment_id) SELECT t.shipment_id FROM " + base
                + " t WHERE t.event_timestamp < " + bound + " UNION SELECT t.shipment_id FROM " + inc + " t WHERE t.event_timestamp < " + bound)));
        all.add(new Purge(Purged.SHIPMENTS, WarehouseSql.Statement.of("INSERT INTO " + fresh + " (" + STATE_LIST + ") "
                + ranked(inPurging + " AND t.event_timestamp < " + bound, inPurging))));
        // Every listed shipment gets a new summary, so replacing by the new summaries replaces all of theirs.
        replaceFrom(WarehouseTables.PURGED, summaries).forEach(st -> all.add(new Purge(Purged.NONE, st)));
        all.add(new Purge(Purged.TIMELINE_ROWS, WarehouseSql.Statement.of("DELETE FROM " + base + " WHERE event_timestamp < " + bound)));
        all.add(new Purge(Purged.TIMELINE_ROWS, WarehouseSql.Statement.of("DELETE FROM " + inc + " WHERE event_timestamp < " + bound)));
        all.add(new Purge(Purged.QUARANTINE_ROWS, WarehouseSql.Statement.of("DELETE FROM " + ddl.qualified(WarehouseTables.QUARANTINE)
                + " WHERE quarantined_at < " + bound)));
        all.add(new Purge(Purged.LATE_EVENT_ROWS, WarehouseSql.Statement.of("DELETE FROM " + ddl.qualified(WarehouseTables.LATE_EVENTS)
                + " WHERE recorded_at < " + bound)));
        all.add(new Purge(Purged.RUN_ROWS, WarehouseSql.Statement.of("DELETE FROM " + ddl.qualified(WarehouseTables.RUNS)
                + " WHERE " + RunColumns.STARTED_AT + " < " + bound)));
        return List.copyOf(all);
    }

    /** What a purge statement's update count counts. */
    public enum Purged { NONE, SHIPMENTS, TIMELINE_ROWS, QUARANTINE_ROWS, LATE_EVENT_ROWS, RUN_ROWS }

    /** One statement of the purge. */
    public record Purge(Purged counts, WarehouseSql.Statement statement) {}

    /**
     * The stored rows of the event ids among the run's keys, in the survivor order's columns (an
     * incremental batch compares each of its rows with the stored version of its event).
     *
     * @param columns the columns to read, in order
     */
    public String storedVersions(Keys keys, List<String> columns) {
        String select = "SELECT " + String.join(", ", columns.stream().map(c -> "t." + c).toList()) + " FROM ";
        String among = " t WHERE t.event_id IN (" + keys.eventIds() + ")";
        return select + ddl.qualified(WarehouseTables.BASE) + among + " UNION ALL " + select + ddl.qualified(WarehouseTables.INCREMENTAL) + among;
    }

    /**
     * The stored rows, at or after {@code windowStart}, of the shipments among {@code keysTable},
     * leaving out the events the keys name (the batch writes those again): what an incremental batch
     * computes again, beside its own events, for a shipment it takes an event into the middle of.
     *
     * @param columns the columns to read, in order
     */
    public String storedRowsFrom(Keys keys, Instant windowStart, List<String> columns) {
        String bound = "TIMESTAMP '" + LITERAL.format(windowStart) + "'";
        String select = "SELECT " + String.join(", ", columns.stream().map(c -> "t." + c).toList()) + " FROM %s t WHERE t.shipment_id IN ("
                + keys.shipmentIds() + ") AND t.event_timestamp >= " + bound + " AND " + keys.rowOfTNotAmong();
        return String.format(select, ddl.qualified(WarehouseTables.BASE)) + " UNION ALL "
                + String.format(select, ddl.qualified(WarehouseTables.INCREMENTAL));
    }
}
