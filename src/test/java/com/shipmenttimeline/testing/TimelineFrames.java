package com.shipmenttimeline.testing;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;

import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.schemas.TimelineColumns;
import com.shipmenttimeline.transforms.ShipmentState;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Builds the frames the timeline transform takes, from {@link ReferenceTimeline.Event}s. */
public final class TimelineFrames {
    private TimelineFrames() {}

    public static final StructType ENRICHED = new StructType()
            .add(TimelineColumns.SHIPMENT_ID, DataTypes.StringType)
            .add(TimelineColumns.EVENT_ID, DataTypes.StringType)
            .add(TimelineColumns.EVENT_TIMESTAMP, DataTypes.TimestampType)
            .add(TimelineColumns.EVENT_TYPE, DataTypes.StringType)
            .add(TimelineColumns.STATUS, DataTypes.StringType)
            .add(TimelineColumns.LOCATION_ID, DataTypes.StringType)
            .add(TimelineColumns.LOCATION_NAME, DataTypes.StringType)
            .add(TimelineColumns.REGION, DataTypes.StringType)
            .add(TimelineColumns.PACKAGE_COUNT, DataTypes.LongType)
            .add(TimelineColumns.TOTAL_WEIGHT_KG, DataTypes.DoubleType)
            .add(TimelineColumns.PROMISED_DELIVERY_TIMESTAMP, DataTypes.TimestampType)
            .add(TimelineColumns.INGESTED_AT, DataTypes.TimestampType);

    public static Timestamp micros(long epochMicros) {
        Timestamp t = new Timestamp(Math.floorDiv(epochMicros, 1000));
        t.setNanos((int) Math.floorMod(epochMicros, 1_000_000L) * 1000);
        return t;
    }

    public static long toMicros(Timestamp t) {
        return Math.floorDiv(t.getTime(), 1000) * 1_000_000L + t.getNanos() / 1000;
    }

    public static Dataset<Row> enriched(List<ReferenceTimeline.Event> events) {
        List<Row> rows = new ArrayList<>();
        for (ReferenceTimeline.Event e : events) {
            rows.add(RowFactory.create(e.shipmentId(), e.eventId(), micros(e.ts()), "SCAN", e.status(), e.locationId(),
                    null, null, null, null, e.promise() == null ? null : micros(e.promise()), null));
        }
        return SharedSpark.get().createDataFrame(rows, ENRICHED);
    }

    public static Dataset<Row> noState() {
        return SharedSpark.get().createDataFrame(List.of(), ShipmentState.SCHEMA);
    }

    /** The stored state of each shipment, from its timeline rows: the last row and the first time. */
    public static Dataset<Row> stateOf(Dataset<Row> timeline) {
        return timeline.groupBy(col(RawEvents.SHIPMENT_ID)).agg(
                max(struct(col(TimelineColumns.EVENT_TIMESTAMP), col(TimelineColumns.EVENT_ID), col(TimelineColumns.EVENT_SEQUENCE),
                        col(TimelineColumns.STATUS), col(TimelineColumns.LOCATION_ID), col(TimelineColumns.STATUS_START_TIMESTAMP))).as("last"),
                min(col(TimelineColumns.EVENT_TIMESTAMP)).as("first"),
                first(col(TimelineColumns.SHIPMENT_ID)).as("unused"))
                .select(col(RawEvents.SHIPMENT_ID).as(ShipmentState.SHIPMENT_ID),
                        col("last." + TimelineColumns.EVENT_SEQUENCE).as(ShipmentState.LAST_EVENT_SEQUENCE),
                        col("last." + TimelineColumns.EVENT_TIMESTAMP).as(ShipmentState.LAST_EVENT_TIMESTAMP),
                        col("last." + TimelineColumns.EVENT_ID).as(ShipmentState.LAST_EVENT_ID),
                        col("last." + TimelineColumns.STATUS).as(ShipmentState.LAST_STATUS),
                        col("last." + TimelineColumns.LOCATION_ID).as(ShipmentState.LAST_LOCATION_ID),
                        col("last." + TimelineColumns.STATUS_START_TIMESTAMP).as(ShipmentState.LAST_STATUS_START_TIMESTAMP),
                        col("first").as(ShipmentState.FIRST_EVENT_TIMESTAMP));
    }
}
