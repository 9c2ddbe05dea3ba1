package com.shipmenttimeline.jobs.warehouse;

import com.shipmenttimeline.schemas.TimelineColumns;
import com.shipmenttimeline.schemas.WarehouseDdl;
import com.shipmenttimeline.schemas.WarehouseTables;
import com.shipmenttimeline.transforms.ShipmentState;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The SQL that reads, from the warehouse, the {@link ShipmentState} of just the shipments a run
 * touches: a staging table holds the run's (shipment_id, event_id) keys, and the warehouse returns
 * one row per shipment, its last stored row (base or incremental) and its first stored time. What a
 * run reads therefore grows with the run, not with the history.
 */
public final class StoredState {
    private StoredState() {}

    /** Columns of the keys staging table. */
    public static final java.util.List<com.shipmenttimeline.schemas.TableColumn> KEY_COLUMNS = java.util.List.of(
            new com.shipmenttimeline.schemas.TableColumn(TimelineColumns.SHIPMENT_ID, com.shipmenttimeline.schemas.ColumnKind.ID, false),
            new com.shipmenttimeline.schemas.TableColumn(TimelineColumns.EVENT_ID, com.shipmenttimeline.schemas.ColumnKind.ID, false));

    private static final DateTimeFormatter LITERAL = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

    /**
     * @param keysTable the staging table of the run's keys
     * @param before only stored rows strictly before this count (a base run's window start); null for all
     * @param excludeRewritten leave out stored rows whose event the run writes again (a base run
     *     replaces them); an incremental run never rewrites a stored event
     */
    public static String query(WarehouseDdl ddl, String keysTable, Instant before, boolean excludeRewritten) {
        String keys = ddl.qualified(keysTable);
        String bound = before == null ? "" : " AND t.event_timestamp < TIMESTAMP '" + LITERAL.format(before) + "'";
        // A stored row whose event the run writes again is about to be replaced: it is not history.
        String history = "SELECT t.shipment_id, t.event_id, t.event_timestamp, t.event_sequence, t.status, t.location_id,"
                + " t.status_start_timestamp FROM %s t WHERE t.shipment_id IN (SELECT k.shipment_id FROM " + keys + " k)" + bound
                + (excludeRewritten ? " AND NOT EXISTS (SELECT 1 FROM " + keys + " k2 WHERE k2.event_id = t.event_id)" : "");
        return "SELECT shipment_id AS " + ShipmentState.SHIPMENT_ID
                + ", event_sequence AS " + ShipmentState.LAST_EVENT_SEQUENCE
                + ", event_timestamp AS " + ShipmentState.LAST_EVENT_TIMESTAMP
                + ", event_id AS " + ShipmentState.LAST_EVENT_ID
                + ", status AS " + ShipmentState.LAST_STATUS
                + ", location_id AS " + ShipmentState.LAST_LOCATION_ID
                + ", status_start_timestamp AS " + ShipmentState.LAST_STATUS_START_TIMESTAMP
                + ", first_ts AS " + ShipmentState.FIRST_EVENT_TIMESTAMP
                + " FROM (SELECT h.*, MIN(h.event_timestamp) OVER (PARTITION BY h.shipment_id) AS first_ts,"
                + " ROW_NUMBER() OVER (PARTITION BY h.shipment_id ORDER BY h.event_timestamp DESC, h.event_id DESC) AS rn"
                + " FROM (" + String.format(history, ddl.qualified(WarehouseTables.BASE))
                + " UNION ALL " + String.format(history, ddl.qualified(WarehouseTables.INCREMENTAL)) + ") h) ranked WHERE rn = 1";
    }

    /** The event ids among the run's keys that the timeline holds already (incremental runs). */
    public static String storedEventIds(WarehouseDdl ddl, String keysTable) {
        String keys = ddl.qualified(keysTable);
        return "SELECT t.event_id FROM " + ddl.qualified(WarehouseTables.BASE) + " t WHERE t.event_id IN (SELECT k.event_id FROM " + keys + " k)"
                + " UNION ALL SELECT t.event_id FROM " + ddl.qualified(WarehouseTables.INCREMENTAL)
                + " t WHERE t.event_id IN (SELECT k.event_id FROM " + keys + " k)";
    }
}
