package com.shipmenttimeline.testing;

import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.transforms.JsonEventParser;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** Tiny fixtures: rows as a reader hands them to validation ({@link RawEvents#READ_SCHEMA}). */
public final class EventRows {
    private final List<Row> rows = new ArrayList<>();

    public static EventRows of() {
        return new EventRows();
    }

    public static Timestamp ts(String iso) {
        return iso == null ? null : Timestamp.from(JsonEventParser.parseTimestamp(iso));
    }

    /** An event; a null or blank string stays as given, for validation to judge. */
    public EventRows add(String eventId, String shipmentId, String eventTs, String status, String locationId) {
        return add(eventId, shipmentId, eventTs, "SCAN", status, locationId, null, "file:/f1.parquet");
    }

    public EventRows add(String eventId, String shipmentId, String eventTs, String eventType, String status, String locationId,
            String ingestedAt, String sourceFile) {
        rows.add(RowFactory.create(eventId, shipmentId, ts(eventTs), eventType, status, locationId, ts(ingestedAt),
                "{\"event_id\":\"" + eventId + "\"}", sourceFile, false, null));
        return this;
    }

    public EventRows malformed(String line) {
        rows.add(RowFactory.create(null, null, null, null, null, null, null, line, "file:/f2.jsonl", true, null));
        return this;
    }

    public Dataset<Row> frame() {
        return SharedSpark.get().createDataFrame(rows, RawEvents.READ_SCHEMA);
    }
}
