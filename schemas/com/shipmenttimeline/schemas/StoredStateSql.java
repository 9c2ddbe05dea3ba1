package com.shipmenttimeline.schemas;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The queries that read, from the warehouse, the stored state of just the shipments a run touches:
 * a staging table holds the run's (shipment_id, event_id) keys, and the warehouse returns one row per
 * shipment, its last stored row (base or incremental) and its first stored time, in the columns of
 * {@link #STATE_COLUMNS}. What a run reads therefore grows with the run, not with the history.
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

    private static final DateTimeFormatter LITERAL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

    private final WarehouseDdl ddl;

    public StoredStateSql(WarehouseDdl ddl) {
        this.ddl = ddl;
    }

    /**
     * @param keysTable the staging table of the run's keys
     * @param before only stored rows strictly before this count (a base run's window start); null for all
     * @param excludeRewritten leave out stored rows whose event the run writes again (a base run
     *     replaces them); an incremental run never rewrites a stored event
     */
    public String state(String keysTable, Instant before, boolean excludeRewritten) {
        String keys = ddl.qualified(keysTable);
        String bound = before == null ? "" : " AND t.event_timestamp < TIMESTAMP '" + LITERAL.format(before) + "'";
        // A stored row whose event the run writes again is about to be replaced: it is not history.
        String history = "SELECT t.shipment_id, t.event_id, t.event_timestamp, t.event_sequence, t.status, t.location_id,"
                + " t.status_start_timestamp FROM %s t WHERE t.shipment_id IN (SELECT k.shipment_id FROM " + keys + " k)" + bound
                + (excludeRewritten ? " AND NOT EXISTS (SELECT 1 FROM " + keys + " k2 WHERE k2.event_id = t.event_id)" : "");
        return "SELECT shipment_id AS " + SHIPMENT_ID
                + ", event_sequence AS " + LAST_EVENT_SEQUENCE
                + ", event_timestamp AS " + LAST_EVENT_TIMESTAMP
                + ", event_id AS " + LAST_EVENT_ID
                + ", status AS " + LAST_STATUS
                + ", location_id AS " + LAST_LOCATION_ID
                + ", status_start_timestamp AS " + LAST_STATUS_START_TIMESTAMP
                + ", first_ts AS " + FIRST_EVENT_TIMESTAMP
                + " FROM (SELECT h.*, MIN(h.event_timestamp) OVER (PARTITION BY h.shipment_id) AS first_ts,"
                + " ROW_NUMBER() OVER (PARTITION BY h.shipment_id ORDER BY h.event_timestamp DESC, h.event_id DESC) AS rn"
                + " FROM (" + String.format(history, ddl.qualified(WarehouseTables.BASE))
                + " UNION ALL " + String.format(history, ddl.qualified(WarehouseTables.INCREMENTAL)) + ") h) ranked WHERE rn = 1";
    }

    /** The event ids among the run's keys that the timeline holds already (incremental runs). */
    public String storedEventIds(String keysTable) {
        String keys = ddl.qualified(keysTable);
        return "SELECT t.event_id FROM " + ddl.qualified(WarehouseTables.BASE) + " t WHERE t.event_id IN (SELECT k.event_id FROM " + keys + " k)"
                + " UNION ALL SELECT t.event_id FROM " + ddl.qualified(WarehouseTables.INCREMENTAL)
                + " t WHERE t.event_id IN (SELECT k.event_id FROM " + keys + " k)";
    }
}
