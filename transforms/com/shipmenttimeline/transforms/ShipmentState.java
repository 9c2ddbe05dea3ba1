package com.shipmenttimeline.transforms;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;

import com.shipmenttimeline.schemas.StoredStateSql;
import com.shipmenttimeline.schemas.TimelineColumns;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
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

    /**
     * The state of each shipment once {@code timeline} is stored after {@code before}: its last
     * computed row, and the first event time of the state it continued from, or else of its first
     * computed row. Exact because {@link TimelineFields} requires the state to precede every new
     * event of its shipment; one row per shipment of {@code timeline}, in {@link #SCHEMA}'s columns.
     */
    public static Dataset<Row> after(Dataset<Row> timeline, Dataset<Row> before) {
        WindowSpec latestFirst = Window.partitionBy(col(TimelineColumns.SHIPMENT_ID))
                .orderBy(col(TimelineColumns.EVENT_TIMESTAMP).desc(), col(TimelineColumns.EVENT_ID).desc());
        Dataset<Row> last = timeline
                .withColumn("_rn", row_number().over(latestFirst))
                .withColumn("_first", min(col(TimelineColumns.EVENT_TIMESTAMP)).over(Window.partitionBy(col(TimelineColumns.SHIPMENT_ID))))
                .filter(col("_rn").equalTo(1));
        Dataset<Row> firsts = before.select(col(SHIPMENT_ID).as("_sid"), col(FIRST_EVENT_TIMESTAMP).as("_before_first"));
        return last.join(firsts, last.col(TimelineColumns.SHIPMENT_ID).equalTo(firsts.col("_sid")), "left").select(
                col(TimelineColumns.SHIPMENT_ID).as(SHIPMENT_ID),
                col(TimelineColumns.EVENT_SEQUENCE).as(LAST_EVENT_SEQUENCE),
                col(TimelineColumns.EVENT_TIMESTAMP).as(LAST_EVENT_TIMESTAMP),
                col(TimelineColumns.EVENT_ID).as(LAST_EVENT_ID),
                col(TimelineColumns.STATUS).as(LAST_STATUS),
                col(TimelineColumns.LOCATION_ID).as(LAST_LOCATION_ID),
                col(TimelineColumns.STATUS_START_TIMESTAMP).as(LAST_STATUS_START_TIMESTAMP),
                coalesce(col("_before_first"), col("_first")).as(FIRST_EVENT_TIMESTAMP));
    }
}
