package com.shipmenttimeline.transforms;

import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The stored state a shipment continues from: its last stored timeline row (by
 * {@code event_timestamp}, then {@code event_id}) and the time of its first stored event. One row
 * per shipment; {@link TimelineFields} puts it in front of the new events as an anchor.
 */
public final class ShipmentState {
    private ShipmentState() {}

    public static final String SHIPMENT_ID = "shipment_id";
    public static final String LAST_EVENT_SEQUENCE = "last_event_sequence";
    public static final String LAST_EVENT_TIMESTAMP = "last_event_timestamp";
    public static final String LAST_EVENT_ID = "last_event_id";
    public static final String LAST_STATUS = "last_status";
    public static final String LAST_LOCATION_ID = "last_location_id";
    public static final String LAST_STATUS_START_TIMESTAMP = "last_status_start_timestamp";
    public static final String FIRST_EVENT_TIMESTAMP = "first_event_timestamp";

    public static final StructType SCHEMA = new StructType()
            .add(SHIPMENT_ID, DataTypes.StringType, false)
            .add(LAST_EVENT_SEQUENCE, DataTypes.LongType, false)
            .add(LAST_EVENT_TIMESTAMP, DataTypes.TimestampType, false)
            .add(LAST_EVENT_ID, DataTypes.StringType, false)
            .add(LAST_STATUS, DataTypes.StringType, false)
            .add(LAST_LOCATION_ID, DataTypes.StringType, true)
            .add(LAST_STATUS_START_TIMESTAMP, DataTypes.TimestampType, false)
            .add(FIRST_EVENT_TIMESTAMP, DataTypes.TimestampType, false);
}
