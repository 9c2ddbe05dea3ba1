package com.shipmenttimeline.transforms;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;

import com.shipmenttimeline.schemas.RawEvents;
import com.shipmenttimeline.schemas.TimelineColumns;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Enrichment of contract section 3: locations by id, packages aggregated per shipment. */
public final class Enrichment {
    private Enrichment() {}

    /** True on an event whose {@code location_id} is set but not found among the locations. */
    public static final String UNKNOWN_LOCATION = "_unknown_location";
    private static final String KNOWN = "_location_known";

    /**
     * One row per location id. Should the reference data hold an id twice, the greatest
     * (name, region) wins, so that a join never multiplies events and the result is deterministic.
     */
    public static Dataset<Row> locationsById(Dataset<Row> locations) {
        return locations.filter(col(RawEvents.LOCATION_ID).isNotNull())
                .groupBy(col(RawEvents.LOCATION_ID))
                .agg(max(struct(col(RawEvents.LOCATION_NAME), col(RawEvents.REGION))).as("l"))
                .select(col(RawEvents.LOCATION_ID),
                        col("l." + RawEvents.LOCATION_NAME).as(TimelineColumns.LOCATION_NAME),
                        col("l." + RawEvents.REGION).as(TimelineColumns.REGION),
                        lit(true).as(KNOWN));
    }

    /** Per shipment: the package count, the total weight (nulls ignored) and the earliest promise. */
    public static Dataset<Row> packagesPerShipment(Dataset<Row> packages) {
        return packages.filter(col(RawEvents.SHIPMENT_ID).isNotNull())
                .groupBy(col(RawEvents.SHIPMENT_ID))
                .agg(count(lit(1)).as(TimelineColumns.PACKAGE_COUNT),
                        sum(col(RawEvents.WEIGHT_KG)).as(TimelineColumns.TOTAL_WEIGHT_KG),
                        min(col(RawEvents.PROMISED_DELIVERY_TIMESTAMP)).as(TimelineColumns.PROMISED_DELIVERY_TIMESTAMP));
    }

    /**
     * Adds {@code location_name}, {@code region}, {@code package_count}, {@code total_weight_kg},
     * {@code promised_delivery_timestamp} and {@link #UNKNOWN_LOCATION}. Locations are broadcast;
     * packages join on {@code shipment_id}, the key the timeline window partitions by anyway.
     */
    public static Dataset<Row> apply(Dataset<Row> events, Dataset<Row> locations, Dataset<Row> packages) {
        Dataset<Row> loc = locationsById(locations);
        Dataset<Row> pkg = packagesPerShipment(packages);
        Dataset<Row> withLocation = events
                .join(broadcast(loc), events.col(RawEvents.LOCATION_ID).equalTo(loc.col(RawEvents.LOCATION_ID)), "left")
                .drop(loc.col(RawEvents.LOCATION_ID))
                .withColumn(UNKNOWN_LOCATION, col(RawEvents.LOCATION_ID).isNotNull().and(col(KNOWN).isNull()))
                .drop(KNOWN);
        return withLocation
                .join(pkg, withLocation.col(RawEvents.SHIPMENT_ID).equalTo(pkg.col(RawEvents.SHIPMENT_ID)), "left")
                .drop(pkg.col(RawEvents.SHIPMENT_ID));
    }
}
