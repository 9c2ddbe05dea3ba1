package com.shipmenttimeline.transforms;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.when;

import com.shipmenttimeline.schemas.RawEvents;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

/**
 * Deduplication of contract section 2, step 2: among the valid rows sharing an
 * {@code event_id}, one is kept. The choice never depends on the order files were read in: the
 * contract's keys come first, then the source file and the raw record break any remaining tie
 * (between rows that agree on every contract field, so the timeline is the same whichever wins).
 */
public final class EventDedup {
    private EventDedup() {}

    public static final String IS_DUPLICATE = "_is_duplicate";

    /** The survivor ordering: the first row of this order is kept. */
    public static WindowSpec survivorOrder() {
        return Window.partitionBy(col(RawEvents.EVENT_ID)).orderBy(
                col(RawEvents.INGESTED_AT).desc_nulls_last(),
                col(RawEvents.EVENT_TIMESTAMP).desc_nulls_last(),
                col(RawEvents.STATUS).desc_nulls_last(),
                col(RawEvents.LOCATION_ID).desc_nulls_last(),
                col(RawEvents.EVENT_TYPE).desc_nulls_last(),
                col(RawEvents.SHIPMENT_ID).desc_nulls_last(),
                col(RawEvents.SOURCE_FILE).desc_nulls_last(),
                col(RawEvents.RAW_RECORD).desc_nulls_last());
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
}
