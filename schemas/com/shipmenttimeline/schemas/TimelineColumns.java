package com.shipmenttimeline.schemas;

import static com.shipmenttimeline.schemas.ColumnKind.BIGINT;
import static com.shipmenttimeline.schemas.ColumnKind.BOOLEAN;
import static com.shipmenttimeline.schemas.ColumnKind.DOUBLE;
import static com.shipmenttimeline.schemas.ColumnKind.ID;
import static com.shipmenttimeline.schemas.ColumnKind.TEXT;
import static com.shipmenttimeline.schemas.ColumnKind.TIMESTAMP;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.spark.sql.types.StructType;

/**
 * The timeline columns of contract section 4, in contract order. This list is the one source
 * of truth: the Spark schemas, the DDL of both dialects and every INSERT column list derive from it.
 */
public final class TimelineColumns {
    private TimelineColumns() {}

    public static final String SHIPMENT_ID = RawEvents.SHIPMENT_ID;
    public static final String EVENT_ID = RawEvents.EVENT_ID;
    public static final String EVENT_TIMESTAMP = RawEvents.EVENT_TIMESTAMP;
    public static final String EVENT_SEQUENCE = "event_sequence";
    public static final String EVENT_TYPE = RawEvents.EVENT_TYPE;
    public static final String STATUS = RawEvents.STATUS;
    public static final String LOCATION_ID = RawEvents.LOCATION_ID;
    public static final String LOCATION_NAME = RawEvents.LOCATION_NAME;
    public static final String REGION = RawEvents.REGION;
    public static final String PACKAGE_COUNT = "package_count";
    public static final String TOTAL_WEIGHT_KG = "total_weight_kg";
    public static final String PROMISED_DELIVERY_TIMESTAMP = RawEvents.PROMISED_DELIVERY_TIMESTAMP;
    public static final String TIME_SINCE_PREV_EVENT_SECONDS = "time_since_prev_event_seconds";
    public static final String CUMULATIVE_TRANSIT_HOURS = "cumulative_transit_hours";
    public static final String PREV_STATUS = "prev_status";
    public static final String PREV_LOCATION_ID = "prev_location_id";
    public static final String IS_LOCATION_CHANGE = "is_location_change";
    public static final String STATUS_START_TIMESTAMP = "status_start_timestamp";
    public static final String TIME_IN_STATUS_SECONDS = "time_in_status_seconds";
    public static final String PREV_STATUS_DURATION_SECONDS = "prev_status_duration_seconds";
    public static final String HOURS_TO_PROMISE = "hours_to_promise";
    public static final String IS_PAST_PROMISE = "is_past_promise";
    public static final String INGESTED_AT = RawEvents.INGESTED_AT;
    public static final String PROCESSED_TIMESTAMP = "processed_timestamp";
    public static final String PROCESS_TYPE = "process_type";
    public static final String INCREMENTAL_BATCH_ID = "incremental_batch_id";
    public static final String INCREMENTAL_PROCESSED_AT = "incremental_processed_at";

    /** The columns computed by the timeline transform, before processing metadata. */
    public static final List<TableColumn> COMPUTED = List.of(
            TableColumn.required(SHIPMENT_ID, ID),
            TableColumn.required(EVENT_ID, ID),
            TableColumn.required(EVENT_TIMESTAMP, TIMESTAMP),
            TableColumn.required(EVENT_SEQUENCE, BIGINT),
            TableColumn.of(EVENT_TYPE, ID),
            TableColumn.required(STATUS, ID),
            TableColumn.of(LOCATION_ID, ID),
            TableColumn.of(LOCATION_NAME, TEXT),
            TableColumn.of(REGION, ID),
            TableColumn.of(PACKAGE_COUNT, BIGINT),
            TableColumn.of(TOTAL_WEIGHT_KG, DOUBLE),
            TableColumn.of(PROMISED_DELIVERY_TIMESTAMP, TIMESTAMP),
            TableColumn.of(TIME_SINCE_PREV_EVENT_SECONDS, DOUBLE),
            TableColumn.required(CUMULATIVE_TRANSIT_HOURS, DOUBLE),
            TableColumn.of(PREV_STATUS, ID),
            TableColumn.of(PREV_LOCATION_ID, ID),
            TableColumn.required(IS_LOCATION_CHANGE, BOOLEAN),
            TableColumn.required(STATUS_START_TIMESTAMP, TIMESTAMP),
            TableColumn.required(TIME_IN_STATUS_SECONDS, DOUBLE),
            TableColumn.of(PREV_STATUS_DURATION_SECONDS, DOUBLE),
            TableColumn.of(HOURS_TO_PROMISE, DOUBLE),
            TableColumn.required(IS_PAST_PROMISE, BOOLEAN),
            TableColumn.of(INGESTED_AT, TIMESTAMP));

    /** Columns of {@code shipment_timeline_base}. */
    public static final List<TableColumn> BASE = concat(COMPUTED, List.of(
            TableColumn.required(PROCESSED_TIMESTAMP, TIMESTAMP),
            TableColumn.required(PROCESS_TYPE, ID)));

    /** Columns of {@code shipment_timeline_incremental}: the base columns plus batch metadata. */
    public static final List<TableColumn> INCREMENTAL = concat(BASE, List.of(
            TableColumn.required(INCREMENTAL_BATCH_ID, ID),
            TableColumn.required(INCREMENTAL_PROCESSED_AT, TIMESTAMP)));

    public static StructType sparkSchema(List<TableColumn> columns) {
        StructType schema = new StructType();
        for (TableColumn c : columns) {
            schema = schema.add(c.name(), c.kind().sparkType(), c.nullable());
        }
        return schema;
    }

    public static String[] names(List<TableColumn> columns) {
        return columns.stream().map(TableColumn::name).toArray(String[]::new);
    }

    static List<TableColumn> concat(List<TableColumn> a, List<TableColumn> b) {
        List<TableColumn> all = new ArrayList<>(a);
        all.addAll(b);
        return Collections.unmodifiableList(all);
    }
}
