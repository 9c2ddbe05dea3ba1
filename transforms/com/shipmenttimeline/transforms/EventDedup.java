package com.shipmenttimeline.transforms;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.when;

import com.shipmenttimeline.schemas.RawEvents;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Deduplication of contract section 2, step 2: among the valid rows sharing an
 * {@code event_id}, one is kept. The choice never depends on the order files were read in: the
 * contract's keys come first, then the source file and the raw record break any remaining tie
 * (between rows that agree on every contract field, so the timeline is the same whichever wins).
 */
public final class EventDedup {
    private EventDedup() {}

    public static final String IS_DUPLICATE = "_is_duplicate";
    private static final String CROSS_ID = "_cross_id";
    private static final String WINNING_SHIPMENT = "_winning_shipment";

    /** The survivor ordering: the first row of this order is kept. */
    public static WindowSpec survivorOrder() {
        return inSurvivorOrder(Window.partitionBy(col(RawEvents.EVENT_ID)));
    }

    /**
     * The contract's keys of the survivor order, most significant first: the greatest value wins,
     * nulls lowest (the latest {@code ingested_at}, then the greatest {@code event_timestamp}, ...).
     */
    public static final java.util.List<String> ORDER_FIELDS = java.util.List.of(RawEvents.INGESTED_AT, RawEvents.EVENT_TIMESTAMP,
            RawEvents.STATUS, RawEvents.LOCATION_ID, RawEvents.EVENT_TYPE, RawEvents.SHIPMENT_ID);

    private static WindowSpec inSurvivorOrder(WindowSpec partitioned) {
        java.util.List<Column> order = new java.util.ArrayList<>();
        ORDER_FIELDS.forEach(f -> order.add(col(f).desc_nulls_last()));
        // Rows equal in every contract key are the same version: which one survives does not change the timeline.
        order.add(col(RawEvents.SOURCE_FILE).desc_nulls_last());
        order.add(col(RawEvents.RAW_RECORD).desc_nulls_last());
        return partitioned.orderBy(order.toArray(Column[]::new));
    }

    /**
     * True where the version in {@code challenger} (the {@link #ORDER_FIELDS}, in order) wins the
     * survivor order against the one in {@code holder}: strictly, since versions equal in every
     * contract key are the same event. An incremental batch asks it of a row against the stored
     * version of its {@code event_id}.
     */
    public static Column beats(java.util.List<Column> challenger, java.util.List<Column> holder) {
        if (challenger.size() != ORDER_FIELDS.size() || holder.size() != ORDER_FIELDS.size()) {
            throw new IllegalArgumentException("one column per survivor key: " + ORDER_FIELDS);
        }
        Column wins = lit(false);
        Column equalSoFar = lit(true);
        for (int i = 0; i < ORDER_FIELDS.size(); i++) {
            Column a = challenger.get(i);
            Column b = holder.get(i);
            Column greater = a.isNotNull().and(b.isNull().or(a.gt(b)));
            wins = wins.or(equalSoFar.and(greater));
            equalSoFar = equalSoFar.and(a.eqNullSafe(b));
        }
        return wins;
    }

    /**
     * Adds {@link #IS_DUPLICATE}: true for a valid row that loses to another valid row with the same
     * {@code event_id}. Quarantined rows (non-null {@link EventValidation#REASON}) take no part.
     */
    public static Dataset<Row> markDuplicates(Dataset<Row> validated) {
        Dataset<Row> valid = validated.filter(col(EventValidation.REASON).isNull());
        Dataset<Row> quarantined = validated.filter(col(EventValidation.REASON).isNotNull())
                .withColumn(IS_DUPLICATE, lit(false));
        Dataset<Row> ranked = valid
                .withColumn(IS_DUPLICATE, when(row_number().over(survivorOrder()).gt(1), lit(true)).otherwise(lit(false)));
        return ranked.unionByName(quarantined);
    }

    /** The columns of {@link #crossShipmentWinners}: an event_id seen under two or more shipments, and the shipment whose row survives. */
    public static final StructType WINNERS_SCHEMA = new StructType()
            .add(CROSS_ID, DataTypes.StringType)
            .add(WINNING_SHIPMENT, DataTypes.StringType);

    /**
     * The first of the three steps that give the same marks as {@link #markDuplicates} with the wide
     * rows shuffled once, by {@code shipment_id}, the key the timeline window partitions by: the
     * result is hash-partitioned by {@code shipment_id}, so that window needs no shuffle of its own.
     * Here the rows sharing an {@code event_id} are ranked within their shipment, where they lie.
     */
    public static Dataset<Row> markWithinShipments(Dataset<Row> validated) {
        Column valid = col(EventValidation.REASON).isNull();
        WindowSpec inShipment = inSurvivorOrder(Window.partitionBy(col(RawEvents.SHIPMENT_ID), col(RawEvents.EVENT_ID), valid));
        return validated.repartition(col(RawEvents.SHIPMENT_ID))
                .withColumn(IS_DUPLICATE, when(valid.and(row_number().over(inShipment).gt(1)), lit(true)).otherwise(lit(false)));
    }

    /**
     * The second step: the {@code event_id}s whose survivors within their shipments lie under two or
     * more shipments (rare: almost every duplicate is a re-send of the same event), each with the
     * shipment of its overall survivor. A narrow path: the ids come from (event_id, shipment_id)
     * pairs alone, and only their rows are ranked across shipments. Few rows ({@link #WINNERS_SCHEMA}):
     * a base run collects them, so that the third step reads them from the driver.
     */
    public static Dataset<Row> crossShipmentWinners(Dataset<Row> markedWithinShipments) {
        Dataset<Row> survivors = markedWithinShipments.filter(col(EventValidation.REASON).isNull().and(not(col(IS_DUPLICATE))));
        Dataset<Row> crossIds = survivors.groupBy(col(RawEvents.EVENT_ID))
                .agg(min(col(RawEvents.SHIPMENT_ID)).as("_lowest"), max(col(RawEvents.SHIPMENT_ID)).as("_highest"))
                .filter(col("_lowest").notEqual(col("_highest")))
                .select(col(RawEvents.EVENT_ID));
        return survivors.join(broadcast(crossIds), RawEvents.EVENT_ID, "left_semi")
                .withColumn("_rank", row_number().over(survivorOrder()))
                .filter(col("_rank").equalTo(1))
                .select(col(RawEvents.EVENT_ID).as(CROSS_ID), col(RawEvents.SHIPMENT_ID).as(WINNING_SHIPMENT));
    }

    /**
     * The third step: a survivor within its shipment whose {@code event_id} has its overall survivor
     * under another shipment is a duplicate too. In the winning shipment the local ranking has kept
     * the overall survivor already, because the order is the same. A narrow step (the winners are broadcast).
     */
    public static Dataset<Row> applyCrossShipmentWinners(Dataset<Row> markedWithinShipments, Dataset<Row> winners) {
        Dataset<Row> joined = markedWithinShipments.join(broadcast(winners),
                markedWithinShipments.col(RawEvents.EVENT_ID).equalTo(col(CROSS_ID)), "left");
        Column losesAcross = col(EventValidation.REASON).isNull().and(col(WINNING_SHIPMENT).isNotNull())
                .and(col(WINNING_SHIPMENT).notEqual(col(RawEvents.SHIPMENT_ID)));
        return joined.withColumn(IS_DUPLICATE, col(IS_DUPLICATE).or(losesAcross)).drop(CROSS_ID, WINNING_SHIPMENT);
    }

    /** The three steps in one lazy frame (for tests and small inputs; a base run collects the winners in between). */
    public static Dataset<Row> markDuplicatesByShipment(Dataset<Row> validated) {
        Dataset<Row> local = markWithinShipments(validated);
        return applyCrossShipmentWinners(local, crossShipmentWinners(local));
    }
}
