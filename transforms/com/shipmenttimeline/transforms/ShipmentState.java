package com.shipmenttimeline.transforms;

import com.shipmenttimeline.schemas.StoredStateSql;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The stored state a shipment continues from: its last stored timeline row (by
 * {@code event_timestamp}, then {@code event_id}) and the time of its first stored event. One row
 * per shipment; {@link TimelineFields} puts it in front of the new events as an anchor. The
 * warehouse query that reads it is {@link StoredStateSql}, whose column names these are.
 */
public final class ShipmentState {
    private ShipmentState() {}

    public static final String SHIPMENT_ID = StoredStateSql.SHIPMENT_ID;
    public static final String LAST_EVENT_SEQUENCE = StoredStateSql.LAST_EVENT_SEQUENCE;
    public static final String LAST_EVENT_TIMESTAMP = StoredStateSql.LAST_EVENT_TIMESTAMP;
    public static final String LAST_EVENT_ID = StoredStateSql.LAST_EVENT_ID;
    public static final String LAST_STATUS = StoredStateSql.LAST_STATUS;
    public static final String LAST_LOCATION_ID = StoredStateSql.LAST_LOCATION_ID;
    public static final String LAST_STATUS_START_TIMESTAMP = StoredStateSql.LAST_STATUS_START_TIMESTAMP;
    public static final String FIRST_EVENT_TIMESTAMP = StoredStateSql.FIRST_EVENT_TIMESTAMP;

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
