package com.shipmenttimeline.transforms;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lag;
import static org.apache.spark.sql.functions.last;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.unix_micros;
import static org.apache.spark.sql.functions.when;

import com.shipmenttimeline.schemas.TimelineColumns;
import com.shipmenttimeline.schemas.TableColumn;
import java.sql.Timestamp;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

/**
 * The computed fields of contract section 4, by window functions over one window: partitioned
 * by {@code shipment_id}, ordered by ({@code event_timestamp}, {@code event_id}). Every field of an
 * event depends only on the events before it, so a shipment continues from stored state by putting
 * one anchor row (its last stored row, see {@link ShipmentState}) in front of its new events and
 * dropping the anchor afterwards. Base and incremental runs share this one code path.
 */
public final class TimelineFields {
    private TimelineFields() {}

    private static final String ANCHOR = "_anchor";
    private static final String ANCHOR_SEQUENCE = "_anchor_sequence";
    private static final String ANCHOR_STATUS_START = "_anchor_status_start";
    private static final String ANCHOR_FIRST_TS = "_anchor_first_ts";
    private static final String PREV_TS = "_prev_ts";
    private static final String FIRST_TS = "_first_ts";
    private static final String RUN_MARKER = "_run_marker";
    private static final String PREV_STATUS_START = "_prev_status_start";

    private static final double MICROS_PER_SECOND = 1_000_000d;
    private static final double MICROS_PER_HOUR = 3_600_000_000d;

    /** Anchors sort before every new event of their shipment; then (event_timestamp, event_id). */
    private static WindowSpec shipmentOrder() {
        return Window.partitionBy(col(TimelineColumns.SHIPMENT_ID))
                .orderBy(col(ANCHOR).desc(), col(TimelineColumns.EVENT_TIMESTAMP).asc(), col(TimelineColumns.EVENT_ID).asc());
    }

    private static WindowSpec upToHere() {
        return shipmentOrder().rowsBetween(Window.unboundedPreceding(), Window.currentRow());
    }

    /**
     * @param events enriched, valid, deduplicated events: the event columns and the enrichment
     *     columns of {@link TimelineColumns#COMPUTED}; other columns are dropped
     * @param state at most one {@link ShipmentState} row per shipment; it must precede every new
     *     event of its shipment in (event_timestamp, event_id) order
     * @return the {@link TimelineColumns#COMPUTED} columns, in contract order, one row per event
     */
    public static Dataset<Row> compute(Dataset<Row> events, Dataset<Row> state) {
        Dataset<Row> newRows = events.select(inputColumns(events))
                .withColumn(ANCHOR, lit(false))
                .withColumn(ANCHOR_SEQUENCE, lit(null).cast("long"))
                .withColumn(ANCHOR_STATUS_START, lit(null).cast("timestamp"))
                .withColumn(ANCHOR_FIRST_TS, lit(null).cast("timestamp"));
        Dataset<Row> anchors = state.select(
                col(ShipmentState.SHIPMENT_ID).as(TimelineColumns.SHIPMENT_ID),
                col(ShipmentState.LAST_EVENT_ID).as(TimelineColumns.EVENT_ID),
                col(ShipmentState.LAST_EVENT_TIMESTAMP).as(TimelineColumns.EVENT_TIMESTAMP),
                col(ShipmentState.LAST_STATUS).as(TimelineColumns.STATUS),
                col(ShipmentState.LAST_LOCATION_ID).as(TimelineColumns.LOCATION_ID),
                lit(true).as(ANCHOR),
                col(ShipmentState.LAST_EVENT_SEQUENCE).as(ANCHOR_SEQUENCE),
                col(ShipmentState.LAST_STATUS_START_TIMESTAMP).as(ANCHOR_STATUS_START),
                col(ShipmentState.FIRST_EVENT_TIMESTAMP).as(ANCHOR_FIRST_TS));
        Dataset<Row> all = newRows.unionByName(anchors, true);

        WindowSpec ordered = shipmentOrder();
        WindowSpec upTo = upToHere();
        Column ts = col(TimelineColumns.EVENT_TIMESTAMP);

        Dataset<Row> step1 = all
                .withColumn(TimelineColumns.EVENT_SEQUENCE,
                        sum(when(col(ANCHOR), col(ANCHOR_SEQUENCE)).otherwise(lit(1L))).over(upTo))
                .withColumn(PREV_TS, lag(ts, 1).over(ordered))
                .withColumn(TimelineColumns.PREV_STATUS, lag(col(TimelineColumns.STATUS), 1).over(ordered))
                .withColumn(TimelineColumns.PREV_LOCATION_ID, lag(col(TimelineColumns.LOCATION_ID), 1).over(ordered))
                .withColumn(FIRST_TS, first(when(col(ANCHOR), col(ANCHOR_FIRST_TS)).otherwise(ts)).over(upTo));

        // A status run starts where the status differs from the previous event's. The anchor's run
        // started at its stored status_start_timestamp, which may lie before the anchor itself.
        Column newRun = col(PREV_TS).isNull().or(not(col(TimelineColumns.PREV_STATUS).equalTo(col(TimelineColumns.STATUS))));
        Dataset<Row> step2 = step1
                .withColumn(RUN_MARKER, when(col(ANCHOR), col(ANCHOR_STATUS_START)).when(newRun, ts))
                .withColumn(TimelineColumns.STATUS_START_TIMESTAMP, last(col(RUN_MARKER), true).over(upTo));
        Dataset<Row> step3 = step2
                .withColumn(PREV_STATUS_START, lag(col(TimelineColumns.STATUS_START_TIMESTAMP), 1).over(ordered));

        Column hasPrev = col(PREV_TS).isNotNull();
        Column promise = col(TimelineColumns.PROMISED_DELIVERY_TIMESTAMP);
        Dataset<Row> computed = step3.filter(not(col(ANCHOR)))
                .withColumn(TimelineColumns.TIME_SINCE_PREV_EVENT_SECONDS, secondsBetween(col(PREV_TS), ts))
                .withColumn(TimelineColumns.CUMULATIVE_TRANSIT_HOURS,
                        unix_micros(ts).minus(unix_micros(col(FIRST_TS))).divide(lit(MICROS_PER_HOUR)))
                .withColumn(TimelineColumns.IS_LOCATION_CHANGE, hasPrev
                        .and(col(TimelineColumns.LOCATION_ID).isNotNull())
                        .and(col(TimelineColumns.PREV_LOCATION_ID).isNotNull())
                        .and(not(col(TimelineColumns.LOCATION_ID).equalTo(col(TimelineColumns.PREV_LOCATION_ID)))))
                .withColumn(TimelineColumns.TIME_IN_STATUS_SECONDS,
                        secondsBetween(col(TimelineColumns.STATUS_START_TIMESTAMP), ts))
                .withColumn(TimelineColumns.PREV_STATUS_DURATION_SECONDS,
                        when(hasPrev.and(not(col(TimelineColumns.PREV_STATUS).equalTo(col(TimelineColumns.STATUS)))),
                                secondsBetween(col(PREV_STATUS_START), ts)))
                .withColumn(TimelineColumns.HOURS_TO_PROMISE,
                        unix_micros(promise).minus(unix_micros(ts)).divide(lit(MICROS_PER_HOUR)))
                .withColumn(TimelineColumns.IS_PAST_PROMISE, promise.isNotNull().and(ts.gt(promise)));
        return computed.select(outputColumns());
    }

    /** Adds the processing metadata of a base or backfill row. */
    public static Dataset<Row> withProcessing(Dataset<Row> timeline, String processType, Timestamp processedAt) {
        return timeline
                .withColumn(TimelineColumns.PROCESSED_TIMESTAMP, lit(processedAt))
                .withColumn(TimelineColumns.PROCESS_TYPE, lit(processType));
    }

    /** Adds the processing metadata of an incremental row. */
    public static Dataset<Row> withIncrementalProcessing(Dataset<Row> timeline, String batchId, Timestamp processedAt) {
        return withProcessing(timeline, com.shipmenttimeline.schemas.ProcessType.INCREMENTAL.value(), processedAt)
                .withColumn(TimelineColumns.INCREMENTAL_BATCH_ID, lit(batchId))
                .withColumn(TimelineColumns.INCREMENTAL_PROCESSED_AT, lit(processedAt));
    }

    private static Column secondsBetween(Column from, Column to) {
        return unix_micros(to).minus(unix_micros(from)).divide(lit(MICROS_PER_SECOND));
    }

    /** The input columns: the event and enrichment columns of the contract that come in, nothing else. */
    private static Column[] inputColumns(Dataset<Row> events) {
        return java.util.Arrays.stream(new String[] {
                    TimelineColumns.SHIPMENT_ID, TimelineColumns.EVENT_ID, TimelineColumns.EVENT_TIMESTAMP,
                    TimelineColumns.EVENT_TYPE, TimelineColumns.STATUS, TimelineColumns.LOCATION_ID,
                    TimelineColumns.LOCATION_NAME, TimelineColumns.REGION, TimelineColumns.PACKAGE_COUNT,
                    TimelineColumns.TOTAL_WEIGHT_KG, TimelineColumns.PROMISED_DELIVERY_TIMESTAMP, TimelineColumns.INGESTED_AT})
                .map(events::col)
                .toArray(Column[]::new);
    }

    private static Column[] outputColumns() {
        return TimelineColumns.COMPUTED.stream()
                .map(TableColumn::name)
                .map(n -> col(n).cast(columnType(n)).as(n))
                .toArray(Column[]::new);
    }

    private static org.apache.spark.sql.types.DataType columnType(String name) {
        return TimelineColumns.COMPUTED.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow().kind().sparkType();
    }
}
