package com.shipmenttimeline.transforms;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lag;
import static org.apache.spark.sql.functions.last;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.row_number;
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
 * event depends only on the events before it, so a shipment continues from stored state: its last
 * stored row (see {@link ShipmentState}) is joined onto its new events by {@code shipment_id} and
 * stands in, for the first new event, for the previous row the window does not have. A join keeps
 * the events' partitioning (a union with the state rows would not), so events that arrive
 * partitioned by {@code shipment_id} are not shuffled again. Base and incremental runs share this
 * one code path.
 */
public final class TimelineFields {
    private TimelineFields() {}

    private static final String STATE_SHIPMENT = "_state_shipment";
    private static final String HAS_STATE = "_has_state";
    private static final String STATE_TS = "_state_ts";
    private static final String STATE_STATUS = "_state_status";
    private static final String STATE_LOCATION = "_state_location";
    private static final String STATE_SEQUENCE = "_state_sequence";
    private static final String STATE_STATUS_START = "_state_status_start";
    private static final String STATE_FIRST_TS = "_state_first_ts";
    private static final String POSITION = "_position";
    private static final String PREV_TS = "_prev_ts";
    private static final String FIRST_TS = "_first_ts";
    private static final String PREV_STATUS_START = "_prev_status_start";

    private static final double MICROS_PER_SECOND = 1_000_000d;
    private static final double MICROS_PER_HOUR = 3_600_000_000d;

    /** A shipment's new events in (event_timestamp, event_id) order. */
    private static WindowSpec shipmentOrder() {
        return Window.partitionBy(col(TimelineColumns.SHIPMENT_ID))
                .orderBy(col(TimelineColumns.EVENT_TIMESTAMP).asc(), col(TimelineColumns.EVENT_ID).asc());
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
        Dataset<Row> stored = state.select(
                col(ShipmentState.SHIPMENT_ID).as(STATE_SHIPMENT),
                lit(true).as(HAS_STATE),
                col(ShipmentState.LAST_EVENT_TIMESTAMP).as(STATE_TS),
                col(ShipmentState.LAST_STATUS).as(STATE_STATUS),
                col(ShipmentState.LAST_LOCATION_ID).as(STATE_LOCATION),
                col(ShipmentState.LAST_EVENT_SEQUENCE).as(STATE_SEQUENCE),
                col(ShipmentState.LAST_STATUS_START_TIMESTAMP).as(STATE_STATUS_START),
                col(ShipmentState.FIRST_EVENT_TIMESTAMP).as(STATE_FIRST_TS));
        Dataset<Row> input = events.select(inputColumns(events));
        Dataset<Row> all = input.join(stored, input.col(TimelineColumns.SHIPMENT_ID).equalTo(stored.col(STATE_SHIPMENT)), "left")
                .drop(STATE_SHIPMENT);

        WindowSpec ordered = shipmentOrder();
        WindowSpec upTo = upToHere();
        Column ts = col(TimelineColumns.EVENT_TIMESTAMP);
        Column firstNew = col(POSITION).equalTo(1);

        // For a shipment's first new event the previous row is the stored one (or none).
        Dataset<Row> step1 = all
                .withColumn(POSITION, row_number().over(ordered))
                .withColumn(TimelineColumns.EVENT_SEQUENCE, coalesce(col(STATE_SEQUENCE), lit(0L)).plus(col(POSITION)))
                .withColumn(PREV_TS, when(firstNew, col(STATE_TS)).otherwise(lag(ts, 1).over(ordered)))
                .withColumn(TimelineColumns.PREV_STATUS,
                        when(firstNew, col(STATE_STATUS)).otherwise(lag(col(TimelineColumns.STATUS), 1).over(ordered)))
                .withColumn(TimelineColumns.PREV_LOCATION_ID,
                        when(firstNew, col(STATE_LOCATION)).otherwise(lag(col(TimelineColumns.LOCATION_ID), 1).over(ordered)))
                .withColumn(FIRST_TS, when(col(HAS_STATE).isNotNull(), col(STATE_FIRST_TS)).otherwise(first(ts).over(upTo)));

        // A status run starts where the status differs from the previous event's. A run that no new
        // event starts is the stored row's, which started at its stored status_start_timestamp.
        Column newRun = col(PREV_TS).isNull().or(not(col(TimelineColumns.PREV_STATUS).equalTo(col(TimelineColumns.STATUS))));
        Dataset<Row> step2 = step1
                .withColumn(TimelineColumns.STATUS_START_TIMESTAMP,
                        coalesce(last(when(newRun, ts), true).over(upTo), col(STATE_STATUS_START)));
        Dataset<Row> step3 = step2
                .withColumn(PREV_STATUS_START, when(firstNew, col(STATE_STATUS_START))
                        .otherwise(lag(col(TimelineColumns.STATUS_START_TIMESTAMP), 1).over(ordered)));

        Column hasPrev = col(PREV_TS).isNotNull();
        Column promise = col(TimelineColumns.PROMISED_DELIVERY_TIMESTAMP);
        Dataset<Row> computed = step3
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
